// The examples: one click puts a preset's expression, values, f and seed in the form and draws
// it; its one-line caption says what the numbers teach.

import { el } from "./dom.js";
import { state } from "./state.js";

const $ = (id) => document.getElementById(id);

export async function initPresets(renderGraph) {
  let presets;
  try {
    const response = await fetch("/api/presets");
    if (!response.ok) return;
    presets = await response.json();
  } catch {
    return;
  }
  const buttons = presets.map((p) => {
    const button = el("button", { type: "button", class: "preset", "data-preset": p.id,
      title: p.caption }, p.title);
    button.addEventListener("click", () => choose(p, renderGraph));
    return button;
  });
  $("presets").replaceChildren(el("span", { class: "presets-label" }, "Examples:"), ...buttons);
  $("presets").hidden = false;
  state.presets = presets;
  showCaption();
}

function choose(preset, renderGraph) {
  $("expr").value = preset.expression;
  $("f").value = preset.f;
  $("seed").value = String(preset.seed);
  state.overrides = structuredClone(preset.variables || {});
  renderGraph(0, { fresh: true });
}

// The caption of the preset the form now shows, if it is one.
export function showCaption() {
  const expression = $("expr").value;
  const preset = (state.presets || []).find((p) => p.expression === expression);
  for (const b of document.querySelectorAll(".preset")) {
    b.setAttribute("aria-pressed", String(b.dataset.preset === preset?.id));
  }
  $("preset-caption").textContent = preset ? preset.caption : "";
  $("preset-caption").hidden = !preset;
}
