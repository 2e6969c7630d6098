// The form, the variables table, the player, keys and the URL: what the user does, turned into
// requests (/api/trace, /api/export) and steps.

import { postJson, postTrace } from "./api.js";
import { fmt } from "./format.js";
import { loadSvg, respeak } from "./graph.js";
import { $, el } from "./dom.js";
import { errorText, messageText, onLang, t, tn, warningsOf } from "./i18n.js";
import { drawPanel } from "./panel.js";
import { initPlayer, playWords, readUrl, saveUrl, setStep } from "./player.js";
import { coldStart, initPresets, relabelPresets, showCaption } from "./presets.js";
import { index, state } from "./state.js";
import { initTraining, showParameters } from "./training.js";
import {
  carriedValues, fillVariables, markFresh, markStale, onChange, relabelVariables, schedule,
  showFieldError,
} from "./variables.js";
import { initViews, relabelViews, shownView } from "./views.js";
import { fitBox, onRelayout } from "./zoom.js";


// ------------------------------------------------------------------ requests

// keepShapes: send the shapes of the variables the user has not edited along with the edits,
// so that one edit never reshapes the rest (a bias declared 3×1 must not turn X into 3×1).
function requestBody(keepShapes) {
  const body = { expression: $("expr").value, f: $("f").value };
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  const variables = {};
  if (keepShapes) {
    for (const [name, v] of Object.entries(state.vector.variables)) {
      variables[name] = { shape: v.shape };
    }
  }
  Object.assign(variables, state.overrides);
  if (Object.keys(variables).length) body.variables = variables;
  return body;
}

// Lay the graph out for the form's expression; on an error the last good diagram stays. A new
// expression keeps the values of every variable whose name and shape it leaves unchanged.
// `fresh` (a preset): the form's overrides are the whole story, nothing carries over.
export async function renderGraph(targetStep, { fresh = false } = {}) {
  const previous = fresh ? null : state.vector;
  const newExpression = previous && $("expr").value !== previous.expression;
  if (newExpression) state.overrides = {};
  const keepShapes = Boolean(previous && !newExpression && Object.keys(state.overrides).length);
  let body = requestBody(keepShapes);
  if (body.seed !== undefined && !(Number.isInteger(body.seed) && body.seed >= 0)) {
    showError({ error: t("ui.seed_error"), position: null });
    return;
  }
  const sequence = ++state.sequence;
  let response;
  let data;
  let shown;
  try {
    ({ response, data } = await postTrace(body));
    if (!response.ok && keepShapes) {
      // The edit needs other shapes to change too (W 3×4 → 5×4 makes b 5×1): infer them.
      body = requestBody(false);
      ({ response, data } = await postTrace(body));
    }
    const kept = response.ok && newExpression ? carriedValues(previous, data) : {};
    if (Object.keys(kept).length) {
      state.overrides = kept;
      const again = requestBody(false);
      const second = await postTrace(again);
      if (second.response.ok) [body, response, data] = [again, second.response, second.data];
      else state.overrides = {};
    }
    if (response.ok) shown = await shownView(body, data);
  } catch (err) {
    if (sequence === state.sequence) {
      const params = { why: err.message };
      showError({ code: "ui.no_answer", params, error: t("ui.no_answer", params), position: null });
    }
    return;
  }
  await ready; // the first time: the examples' row, before anything is drawn or sized
  if (sequence !== state.sequence) return;
  if (!response.ok) {
    showError(data, body.expression);
    return;
  }
  if (shown.error) {
    showError(shown.error, body.expression);
    return;
  }
  const keep = targetStep ?? (newExpression || !previous ? 0 : state.step);
  load(shown.trace, shown.body, data);
  markFresh();
  showCaption();
  setStep(Math.min(keep, shown.trace.steps.length));
  performance.mark("graph-shown");
}

// `vector`: the vector view's trace of the same request (the table's variables); `trace` is the
// view shown, the same one or the scalar view's.
function load(trace, body, vector) {
  state.trace = trace;
  state.request = body;
  state.vector = vector;
  index(trace);
  loadSvg(trace);
  $("timeline").max = String(trace.steps.length);
  $("expr-error").hidden = true;
  $("parsed").hidden = false;
  describe(trace);
  fillVariables(vector);
  showParameters(vector);
  showCaption(); // its line moves the graph's box down: in place before the box is sized
  fitBox();
}

// The words about the trace shown: the graph's name, how the expression was read, the warnings.
function describe(trace) {
  $("graph").setAttribute("aria-label",
    t("ui.graph_of", { parsed: trace.parsed, n: trace.nodes.length }));
  $("parsed").replaceChildren(...tn("ui.showing", { parsed: el("code", {}, trace.parsed) }),
    " · ", trace.output, " = ", el("span", { class: "output-value" }, fmt(trace.value)),
    ...(trace.gradient_check ? [" · ", checkBadge(trace.gradient_check)] : []));
  const warnings = $("warnings");
  warnings.replaceChildren(...warningsOf(trace).map((w, i) => el("li", {}, messageText(w),
    ...(i < (trace.splits ?? []).length ? [" ", readWhole(trace.splits[i])] : []))));
  warnings.hidden = trace.warnings.length === 0;
}

// A run the server read as a product (Wx → W · x; its warning is warnings[i] for splits[i]):
// one click declares it, so it is read as one name.
function readWhole(name) {
  const button = el("button", { type: "button", class: "read-whole" },
    t("ui.read_whole", { name }));
  button.addEventListener("click", () => {
    state.overrides[name] = {};
    renderGraph();
  });
  return button;
}

// "gradient check: max rel. error 3e−11": backprop against central differences; a click shows
// the table at the last step.
const CHECK_TOLERANCE = 1e-6;

