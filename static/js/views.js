// The two views of one expression: the vector graph as the expression writes it, and the scalar
// graph (micrograd's: every entry its own node). The vector trace is always fetched first: its
// variables are what the table edits and training updates, and its `scalar_nodes` says whether
// the scalar view can be drawn at all.

import { postTrace } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { state } from "./state.js";

const count = (n) => n.toLocaleString("en-US");

// Why the scalar view of this trace cannot be drawn, in full (the button's title) and in short
// (beside it), or null when it can.
function refusal(scalarNodes) {
  const limit = Number($("view-toggle").dataset.maxNodes);
  if (scalarNodes === null || scalarNodes === undefined) {
    return { full: t("ui.view.no_scalar"), short: t("ui.view.no_scalar_short") };
  }
  if (scalarNodes > limit) {
    const counts = { n: count(scalarNodes), limit: count(limit) };
    return { full: t("ui.view.too_many", counts), short: t("ui.view.too_many_short", counts) };
  }
  return null;
}

// Buttons, not radios: the arrow keys step the graph wherever the focus is in the player.
function showToggle(reason) {
  const scalar = document.querySelector('#view-toggle button[data-view="scalar"]');
  scalar.disabled = reason !== null;
  scalar.title = reason?.full ?? t("ui.view.scalar_title");
  $("view-note").textContent = reason ? `(${reason.short})` : "";
  $("view-note").title = reason?.full ?? "";
  for (const button of document.querySelectorAll("#view-toggle button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
  }
}

// The toggle's words in a new language.
export function relabelViews() {
  showToggle(state.vector ? refusal(state.vector.scalar_nodes) : null);
}

export async function shownView(body, vector) {
  const reason = refusal(vector.scalar_nodes);
  if (reason) state.view = "vector";
  showToggle(reason);
  if (state.view !== "scalar") return { body, trace: vector };
  const scalarBody = { ...body, view: "scalar" };
  const { response, data } = await postTrace(scalarBody);
  return response.ok ? { body: scalarBody, trace: data } : { error: data };
}

export function initViews(renderGraph) {
  for (const button of document.querySelectorAll("#view-toggle button")) {
    button.addEventListener("click", () => {
      if (state.view === button.dataset.view) return;
      state.view = button.dataset.view;
      // the two views' steps do not correspond: the new one starts from step 0
      renderGraph(0);
    });
  }
}
