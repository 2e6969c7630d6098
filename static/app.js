// The step-through page. One request lays the graph out (/api/trace); every step after that is
// pure client-side work: classes change on the SVG already on screen, the panel is redrawn from
// the trace, and the URL (?expr, f, seed, step, vars) records where we are.
"use strict";

const PLAY_INTERVAL_MS = 900;
const MAX_SHOWN = 6; // a matrix larger than this (rows or columns) is summarised in the panel
const MINUS = "\u2212";
const MIN_SCALE = 0.75; // below this the graph's text is too small: scroll sideways instead
const PX_PER_PT = 4 / 3;

const state = {
  trace: null, // the last good trace
  request: null, // the body that produced it (exports reuse it)
  step: 0,
  nodes: new Map(), // node id → trace node
  groups: new Map(), // node id → its <g> in the SVG
  edges: [], // {edge, group}
  overrides: {}, // variable name → {value} or {shape}, edited by the user
  playing: null, // interval id while playing
  sequence: 0, // the newest request; older answers are dropped
};

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ small DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// ------------------------------------------------------------------ numbers and matrices

const NON_FINITE = { NaN: "NaN", Infinity: "∞", "-Infinity": MINUS + "∞" };

function fmt(v) {
  if (typeof v === "string") return NON_FINITE[v] ?? v;
  if (v === 0) return "0";
  const a = Math.abs(v);
  const text = a >= 1e4 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  return text.replace(/-/g, MINUS);
}

function shapeText(a) {
  return `${a.length}×${a[0].length}`;
}

// Indices to show along one axis: all, or the first three, a gap (null), and the last two.
function shownIndices(n) {
  if (n <= MAX_SHOWN) return [...Array(n).keys()];
  return [0, 1, 2, null, n - 2, n - 1];
}

function matrix(a, tone) {
  const rows = shownIndices(a.length);
  const cols = shownIndices(a[0].length);
  const body = rows.map((i) =>
    el("tr", {}, cols.map((j) => {
      if (i === null) return el("td", { class: "gap" }, j === null ? "⋱" : "⋮");
      return el("td", j === null ? { class: "gap" } : {}, j === null ? "⋯" : fmt(a[i][j]));
    })),
  );
  const summarised = rows.includes(null) || cols.includes(null);
  return el("figure", { class: `mat-fig ${tone || ""}` },
    el("span", { class: "mat" }, el("table", { class: "matrix" }, el("tbody", {}, body))),
    el("figcaption", {}, shapeText(a) + (summarised ? " (summarised)" : "")));
}

// ------------------------------------------------------------------ requests

