// The laid-out SVG: its slots filled from the trace, and step k's classes (zoom and pan are
// zoom.js's). A step touches only what changed between k and k ± 1, so it costs the same at
// 200 layers as at 1.

import { $ } from "./dom.js";
import { brief, fmt } from "./format.js";
import { flow, paint, reserve, scales, showScale } from "./heat.js";
import { t } from "./i18n.js";
import { linkGraph } from "./links.js";
import { edgeGradientShown, gradientShown } from "./practice.js";
import { downstreamOf, edgeId, state } from "./state.js";
import { boxOf, keepInView, view } from "./zoom.js";

const ENTRIES = 1; // a slot shows an array's first entry: its heat map shows the rest

const PENDING = "?";
const GRAD_MARK = "∇ ";


// Each node's <g> has four <text>: title, shape, value slot, gradient slot; an edge that
// carries a scalar has two (value, gradient): backprop_viz/render.py draws them in that order.
const NODE_ROLES = ["title", "shape", "val", "grad"];
const EDGE_ROLES = ["edge-val", "edge-grad"];

function slots(group, roles) {
  const texts = [...group.querySelectorAll("text")];
  const out = {};
  roles.forEach((role, i) => {
    if (texts[i]) {
      texts[i].classList.add(role);
      out[role] = texts[i];
    }
  });
  return out;
}

function setTitle(group, text) {
  const title = group.querySelector("title") ?? group.insertBefore(
    document.createElementNS("http://www.w3.org/2000/svg", "title"), group.firstChild);
  title.textContent = text;
}