function checkBadge(check) {
  const ok = check.max_rel_error !== null && check.max_rel_error < CHECK_TOLERANCE;
  const error = check.max_rel_error === null ? t("ui.check.not_checked")
    : fmt(check.max_rel_error);
  const badge = el("button", {
    type: "button", id: "gradcheck", class: `badge ${ok ? "ok" : "bad"}`,
    title: t(check.method === "direction" ? "ui.check.title_direction" : "ui.check.title",
      { checked: check.checked, total: check.total }),
  }, t("ui.check.badge", { error }));
  badge.addEventListener("click", () => setStep(Number.MAX_SAFE_INTEGER));
  return badge;
}

let shownError = []; // the error under the expression, drawn again at a new language

function showError(err, expression) {
  markFresh();
  // a variable's edit failed: say so beside it, where the user is typing
  if (showFieldError(() => errorText(err))) {
    $("expr-error").hidden = true;
    return;
  }
  shownError = [err, expression];
  drawError(err, expression);
}

function drawError(err, expression) {
  const box = $("expr-error");
  const parts = [el("p", { class: "error-msg" }, errorText(err))];
  if (Number.isInteger(err.position) && typeof expression === "string") {
    parts.push(caret(expression, err.position));
  }
  if (state.trace) {
    parts.push(el("p", { class: "help" }, t("ui.still_shows")));
  }
  box.replaceChildren(...parts);
  box.hidden = false;
}

// The line of the expression holding `position` (0-based, in characters) with a ^ under it.
function caret(expression, position) {
  const chars = Array.from(expression);
  const pos = Math.min(position, chars.length);
  let start = pos;
  while (start > 0 && chars[start - 1] !== "\n") start -= 1;
  let end = pos;
  while (end < chars.length && chars[end] !== "\n") end += 1;
  const line = chars.slice(start, end).join("").replace(/\t/g, " ");
  const lineNo = chars.slice(0, start).filter((c) => c === "\n").length + 1;
  const where = t("ui.caret_where", { line: lineNo, column: pos - start + 1 });
  return el("figure", { class: "caret-fig" },
    // The caret's line repeats the text before it, invisibly, so the ^ lands under the right
    // character even where a glyph (ᵀ, σ) is wider or narrower than the monospace cell.
    el("pre", { class: "caret", "aria-label": t("ui.caret_label", { where, line }) },
      `${line}\n`, el("span", { class: "caret-pad", "aria-hidden": "true" },
        chars.slice(start, pos).join("").replace(/\t/g, " ")), "^"),
    el("figcaption", {}, where));
}

// One step's diagram, or (steps = "all") every step: a PDF page each, or the standalone page.
async function exportAs(format, steps) {
  if (!state.request) return;
  // a one-step diagram comes in the theme the page is shown in (the every-step files carry
  // the page's own styles)
  const theme = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  const which = steps === "all" ? "steps=all" : `step=${state.step}&theme=${theme}`;
  const url = `/api/export?format=${encodeURIComponent(format)}&${which}`;
  const response = await postJson(url, state.request);
  if (!response.ok) {
    const err = await response.json().catch(() => ({ error: response.statusText }));
    showError(err, state.request.expression);
    return;
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || `backprop.${format}`;
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// A new language: every word drawn again, the graph, its step, zoom and numbers left as they are.
function relabel() {
  if (state.trace) {
    describe(state.trace);
    relabelVariables();
    respeak();
    setStep(state.step);
  } else {
    saveUrl();
  }
  if (!$("expr-error").hidden) drawError(...shownError);
  playWords();
  relabelPresets();
  relabelViews();
}

// ------------------------------------------------------------------ wiring

let ready = Promise.resolve();

// `loadMath` fetches KaTeX (static/js/math.js): after the first graph is drawn, since parsing its
// module would hold the main thread up just as the first answer arrives; the panel is typeset
// once it is in.
export function initControls(loadMath) {
  $("expr-form").addEventListener("submit", (event) => {
    event.preventDefault();
    renderGraph();
  });
  $("expr").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      renderGraph();
    }
  });
  $("expr").addEventListener("input", () => {
    if (state.trace && $("expr").value !== state.trace.expression) {
      markStale(() => t("ui.changed"));
    } else if (state.trace) {
      markFresh();
    }
  });
  $("f").addEventListener("change", () => schedule(0));
  $("seed").addEventListener("input", () => schedule());
  for (const button of document.querySelectorAll(".exports button")) {
    button.addEventListener("click", () => exportAs(button.dataset.format, button.dataset.steps));
  }
  $("reset-vars").addEventListener("click", () => {
    state.overrides = {};
    renderGraph();
  });
  onChange(renderGraph);
  onLang(relabel);
  // the step as it is when the new layout comes: a key pressed meanwhile is kept
  onRelayout(() => renderGraph());
  initViews(renderGraph);
  initTraining(renderGraph);
  initPlayer();
  // the examples' row must be in place before the graph's box is sized; KaTeX need not be: the
  // first graph is drawn without waiting for it, and the panel is typeset once it is in
  ready = initPresets(renderGraph);
  const step = readUrl();
  const first = new URLSearchParams(location.search).has("expr") ? renderGraph(step)
    // the cold page is the Lecture 3 preset, numbers included, once the presets are in
    : ready.then(() => renderGraph(step, { fresh: coldStart() }));
  // typeset the panel once KaTeX is in (unless the user is already typing in it, as practice
  // asks); the graph, its zoom and pan stay as they are
  first.finally(() => loadMath().then(() => {
    if (state.trace && !$("panel").contains(document.activeElement)) drawPanel();
  }));
}
