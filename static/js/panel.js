// The step panel: what step k computed, typeset, from the trace. A backward step is shown in
// the lecture's shape convention (every gradient in its parameter's shape, factors with their
// shapes under them) or, on the toggle, in the Jacobian form (a row times the local Jacobian).

import { askBackward, scoreParts } from "./ask.js";
import { $, el } from "./dom.js";
import { currentLang, messageText, t, tn } from "./i18n.js";
import { linkPanel } from "./links.js";
import { equation, math, typeset } from "./math.js";
import { downstreamOf, state } from "./state.js";
import { drawSummary } from "./summary.js";
import { asRow, term, texMatrix, transpose, under } from "./tex.js";
import {
  definedDelta, definitions, givenNote, lectureName, saidPartial, stepTexts,
} from "./words.js";


// A product of factors may break between them (\allowbreak), as KaTeX breaks after = and + on
// its own, so that no equation is wider than the panel.
const OPERATORS = {
  "·": "\\,\\allowbreak", "∘": "\\circ", "+": "+", "−": "-", "/": "/", "⊗": "\\otimes",
};

// Built panels, by step, for one trace, form, typesetting and language: a step shown before is put back
// as it was, and the steps either side are built in idle time, so a step's key press pays for
// no KaTeX. Practice mode's panels change as the user answers: they are never kept.
const MAX_KEPT = 64;
const kept = { trace: null, form: null, typeset: null, lang: null, panels: new Map() };
let generation = 0; // of the kept panels: a spare of another trace, form or language is stale

function keptPanels() {
  if (kept.trace !== state.trace || kept.form !== state.form || kept.typeset !== typeset()
    || kept.lang !== currentLang()) {
    Object.assign(kept, { trace: state.trace, form: state.form, typeset: typeset(),
      lang: currentLang() });
    kept.panels = new Map();
    generation++;
  }
  return kept.panels;
}

function panelFor(k) {
  if (state.practice.on) return buildPanel(k);
  const panels = keptPanels();
  let parts = panels.get(k);
  if (parts) {
    panels.delete(k); // the newest at the end: the oldest is dropped first
  } else {
    parts = buildPanel(k);
  }
  panels.set(k, parts);
  if (panels.size > MAX_KEPT) panels.delete(panels.keys().next().value);
  return parts;
}

const idle = window.requestIdleCallback ?? ((fn) => setTimeout(fn, 30));

// The panel's spares: boxes stacked under it (workspace.html's .panel-stack), of its size
// (graph.js sizes them all), transparent and aria-hidden, their controls out of Tab's reach
// (`reachable`), each holding a step next to the one shown, built and laid out in idle time.
// Stepping onto a spare's step swaps which box is shown, and nothing that moves a box: the key
// press lays no panel out (a new panel's layout was 3.5 of a step's 6 ms), and restyles only
// the two boxes (app.css).
const spares = () => [...document.querySelectorAll(".panel-stack > .spare")];
const holds = (box, k) => box.dataset.step === String(k)
  && box.dataset.generation === String(generation);
const SHOWN = ["id", "tabindex", "aria-label", "data-i18n-aria-label"];

function swapIn(spare) {
  const panel = $("panel");
  const focused = panel.contains(document.activeElement);
  for (const name of SHOWN) {
    const value = panel.getAttribute(name);
    panel.removeAttribute(name);
    if (value !== null) spare.setAttribute(name, value);
  }
  panel.classList.add("spare");
  panel.setAttribute("aria-hidden", "true");
  reachable(panel, false);
  spare.classList.remove("spare");
  spare.removeAttribute("aria-hidden");
  reachable(spare, true);
  if (scrolled.delete(spare)) spare.scrollTop = 0; // scrolled while it was shown before
  if (focused) spare.focus({ preventScroll: true });
}

// What Tab can reach in a box: nothing while it is a spare (each control's tabindex -1, its
// own kept in data-tab), all of it again once it is shown. An attribute, not inert: inert is
// inherited style, which restyled every element of both boxes on each swap.
const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