function requestBody() {
  const body = { expression: $("expr").value, f: $("f").value };
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  if (Object.keys(state.overrides).length) body.variables = state.overrides;
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
async function renderGraph(targetStep) {
  if (state.trace && $("expr").value !== state.trace.expression) state.overrides = {};
  const body = requestBody();
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
}

function load(trace, body) {
  state.trace = trace;
  state.request = body;
  state.nodes = new Map(trace.nodes.map((n) => [n.id, n]));
  const doc = new DOMParser().parseFromString(trace.svg, "image/svg+xml");
  const svg = document.importNode(doc.documentElement, true);
  svg.setAttribute("aria-hidden", "true");
  svg.style.minWidth = `${Math.round(svg.viewBox.baseVal.width * PX_PER_PT * MIN_SCALE)}px`;
  $("graph").replaceChildren(svg);
  state.groups = new Map();
  for (const g of svg.querySelectorAll("g.node")) state.groups.set(g.id, g);
  const byId = new Map([...svg.querySelectorAll("g.edge")].map((g) => [
    `${g.dataset.source}|${g.dataset.target}|${g.dataset.port}`, g]));
  state.edges = trace.edges.map((edge) => ({
    edge, group: byId.get(`${edge.source}|${edge.target}|${edge.port}`),
  }));
  $("graph").setAttribute("aria-label",
    `Computation graph of ${trace.parsed}: ${trace.nodes.length} nodes`);
  $("timeline").max = String(trace.steps.length);
  $("expr-error").hidden = true;
  $("parsed").hidden = false;
  $("parsed").replaceChildren("Showing ", el("code", {}, trace.parsed),
    ` (read with explicit operators) · ${trace.output} = ${fmt(trace.value)}`);
  const warnings = $("warnings");
  warnings.replaceChildren(...trace.warnings.map((w) => el("li", {}, w)));
  warnings.hidden = trace.warnings.length === 0;
  fillVariables(trace);
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

function setStep(k) {
  const trace = state.trace;
  if (!trace) return;
  const n = trace.steps.length;
  state.step = Math.max(0, Math.min(n, k));
  if (state.step === n) stopPlaying();
  applyClasses();
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

// Which nodes have a value, which a gradient, which is current: step k's classes on the SVG.
function applyClasses() {
  const done = state.trace.steps.slice(0, state.step);
  const forward = new Set(done.filter((s) => s.phase === "forward").map((s) => s.node));
  const backward = new Set(done.filter((s) => s.phase === "backward").map((s) => s.node));
  const current = done.length ? done[done.length - 1] : null;
  for (const [id, g] of state.groups) {
    g.classList.toggle("fwd-done", forward.has(id));
    g.classList.toggle("grad-done", backward.has(id));
    g.classList.toggle("current", current !== null && current.node === id);
  }
  for (const { edge, group } of state.edges) {
    group.classList.toggle("fwd-done", forward.has(edge.source));
    group.classList.toggle("grad-done", backward.has(edge.target));
    group.classList.toggle("active", current !== null && edge.target === current.node);
    group.classList.toggle("upstream", current !== null && current.phase === "backward"
      && edge.source === current.node);
  }
  $("graph").dataset.phase = current ? current.phase : "start";
  if (current) keepInView(state.groups.get(current.node));
}

// Scroll the graph box (never the page) so the current node is visible: a large graph scrolls
// inside its box, which is at most 80% of the window high.
function keepInView(group) {
  const box = $("graph");
  const view = box.getBoundingClientRect();
  const node = group.getBoundingClientRect();
  if (node.left < view.left || node.right > view.right) {
    box.scrollLeft += node.left - view.left - (view.width - node.width) / 2;
  }
  if (node.top < view.top || node.bottom > view.bottom) {
    box.scrollTop += node.top - view.top - (view.height - node.height) / 2;
  }
}

function drawPanel() {
  const trace = state.trace;
  const step = trace.steps[state.step - 1];
  const n = trace.steps.length;
  if (!step) {
    $("panel").replaceChildren(
      el("h2", {}, `Step 0 of ${n}`),
      el("p", {}, "Nothing is computed yet. Press → (or Next) to run the forward pass one node ",
        "at a time; the backward pass follows, from ", el("strong", {}, trace.output),
        " back to every variable."));
    return;
  }
  const node = state.nodes.get(step.node);
  const head = el("h2", {},
    el("span", { class: `phase ${step.phase}` }, step.phase),
    ` step ${state.step} of ${n}: `, el("span", { class: "node-name" }, node.label));
  const body = step.phase === "forward" ? forwardPanel(step, node) : backwardPanel(step, node);
  $("panel").replaceChildren(head, ...body);
}

function inputsOf(nodeId) {
  return state.trace.edges.filter((e) => e.target === nodeId)
    .sort((a, b) => a.port - b.port).map((e) => state.nodes.get(e.source));
}

// "label = [matrix]"; a long label goes above its matrix so the panel stays narrow.
function term(label, array, tone) {
  return el("div", { class: label.length > 14 ? "term stacked" : "term" },
    el("span", { class: "term-label" }, label), matrix(array, tone));
}

function forwardPanel(step, node) {
  if (node.kind === "variable") {
    return [el("p", {}, el("strong", {}, node.label),
      " is a variable: its value is given (or drawn from the seed)."),
    term(`${node.label} =`, step.value, "val")];
  }
  if (node.kind === "constant") {
    return [el("p", {}, "A constant: it takes part in the forward pass but gets no gradient."),
      term(`${node.label} =`, step.value, "val")];
  }
  return [
    el("p", { class: "formula" }, el("code", {}, step.formula)),
    el("h3", {}, "with"),
    el("div", { class: "terms" },
      inputsOf(node.id).map((i) => term(`${i.label} =`, i.value, "val"))),
    el("h3", {}, "gives"),
    term(`${node.label} =`, step.value, "val"),
  ];
}

// ∂a/∂b for two node labels, compound ones in parentheses.
function ratio(a, b) {
  const wrap = (label) => (label.includes(" ") ? `(${label})` : label);
  return `∂${wrap(a)}/∂${wrap(b)}`;
}

function backwardPanel(step, node) {
  const out = state.trace.output;
  const up = ratio(out, node.label);
  const parts = [el("h3", {}, "Upstream gradient ", el("code", {}, up))];
  if (step.contributions.length === 0) {
    parts.push(el("p", {}, `The backward pass starts at the output: ${up} = 1.`));
  }
  if (step.contributions.length > 1) {
    parts.push(el("p", {}, `${node.label} feeds ${step.contributions.length} nodes, so its `,
      "gradient is the sum of what each of them sends back:"));
    parts.push(el("div", { class: "terms sum" }, step.contributions.map((c, i) =>
      term(`${i ? "+ " : ""}from ${state.nodes.get(c.node).label}`, c.downstream, "grad"))));
    parts.push(el("p", {}, "="));
  }
  parts.push(matrix(step.upstream, "grad"));
  if (node.kind === "variable") {
    parts.push(el("p", {}, `${node.label} is a variable: ${up} is its gradient, in its own `,
      "shape, and the backward pass is done with it."));
  }
  for (const input of step.inputs) {
    const source = state.nodes.get(input.node);
    const local = ratio(node.label, source.label);
    parts.push(el("section", { class: "input" },
      el("h3", {}, `Input ${input.port + 1}: `, el("code", {}, source.label)),
      el("p", {}, "Local Jacobian ", el("code", {}, `${local} = ${input.local_formula}`)),
      input.local === null
        ? el("p", { class: "note" }, "too large to show (more than 4096 numbers)")
        : matrix(input.local, "local"),
      el("p", {}, "Downstream gradient ", el("code", {}, ratio(out, source.label)),
        " = upstream × local"),
      matrix(input.downstream, "grad")));
  }
  return parts;
}

// ------------------------------------------------------------------ play, keys, URL

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
  // Arrow keys belong to whatever the user is typing in (the slider handles its own).
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.altKey || event.ctrlKey || event.metaKey || !state.trace) return;
  const moves = {
    ArrowRight: state.step + 1, ArrowLeft: state.step - 1, Home: 0, End: state.trace.steps.length,
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  stopPlaying();
  setStep(moves[event.key]);
}

function saveUrl() {
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

function init() {
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

document.addEventListener("DOMContentLoaded", init);
