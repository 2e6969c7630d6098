// The form, the variables table, the player, keys and the URL: what the user does, turned into
// requests (/api/trace, /api/export) and steps.

import { MINUS, fmt } from "./format.js";
import { fit, fitBox, loadSvg, showStep, zoomIn, zoomOut } from "./graph.js";
import { drawPanel, el } from "./panel.js";
import { index, state } from "./state.js";

const PLAY_INTERVAL_MS = 900;
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ requests

// keepShapes: send the shapes of the variables the user has not edited along with the edits,
// so that one edit never reshapes the rest (a bias declared 3×1 must not turn X into 3×1).
function requestBody(keepShapes) {
  const body = { expression: $("expr").value, f: $("f").value };
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  const variables = {};
  if (keepShapes) {
    for (const [name, v] of Object.entries(state.trace.variables)) {
      variables[name] = { shape: v.shape };
    }
  }
  Object.assign(variables, state.overrides);
  if (Object.keys(variables).length) body.variables = variables;
  return body;
}

async function postJson(url, body) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

// Lay the graph out for the form's expression; on an error the last good diagram stays.
export async function renderGraph(targetStep) {
  if (state.trace && $("expr").value !== state.trace.expression) state.overrides = {};
  const keepShapes = Boolean(state.trace && Object.keys(state.overrides).length);
  let body = requestBody(keepShapes);
  if (body.seed !== undefined && !(Number.isInteger(body.seed) && body.seed >= 0)) {
    showError({ error: "seed must be a whole number, 0 or more", position: null });
    return;
  }
  const sequence = ++state.sequence;
  let response;
  let data;
  try {
    response = await postJson("/api/trace", body);
    data = await response.json();
    if (!response.ok && keepShapes) {
      // The edit needs other shapes to change too (W 3×4 → 5×4 makes b 5×1): infer them.
      body = requestBody(false);
      response = await postJson("/api/trace", body);
      data = await response.json();
    }
  } catch (err) {
    if (sequence === state.sequence) {
      showError({ error: `no answer from the server (${err.message})`, position: null });
    }
    return;
  }
  if (sequence !== state.sequence) return;
  if (!response.ok) {
    showError(data, body.expression);
    return;
  }
  const sameExpression = state.trace && state.trace.expression === data.expression;
  const keep = targetStep ?? (sameExpression ? state.step : 0);
  load(data, body);
  setStep(Math.min(keep, data.steps.length));
  performance.mark("graph-shown");
}

function load(trace, body) {
  state.trace = trace;
  state.request = body;
  index(trace);
  loadSvg(trace);
  $("graph").setAttribute("aria-label",
    `Computation graph of ${trace.parsed}: ${trace.nodes.length} nodes`);
  $("timeline").max = String(trace.steps.length);
  $("expr-error").hidden = true;
  $("parsed").hidden = false;
  $("parsed").replaceChildren("Showing ", el("code", {}, trace.parsed),
    " (read with explicit operators) · ", trace.output, " = ",
    el("span", { class: "output-value" }, fmt(trace.value)));
  const warnings = $("warnings");
  warnings.replaceChildren(...trace.warnings.map((w) => el("li", {}, w)));
  warnings.hidden = trace.warnings.length === 0;
  fillVariables(trace);
  fitBox();
}