function reachable(box, on) {
  if (on) {
    for (const item of box.querySelectorAll("[data-tab]")) {
      if (item.dataset.tab === "") item.removeAttribute("tabindex");
      else item.setAttribute("tabindex", item.dataset.tab);
      delete item.dataset.tab;
    }
    return;
  }
  for (const item of box.querySelectorAll(FOCUSABLE)) {
    if (item.dataset.tab === undefined) item.dataset.tab = item.getAttribute("tabindex") ?? "";
    item.tabIndex = -1;
  }
  box.tabIndex = -1; // a box that scrolls is a Tab stop of its own (swapIn moves the panel's)
}

// Step k's parts into `box` (the panel or a spare), leaving the box that held them, if one did;
// a practice panel is never a step to swap in again.
function fill(box, k, parts) {
  for (const other of box.parentElement.children) {
    if (other !== box && other.dataset.step === String(k)) other.dataset.step = "";
  }
  box.replaceChildren(...parts);
  Object.assign(box.dataset, { step: state.practice.on ? "" : k, generation });
}

// In idle time: a spare holds each step beside the one shown (its parts kept, or built now),
// laid out where it will be shown.
function prepare(k) {
  if (k < 0 || k > state.trace.steps.length) return;
  idle(() => {
    if (state.practice.on || !state.trace || Math.abs(k - state.step) !== 1) return;
    const all = spares();
    if (holds($("panel"), k) || all.some((box) => holds(box, k))) return;
    const free = all.find((box) => !holds(box, state.step - 1) && !holds(box, state.step + 1));
    if (!free) return;
    fill(free, k, panelFor(k));
    markScrolling(free);
    if (scrolled.delete(free)) free.scrollTop = 0; // a spare opens at its top, as a panel does
    linkPanel(free);
    reachable(free, false);
  });
}

// The boxes the user scrolled down: only those are scrolled back to the top when they are
// filled anew. Setting scrollTop lays the page out (20 ms of a cold load, for a box at 0).
const scrolled = new WeakSet();
let watching = false;

function watchScrolls(panel) {
  if (watching) return;
  watching = true;
  panel.parentElement.addEventListener("scroll", (event) => {
    if (event.target.scrollTop > 0) scrolled.add(event.target);
  }, { capture: true, passive: true });
}

export function drawPanel() {
  keptPanels();
  const k = state.step;
  const spare = state.practice.on ? null : spares().find((box) => holds(box, k));
  if (spare) {
    swapIn(spare);
  } else {
    const panel = $("panel");
    watchScrolls(panel);
    fill(panel, k, panelFor(k));
    reachable(panel, true); // kept parts a spare held come back within reach
    markScrolling(panel);
    if (scrolled.delete(panel)) panel.scrollTop = 0; // after markScrolling's one layout
  }
  linkPanel();
  prepare(k + 1);
  prepare(k - 1);
}

// An equation wider than the panel even when broken at = and between factors (a long label in a
// fraction) scrolls sideways: it is marked so (a cue at its edges), and Tab reaches it. Measured
// once per built equation; a kept panel keeps its marks.
function markScrolling(panel) {
  for (const m of panel.querySelectorAll(".eq > .math:not([data-measured])")) {
    m.dataset.measured = "";
    if (m.scrollWidth <= m.clientWidth + 1) continue;
    m.classList.add("scrolls");
    m.tabIndex = 0;
    m.setAttribute("role", "region");
    m.setAttribute("aria-label", t("panel.wide"));
  }
}

function buildPanel(k) {
  const trace = state.trace;
  const step = trace.steps[k - 1];
  const n = trace.steps.length;
  if (!step) {
    return [el("h2", {}, t("panel.step0_title", { n })),
      el("p", {}, ...tn("panel.step0", { output: el("strong", {}, trace.output) }))];
  }
  const node = state.nodes.get(step.node);
  const named = lectureName(node);
  const head = el("h2", {}, ...tn("panel.head", {
    phase: el("span", { class: `phase ${step.phase}` }, t(`ui.phase.${step.phase}`)), k, n,
    node: named
      ? math(`${term(node, named.name)} = ${term(node)}`, `${named.name} = ${node.label}`)
      : math(term(node), node.label) }));
  const body = step.phase === "forward" ? forwardPanel(step, node) : backwardPanel(step, node);
  if (k === n) body.push(...scoreParts(), ...drawSummary());
  return [head, ...body];
}

