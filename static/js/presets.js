// The examples: one click puts a preset's expression, values, f and seed in the form and draws
// it; its one-line caption says what the numbers teach.

import { $, el } from "./dom.js";
import { has, t } from "./i18n.js";
import { state } from "./state.js";


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
    const button = el("button", { type: "button", class: "preset", "data-preset": p.id });
    button.addEventListener("click", () => choose(p, renderGraph));
    return button;
  });
  $("presets").replaceChildren(el("span", { class: "presets-label" }), ...buttons);
  $("presets").hidden = false;
  state.presets = presets;
  relabelPresets();
}

// A preset's title or caption in the page's language, where the catalogs hold its key.
function word(preset, field) {
  const key = preset[`${field}_key`] ?? `preset.${preset.id}.${field}`;
  return has(key) ? t(key) : preset[field];
}

// The examples' words, in the page's language.
export function relabelPresets() {
  const label = $("presets").querySelector(".presets-label");
  if (!label) return;
  label.textContent = t("ui.examples_label");
  for (const b of $("presets").querySelectorAll(".preset")) {
    const preset = state.presets.find((p) => p.id === b.dataset.preset);
    b.textContent = word(preset, "title");
    b.title = word(preset, "caption");
  }
  showCaption();
}

// The cold page (no expression in the URL) is the first preset, numbers included: what the
// Lecture 3 chip shows when clicked.
export function coldStart() {
  const first = state.presets?.[0];
  if (!first || new URLSearchParams(location.search).has("expr")) return false;
  $("expr").value = first.expression;
  $("f").value = first.f;
  $("seed").value = String(first.seed);
  state.overrides = structuredClone(first.variables || {});
  caption(first);
  return true;
}

function choose(preset, renderGraph) {
  $("expr").value = preset.expression;
  $("f").value = preset.f;
  $("seed").value = String(preset.seed);
  state.overrides = structuredClone(preset.variables || {});
  caption(preset);
  renderGraph(0, { fresh: true });
}

// The caption's line is in place before the request measures the graph's box for its layout,
// so the answer does not move the box and ask for a second one; showCaption checks it then.
function caption(preset) {
  $("preset-caption").textContent = word(preset, "caption");
  $("preset-caption").hidden = false;
}

// A preset's value as the trace holds it: a number is 1×1, a list a column.
const asMatrix = (v) => (Array.isArray(v) ? v.map((row) => (Array.isArray(row) ? row : [row]))
  : [[v]]);

// Whether the trace on screen is exactly the preset: its expression, f, and every value.
function shows(preset) {
  const trace = state.vector;
  if (!trace || trace.expression !== preset.expression || trace.f !== preset.f) return false;
  const names = Object.keys(preset.variables || {});
  if (names.length !== Object.keys(trace.variables).length) return false;
  return names.every((name) => trace.variables[name] && JSON.stringify(trace.variables[name].value)
    === JSON.stringify(asMatrix(preset.variables[name].value)));
}

// The caption of the preset the page now shows, if it is one: a chip is marked chosen only
// when the graph is that very preset, its numbers included.
export function showCaption() {
  const preset = (state.presets || []).find(shows);
  for (const b of document.querySelectorAll(".preset")) {
    b.setAttribute("aria-pressed", String(b.dataset.preset === preset?.id));
  }
  if (preset) caption(preset);
  else $("preset-caption").hidden = true;
}