function showError(err, expression) {
  const box = $("expr-error");
  const parts = [el("p", { class: "error-msg" }, err.error || "something went wrong")];
  if (Number.isInteger(err.position) && typeof expression === "string") {
    parts.push(caret(expression, err.position));
  }
  if (state.trace) {
    parts.push(el("p", { class: "help" }, "The diagram below still shows the last expression ",
      "that worked."));
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
  const where = `line ${lineNo}, column ${pos - start + 1}`;
  return el("figure", { class: "caret-fig" },
    // The caret's line repeats the text before it, invisibly, so the ^ lands under the right
    // character even where a glyph (ᵀ, σ) is wider or narrower than the monospace cell.
    el("pre", { class: "caret", "aria-label": `at ${where}: ${line}` },
      `${line}\n`, el("span", { class: "caret-pad", "aria-hidden": "true" },
        chars.slice(start, pos).join("").replace(/\t/g, " ")), "^"),
    el("figcaption", {}, where));
}

async function exportAs(format) {
  if (!state.request) return;
  const url = `/api/export?format=${encodeURIComponent(format)}&step=${state.step}`;
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

// ------------------------------------------------------------------ variables table

function fillVariables(trace) {
  const rows = Object.entries(trace.variables).map(([name, v]) => {
    const edited = name in state.overrides;
    const shape = el("input", {
      type: "text", value: `${v.shape[0]}×${v.shape[1]}`, size: "6",
      "aria-label": `shape of ${name}`, spellcheck: "false",
    });
    const value = el("textarea", {
      rows: String(Math.min(v.value.length, 6)), spellcheck: "false",
      "aria-label": `value of ${name}, one row per line`,
    });
    value.value = v.value.map((row) => row.map((x) => String(x)).join("  ")).join("\n");
    shape.addEventListener("input", () => edit(name, "shape", shape.value));
    value.addEventListener("input", () => edit(name, "value", value.value));
    return el("tr", { class: edited ? "edited" : null },
      el("th", { scope: "row" }, name), el("td", {}, shape), el("td", {}, value));
  });
  $("vars-table").tBodies[0].replaceChildren(...rows);
}

// Remember an edit as the request will send it; a field that does not parse says so on Render.
function edit(name, field, text) {
  state.overrides[name] = field === "shape"
    ? { shape: parseShape(text) }
    : { value: parseValue(text) };
}

function parseShape(text) {
  const dims = text.split(/[×x*,\s]+/).filter(Boolean).map(Number);
  return dims.length === 2 ? dims : text;
}

// Rows on lines (or separated by ;), numbers by spaces or commas: a matrix row by row.
function parseValue(text) {
  const rows = text.split(/[\n;]/).map((r) => r.trim()).filter(Boolean)
    .map((r) => r.split(/[\s,]+/).filter(Boolean).map((x) => Number(x.replaceAll(MINUS, "-"))));
  return rows.length && rows.every((r) => r.every(Number.isFinite)) ? rows : text;
}

// ------------------------------------------------------------------ stepping

export function setStep(k) {
  const trace = state.trace;
  if (!trace) return;
  const n = trace.steps.length;
  state.step = Math.max(0, Math.min(n, k));
  if (state.step === n) stopPlaying();
  showStep(state.step);
  drawPanel();
  const step = trace.steps[state.step - 1];
  const phase = step ? step.phase : "forward";
  const counter = `step ${state.step} of ${n} · ${phase}`;
  $("counter").textContent = counter;
  $("timeline").value = String(state.step);
  $("timeline").setAttribute("aria-valuetext", counter);
  $("first").disabled = $("prev").disabled = state.step === 0;
  $("next").disabled = $("last").disabled = state.step === n;
  saveUrl();
}

function togglePlay() {
  if (state.playing) {
    stopPlaying();
    return;
  }
  if (!state.trace) return;
  if (state.step === state.trace.steps.length) setStep(0);
  state.playing = setInterval(() => setStep(state.step + 1), PLAY_INTERVAL_MS);
  $("play").textContent = "Pause";
  $("play").setAttribute("aria-label", "Pause");
  $("play").setAttribute("aria-pressed", "true");
}

function stopPlaying() {
  if (!state.playing) return;
  clearInterval(state.playing);
  state.playing = null;
  $("play").textContent = "Play";
  $("play").setAttribute("aria-label", "Play");
  $("play").setAttribute("aria-pressed", "false");
}

function onKey(event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    renderGraph();
    return;
  }
  // Keys belong to whatever the user is typing in (the slider handles its own arrows).
  if (event.target instanceof Element
    && event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.altKey || event.ctrlKey || event.metaKey || !state.trace) return;
  const views = { "+": zoomIn, "=": zoomIn, "-": zoomOut, 0: fit };
  if (event.key in views) {
    event.preventDefault();
    views[event.key]();
    return;
  }
  const moves = {
    ArrowRight: state.step + 1, ArrowLeft: state.step - 1, Home: 0, End: state.trace.steps.length,
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  stopPlaying();
  setStep(moves[event.key]);
}

// The URL follows the step, at most every 150 ms: history.replaceState was the second cost of
// a step, and holding a key down steps faster than that.
let urlTimer = null;

function saveUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(writeUrl, 150);
}

function writeUrl() {
  const params = new URLSearchParams({
    expr: state.request.expression, f: state.request.f, seed: String(state.request.seed ?? 0),
    step: String(state.step),
  });
  if (state.request.variables) params.set("vars", JSON.stringify(state.request.variables));
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

// The URL's state into the form; returns the step to open at.
function readUrl() {
  const params = new URLSearchParams(location.search);
  if (params.has("expr")) $("expr").value = params.get("expr");
  if (params.has("f")) $("f").value = params.get("f");
  if (params.has("seed")) $("seed").value = params.get("seed");
  if (params.has("vars")) {
    try {
      state.overrides = JSON.parse(params.get("vars")) || {};
    } catch {
      state.overrides = {};
    }
  }
  const step = Number.parseInt(params.get("step") ?? "0", 10);
  return Number.isNaN(step) ? 0 : step;
}

export function initControls() {
  $("expr-form").addEventListener("submit", (event) => {
    event.preventDefault();
    renderGraph();
  });
  $("first").addEventListener("click", () => setStep(0));
  $("prev").addEventListener("click", () => setStep(state.step - 1));
  $("next").addEventListener("click", () => setStep(state.step + 1));
  $("last").addEventListener("click", () => setStep(Number.MAX_SAFE_INTEGER));
  $("play").addEventListener("click", togglePlay);
  $("timeline").addEventListener("input", () => {
    stopPlaying();
    setStep(Number($("timeline").value));
  });
  for (const button of document.querySelectorAll(".exports button")) {
    button.addEventListener("click", () => exportAs(button.dataset.format));
  }
  $("reset-vars").addEventListener("click", () => {
    state.overrides = {};
    renderGraph();
  });
  document.addEventListener("keydown", onKey);
  renderGraph(readUrl());
}