// The SVG of a trace, its slots all pending. A trace of the structure already on screen (new
// numbers, docs/API.md) keeps the drawing, its measured boxes and its zoom: only the slots and
// classes are reset, so new numbers cost no parse of the SVG.
export function loadSvg(trace) {
  view.heat = scales(trace, state.downstream.values());
  showScale(view.heat, fmt, trace.nodes.some((n) => n.shape[0] * n.shape[1] > 1));
  if (view.svg && trace.svg === view.source) {
    reset();
    if (view.svg.parentNode !== $("graph")) $("graph").replaceChildren(view.svg);
    return;
  }
  const doc = new DOMParser().parseFromString(trace.svg, "image/svg+xml");
  const svg = document.importNode(doc.documentElement, true);
  const vb = svg.viewBox.baseVal;
  view.full = { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.querySelector("g.graph > title")?.remove();
  // a screen reader walks the nodes as a list, each with its name, shape and state; the
  // edges and the drawing's own text are not read
  svg.setAttribute("role", "list");
  svg.setAttribute("aria-label", t("ui.graph_nodes", { n: trace.nodes.length }));
  for (const hidden of svg.querySelectorAll("g.edge, g.graph > polygon, g.graph > text")) {
    hidden.setAttribute("aria-hidden", "true");
  }
  view.svg = svg;
  view.groups = new Map();
  view.edges = new Map();
  for (const node of trace.nodes) {
    const g = svg.getElementById(node.id);
    setTitle(g, node.label); // the hover text: the node's name, not "n3"
    g.setAttribute("role", "listitem");
    for (const part of g.children) part.setAttribute("aria-hidden", "true");
    view.groups.set(node.id, { g, slots: slots(g, NODE_ROLES), maps: reserve(g, node.shape) });
  }
  for (const e of trace.edges) {
    const g = svg.getElementById(edgeId(e));
    setTitle(g, `${state.nodes.get(e.source).label} → ${state.nodes.get(e.target).label}`);
    view.edges.set(edgeId(e), { g, slots: slots(g, EDGE_ROLES) });
  }
  view.source = trace.svg;
  view.boxes = new Map();
  reset();
  $("graph").replaceChildren(svg);
  linkGraph(boxOf);
}

const STEP_CLASSES = ["fwd-done", "grad-done", "current", "active", "upstream", "delta-source"];

function reset() {
  for (const [id, { g, slots: s, maps }] of view.groups) {
    g.classList.remove(...STEP_CLASSES);
    s.val.textContent = PENDING;
    s.grad.textContent = state.nodes.get(id).grad === null ? "" : GRAD_MARK + PENDING;
    paint(maps.val, null);
    paint(maps.grad, null);
  }
  for (const { g, slots: s } of view.edges.values()) {
    g.classList.remove(...STEP_CLASSES);
    flow(g, null);
    if (s["edge-val"]) s["edge-val"].textContent = "";
    if (s["edge-grad"]) s["edge-grad"].textContent = "";
  }
  view.applied = 0;
  view.current = null;
  $("graph").dataset.phase = "start";
  for (const id of view.groups.keys()) speakNode(id);
}


// What the list item of a node says: "W · x, 3×1 operation: value [−0.3; 0.3; …], gradient
// not computed yet" (and "current step" on the step's node).
function speakNode(id) {
  const { g, slots: s } = view.groups.get(id);
  const node = state.nodes.get(id);
  const value = s.val.textContent === PENDING ? t("ui.node.value_pending")
    : t("ui.node.value", { value: s.val.textContent });
  const grad = s.grad.textContent === "" ? t("ui.node.no_gradient")
    : s.grad.textContent.endsWith(PENDING) ? t("ui.node.gradient_pending")
      : t("ui.node.gradient", { grad: s.grad.textContent.slice(GRAD_MARK.length) });
  g.setAttribute("aria-label", t(g.classList.contains("current") ? "ui.node.said_current"
    : "ui.node.said", { label: node.label, shape: `${node.shape[0]}×${node.shape[1]}`,
    kind: t(`ui.node.${node.kind}`), value, grad }));
}

// Every node's words again, in the language the page now speaks.
export function respeak() {
  if (!view.svg) return;
  view.svg.setAttribute("aria-label", t("ui.graph_nodes", { n: view.groups.size }));
  for (const id of view.groups.keys()) speakNode(id);
}

// ------------------------------------------------------------------ stepping

function apply(step, forward) {
  const node = state.nodes.get(step.node);
  const { g, slots: s, maps } = view.groups.get(step.node);
  if (step.phase === "forward") {
    g.classList.toggle("fwd-done", forward);
    s.val.textContent = forward ? brief(node.value, ENTRIES) : PENDING;
    paint(maps.val, forward ? node.value : null, view.heat.value);
    for (const e of state.outEdges.get(step.node)) {
      const edge = view.edges.get(edgeId(e));
      edge.g.classList.toggle("fwd-done", forward);
      if (edge.slots["edge-val"]) {
        edge.slots["edge-val"].textContent = forward ? fmt(node.value[0][0]) : "";
      }
    }
    speakNode(step.node);
    return;
  }
  g.classList.toggle("grad-done", forward);
  // a named upstream gradient carries its name on the graph too: "∇ δ = [0.12; …]"
  const name = step.delta?.equal ? `${step.delta.name} = ` : "";
  // practice mode keeps a gradient "?" until its question is answered or shown
  const shown = forward && gradientShown(step.node);
  s.grad.textContent = GRAD_MARK + (!forward ? PENDING : !shown ? name + PENDING
    : name + brief(node.grad, ENTRIES));
  paint(maps.grad, shown ? node.grad : null, view.heat.grad);
  for (const e of state.inEdges.get(step.node)) {
    const edge = view.edges.get(edgeId(e));
    const down = downstreamOf(e.source, e.target, e.port);
    edge.g.classList.toggle("grad-done", forward && down !== undefined);
    flow(edge.g, forward && down !== undefined && edgeGradientShown(e) ? down : null,
      view.heat.flow);
    if (edge.slots["edge-grad"] && down !== undefined) {
      edge.slots["edge-grad"].textContent = !forward ? ""
        : GRAD_MARK + (edgeGradientShown(e) ? fmt(down[0][0]) : PENDING);
    }
  }
  speakNode(step.node);
}

// Fill the gradient slots of the steps applied so far again: practice mode was toggled, or a
// question was answered.
export function refreshGradients() {
  for (const step of state.trace.steps.slice(0, view.applied)) {
    if (step.phase === "backward") apply(step, true);
  }
}

function markCurrent(step, on) {
  if (!step) return;
  view.groups.get(step.node).g.classList.toggle("current", on);
  speakNode(step.node);
  for (const e of state.inEdges.get(step.node)) {
    view.edges.get(edgeId(e)).g.classList.toggle("active", on);
  }
  if (step.phase === "backward") {
    for (const e of state.outEdges.get(step.node)) {
      view.edges.get(edgeId(e)).g.classList.toggle("upstream", on);
    }
    // a step that reuses δ points at the node where δ was computed
    if (step.delta && !step.delta.defines) {
      const source = state.trace.steps[step.delta.step - 1].node;
      view.groups.get(source).g.classList.toggle("delta-source", on);
    }
  }
}

// Bring the SVG from the step applied so far to step k, one step at a time.
export function showStep(k) {
  const steps = state.trace.steps;
  markCurrent(view.current, false);
  while (view.applied < k) apply(steps[view.applied++], true);
  while (view.applied > k) apply(steps[--view.applied], false);
  view.current = k > 0 ? steps[k - 1] : null;
  markCurrent(view.current, true);
  $("graph").dataset.phase = view.current ? view.current.phase : "start";
  if (view.current && !view.held) keepInView(view.current.node);
  view.held = false;
}