// "label = value" for a node, typeset; tone colours the numbers.
function valueEquation(node, array, tone, lhs = term(node)) {
  return equation(`${lhs} = ${texMatrix(array, tone)}`, `${node.label} = …`, node.label,
    [array]);
}

function forwardPanel(step, node) {
  if (node.kind === "variable") {
    return [el("p", {}, ...tn("panel.variable", { name: math(node.latex, node.label) })),
    valueEquation(node, node.value, "val")];
  }
  if (node.kind === "constant") {
    return [el("p", {}, t("panel.constant")),
      valueEquation(node, node.value, "val")];
  }
  const inputs = node.inputs.map((id) => state.nodes.get(id));
  return [
    equation(step.latex, step.formula, t("panel.what.forward")),
    el("h3", {}, t("panel.with")),
    ...inputs.map((i) => valueEquation(i, i.value, "val")),
    el("h3", {}, t("panel.gives")),
    valueEquation(node, node.value, "val"),
  ];
}

// ------------------------------------------------------------------ backward

function backwardPanel(step, node) {
  const names = definitions(stepTexts(step, node));
  if (state.practice.on) {
    return [...names,
      ...askBackward(step, node, { upstream: upstreamParts, input: inputParts, section })];
  }
  const parts = [...names, ...upstreamParts(step, node)];
  for (const input of step.inputs) {
    const source = state.nodes.get(input.node);
    parts.push(section(input, source, ...inputParts(step, node, input, source)));
  }
  return parts;
}

// The step's upstream gradient: named δ, summed over fan-out, a variable's closed form.
function upstreamParts(step, node) {
  const up = upstreamLatex(node);
  // where the δ is defined, its formula once: ∂J/∂θ = δ₂ = ŷ − y
  const defined = definedDelta(step);
  const formula = defined?.rhs ? ` = ${defined.rhs.latex}` : "";
  const named = step.delta?.equal ? `${up} = ${step.delta.latex}${formula}` : up;
  const parts = [el("h3", {}, t("panel.upstream_title"))];
  parts.push(...deltaNotes(step));
  if (step.contributions.length === 0) {
    parts.push(el("p", {}, t("panel.starts")));
  }
  if (step.contributions.length > 1) parts.push(...fanOut(step, node, up));
  // a variable's gradient in the closed form the engine composed: ∂s/∂W = δ xᵀ, said once
  // (∂s/∂b = δ, not ∂s/∂b = δ = δ)
  const closed = node.kind === "variable" ? state.trace.closed_forms?.[node.label] : null;
  const again = closed && step.delta?.equal && closed.text === step.delta.name;
  const lhs = closed && !again ? `${named} = ${closed.latex}` : named;
  parts.push(equation(`${lhs} = ${texMatrix(node.grad, "grad")}`, t("panel.upstream_text"),
    t("panel.what.upstream"), [node.grad]));
  parts.push(...givenNote(defined));
  if (node.kind === "variable") {
    parts.push(el("p", {}, t("panel.variable_done")));
  }
  return parts;
}

// The upstream ∂out/∂node, the node by the name the forms call it (∂s/∂h, not ∂s/∂(tanh(…))).
const upstreamLatex = (node) => saidPartial(state.nodes.get(state.trace.output_id), node);

function section(input, source, ...children) {
  const named = lectureName(source);
  const title = named
    ? math(`${term(source, named.name)} = ${term(source)}`, `${named.name} = ${source.label}`)
    : math(term(source), source.label);
  return el("section", { class: "input", "data-node": source.id },
    el("h3", {}, ...tn("panel.input", { port: input.port + 1, title })), ...children);
}

// What the step sends back to one input, in the form the toggle chose.
function inputParts(step, node, input, source) {
  return state.form === "jacobian" ? jacobianForm(step, node, input, source)
    : shapeForm(step, input, source);
}

function deltaNotes(step) {
  const d = step.delta;
  if (!d) return [];
  if (d.defines) {
    return [el("p", { class: "delta-note" }, ...tn("panel.delta_defines",
      { delta: math(d.latex, d.name) }))];
  }
  const source = state.nodes.get(state.trace.steps[d.step - 1].node);
  const params = { delta: math(d.latex, d.name), step: d.step,
    node: math(source.latex, source.label) };
  return [el("p", { class: "delta-note reuse" },
    ...tn(d.equal ? "panel.delta_reuses" : "panel.delta_from", params))];
}

