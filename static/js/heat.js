// Heat maps and gradient flow: a node's array as cells coloured by its entries (its values,
// then its gradient once computed), and an edge's width by the size of the gradient it carries
// back. The layout reserved the cells (backprop_viz/boxes.py: a placeholder fill per map);
// here they become one <rect> per entry, once per structure, and each step only recolours
// the cells of the node it touches. Colours come from static/css/graph.css (a diverging
// blue–neutral–orange palette, symmetric about 0, light and dark); backprop_viz/heat.py is
// the same rule for exports.

import { onLang, t as word } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
// backprop_viz/boxes.py's placeholder fills: the value map's, then the gradient map's
const VALUE_FILL = "#fdfdfe";
const GRAD_FILL = "#fdfefd";
// and its most cells a map shows (HEAT_ROWS, HEAT_COLS): the array's top-left corner
const ROWS = 4;
const COLS = 4;
// edge widths in px: a gradient 1000× smaller than the largest or less is the thinnest
const FLOW_MIN = 1;
const FLOW_MAX = 4;
const FLOW_DECADES = 3;
const FLOW_ZERO = 0.6;

const number = (v) => (typeof v === "number" ? v : v === "Infinity" ? Infinity
  : v === "-Infinity" ? -Infinity : NaN);

// The largest finite |entry| of these arrays, 1 where there is none (so 0 is the neutral).
function largest(arrays) {
  let top = 0;
  for (const a of arrays) {
    for (const row of a) {
      for (const v of row) {
        const x = Math.abs(number(v));
        if (Number.isFinite(x) && x > top) top = x;
      }
    }
  }
  return top > 0 ? top : 1;
}

// The |value| each palette end stands for, over the trace's arrays (scalars have no map), and
// the largest gradient norm an edge carries (for the widths): fixed for a trace, so a step
// never recolours what it did not touch.
export function scales(trace, downstreams) {
  const arrays = trace.nodes.filter((n) => n.shape[0] * n.shape[1] > 1);
  let flow = 0;
  for (const d of downstreams) flow = Math.max(flow, norm(d));
  return {
    value: largest(arrays.map((n) => n.value)),
    grad: largest(arrays.filter((n) => n.grad !== null).map((n) => n.grad)),
    flow: flow > 0 ? flow : 1,
  };
}

// Frobenius norm (non-finite entries count as the largest possible)
function norm(a) {
  let s = 0;
  for (const row of a) for (const v of row) s += number(v) ** 2;
  return Number.isNaN(s) ? Infinity : Math.sqrt(s);
}

// A polygon's box from its points: no layout is forced (the SVG is not in the page yet).
function bounds(poly) {
  const xy = poly.getAttribute("points").trim().split(/[\s,]+/).map(Number);
  const xs = xy.filter((_, i) => i % 2 === 0);
  const ys = xy.filter((_, i) => i % 2 === 1);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

// Replace each reserved map of a node's <g> by its grid of cells: {val, grad} (arrays of rows
// of <rect>, or null where the node has no such map).
export function reserve(g, shape) {
  const maps = { val: null, grad: null };
  const rows = Math.min(shape[0], ROWS);
  const cols = Math.min(shape[1], COLS);
  for (const poly of g.querySelectorAll("polygon")) {
    const fill = poly.getAttribute("fill");
    const role = fill === VALUE_FILL ? "val" : fill === GRAD_FILL ? "grad" : null;
    if (!role) continue;
    const box = bounds(poly);
    const group = document.createElementNS(SVG, "g");
    group.setAttribute("class", `heat heat-${role}`);
    const w = box.width / cols;
    const h = box.height / rows;
    maps[role] = [];
    for (let i = 0; i < rows; i++) {
      const line = [];
      for (let j = 0; j < cols; j++) {
        const r = document.createElementNS(SVG, "rect");
        r.setAttribute("x", (box.x + j * w).toFixed(2));
        r.setAttribute("y", (box.y + i * h).toFixed(2));
        r.setAttribute("width", w.toFixed(2));
        r.setAttribute("height", h.toFixed(2));
        group.appendChild(r);
        line.push(r);
      }
      maps[role].push(line);
    }
    poly.replaceWith(group);
  }
  return maps;
}

// Colour a map's cells from an array (its top-left corner), or make them pending (null).
export function paint(cells, array, scale) {
  if (!cells) return;
  cells.forEach((line, i) => line.forEach((r, j) => {
    if (array === null) {
      r.removeAttribute("class");
      r.style.removeProperty("--t");
      return;
    }
    const v = number(array[i][j]);
    if (!Number.isFinite(v)) {
      r.setAttribute("class", "nan");
      return;
    }
    r.setAttribute("class", v < 0 ? "neg" : "pos");
    r.style.setProperty("--t", Math.min(1, Math.abs(v) / scale).toFixed(3));
  }));
}

// An edge's width for the gradient it carries back (null: not computed, the default width).
export function flow(g, downstream, scale) {
  if (downstream === null) {
    g.classList.remove("flow");
    g.style.removeProperty("--flow");
    return;
  }
  const n = norm(downstream);
  const t = n > 0 ? Math.min(1, Math.max(0, 1 + Math.log10(n / scale) / FLOW_DECADES)) : -1;
  const width = t < 0 ? FLOW_ZERO : FLOW_MIN + (FLOW_MAX - FLOW_MIN) * t;
  g.classList.add("flow");
  g.style.setProperty("--flow", `${width.toFixed(2)}px`);
}

// The legend's scale, in the page's number format and language (said again on a switch).
let shown = null;
export function showScale(s, fmt, arrays) {
  shown = [s, fmt, arrays];
  const out = document.getElementById("heat-scale");
  if (!out) return;
  out.textContent = word("legend.heat_scale", { value: fmt(s.value), grad: fmt(s.grad) });
  out.closest(".heat-key").hidden = !arrays; // a graph of scalars has no heat map
}
onLang(() => shown && showScale(...shown));
