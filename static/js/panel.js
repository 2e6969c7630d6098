// The step panel: what step k computed, in full, from the trace.

import { fmt, shapeText } from "./format.js";
import { downstreamOf, state } from "./state.js";

const MAX_SHOWN = 6; // a matrix larger than this (rows or columns) is summarised in the panel
const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
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

// "label = [matrix]"; a long label goes above its matrix so the panel stays narrow.
function term(label, array, tone) {
  return el("div", { class: label.length > 14 ? "term stacked" : "term" },
    el("span", { class: "term-label" }, label), matrix(array, tone));
}

// ∂a/∂b for two node labels, compound ones in parentheses.
function ratio(a, b) {
  const wrap = (label) => (label.includes(" ") ? `(${label})` : label);
  return `∂${wrap(a)}/∂${wrap(b)}`;
}

export function drawPanel() {
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

function forwardPanel(step, node) {
  if (node.kind === "variable") {
    return [el("p", {}, el("strong", {}, node.label),
      " is a variable: its value is given (or drawn from the seed)."),
    term(`${node.label} =`, node.value, "val")];
  }
  if (node.kind === "constant") {
    return [el("p", {}, "A constant: it takes part in the forward pass but gets no gradient."),
      term(`${node.label} =`, node.value, "val")];
  }
  return [
    el("p", { class: "formula" }, el("code", {}, step.formula)),
    el("h3", {}, "with"),
    el("div", { class: "terms" },
      node.inputs.map((id) => state.nodes.get(id))
        .map((i) => term(`${i.label} =`, i.value, "val"))),
    el("h3", {}, "gives"),
    term(`${node.label} =`, node.value, "val"),
  ];
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
      term(`${i ? "+ " : ""}from ${state.nodes.get(c.node).label}`,
        downstreamOf(step.node, c.node, c.port), "grad"))));
    parts.push(el("p", {}, "="));
  }
  parts.push(matrix(node.grad, "grad"));
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
      matrix(downstreamOf(input.node, step.node, input.port), "grad")));
  }
  return parts;
}