function fanOut(step, node, up) {
  const parts = [el("p", {}, ...tn("panel.fan_out",
    { node: math(node.latex, node.label), count: step.contributions.length }))];
  if (step.fan_out) {
    parts.push(equation(step.fan_out.latex, step.fan_out.text, t("panel.what.sum")));
  }
  const arrays = step.contributions.map((c) => downstreamOf(step.node, c.node, c.port));
  const pieces = arrays.map((a) => texMatrix(a, "grad"));
  parts.push(equation(`${up} = ${pieces.join(" + ")}`, t("panel.sum_text"),
    t("panel.what.sum_numbers"), arrays));
  return parts;
}

// The array a factor of a shape-convention form stands for, as the trace gives it.
function factorArray(ref, step) {
  if (ref.upstream) return state.nodes.get(step.node).grad;
  if (ref.value) return ref.value;
  const node = state.nodes.get(ref.node);
  const a = ref.of === "grad" ? node.grad : node.value;
  return ref.transpose ? transpose(a) : a;
}

// A factor marked as the term of the node it comes from (the upstream: the step's node).
function factorTerm(f, step) {
  const id = f.ref.upstream ? step.node : f.ref.node;
  return id ? term(state.nodes.get(id), f.latex) : f.latex;
}

function joinFactors(form, each) {
  return form.factors.map((f, i) => (i ? ` ${OPERATORS[form.operators[i - 1]] ?? form.operators[i - 1]} ` : "")
    + each(f)).join("");
}

function shapeForm(step, input, source) {
  const down = downstreamOf(input.node, step.node, input.port);
  const form = input.shape_form;
  const withShapes = `${under(term(source, form.lhs.latex), form.lhs.shape)} = ${
    joinFactors(form, (f) => under(factorTerm(f, step), f.shape))}`;
  // one factor is the gradient itself: its numbers once (∂s/∂uᵀ = [..], not [..] = [..])
  const numbers = form.factors.length === 1
    ? `${term(source, form.lhs.latex)} = ${texMatrix(down, "grad")}`
    : `${joinFactors(form, (f) => texMatrix(factorArray(f.ref, step),
      f.ref.upstream || f.ref.of === "grad" ? "grad" : "val"))} = ${texMatrix(down, "grad")}`;
  return [
    el("p", { class: "rule" }, messageText({ ...form.note_code, text: form.note })),
    equation(withShapes, form.text, t("panel.what.rule", { node: source.label })),
    equation(numbers, form.text, t("panel.what.rule_numbers", { node: source.label }),
      [...form.factors.map((f) => factorArray(f.ref, step)), down]),
  ];
}

// The Jacobian form: the upstream as a row, times the local Jacobian, then the reshape; the
// shapes are the trace's (jacobian_form), the arrays the step's own, laid out as rows.
function jacobianForm(step, node, input, source) {
  const down = downstreamOf(input.node, step.node, input.port);
  const form = input.jacobian_form;
  const out = state.nodes.get(state.trace.output_id);
  const parts = [
    equation(form.latex, form.text, t("panel.what.jacobian", { node: source.label })),
    equation(`${saidPartial(node, source)} = ${input.local_latex}`, input.local_formula,
      t("panel.what.local")),
  ];
  const alone = { shape: false }; // each factor's shape is written under it already
  const row = under(texMatrix(asRow(node.grad), "grad", alone), form.upstream_shape);
  const product = under(texMatrix(asRow(down), "grad", alone), form.product_shape);
  if (input.local === null) {
    parts.push(el("p", { class: "note" }, t("panel.local_too_large")));
  } else {
    const jac = under(texMatrix(input.local, "local", alone), form.local_shape);
    parts.push(equation(`${row}\\,\\allowbreak ${jac} = ${product}`,
      t("panel.product_text"), t("panel.what.product"),
      [asRow(node.grad), input.local, asRow(down)]));
  }
  parts.push(el("p", { class: "rule" }, messageText({ ...form.reshape_code, text: form.reshape })));
  parts.push(valueEquation(source, down, "grad", saidPartial(out, source)));
  return parts;
}
