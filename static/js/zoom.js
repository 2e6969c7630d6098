// The graph's box and the view of the SVG in it: the box sized to the window, the graph fitted
// to it (and the layout asked again when its shape changed), zoom and pan, and keeping the
// current node in view. graph.js loads the SVG into `view` and steps through it.

import { $ } from "./dom.js";
import { state } from "./state.js";

const MAX_FIT = 1.5; // a small graph is enlarged at most this much to fit its box
// A graph that would fit only below this (text under 6 px: a 20-layer net fits at 7 %) opens
// at 100 % on its first node instead, and follows the steps; Fit still shows it whole. One of
// up to FIT_NODES nodes always opens whole, fitted to its box (on a phone, a pinch reads it).
const MIN_OPEN_SCALE = 0.5;
const FIT_NODES = 30;
const ZOOM_STEP = 1.25;

// The drawing as the page holds it: graph.js fills it as it loads an SVG and steps, this
// module moves the view over it.
export const view = {
  svg: null, source: null, groups: new Map(), edges: new Map(), applied: 0, current: null,
  full: null, cx: 0, cy: 0, scale: 1,
  chosen: false, // the user zoomed or panned: the URL keeps the view (shared links restore it)
  restore: null, // a view from the URL, applied once the first graph is in its box
  held: false, // a restored view is shown as it was shared, not moved to the current node
  changed: () => {}, // told when the user's view changes
  boxes: new Map(), // node id → its box in the SVG's coordinates, measured once: nodes never move
  heat: null, // the heat maps' and edge widths' scales: fixed for a trace (heat.js)
  relaid: false, // a new layout was asked for this box's shape already
  size: null, // the box's inner size as last laid out (boxSize), null once it resizes
};


// The graph box reaches down to the bottom of the window (less the legend), so the page itself
// never needs to scroll to show the graph.
function sizeBox() {
  const box = $("graph");
  const top = box.getBoundingClientRect().top + window.scrollY;
  const legend = document.querySelector(".graph-tools").offsetHeight + 12;
  const height = Math.max(240, window.innerHeight - top - legend);
  box.style.height = `${height}px`;
  // The panel beside it ends with the graph's tools, whatever the step shows: it scrolls
  // inside, so stepping never moves the page. Stacked under it (a narrow screen), it is as tall.
  const bottom = top - window.scrollY + height + legend - 12;
  const { left, top: panelTop } = $("panel").parentElement.getBoundingClientRect();
  const tools = document.querySelector(".form-toggle").offsetHeight + 4;
  const size = left >= box.getBoundingClientRect().right
    ? `${Math.max(160, bottom - panelTop)}px` : `${height + legend - 12 - tools}px`;
  for (const panel of $("panel").parentElement.children) { // the panel and its spares
    panel.style.height = size;
  }
}

// The graph box's width / height, the box sized to the window first: the layout is chosen for
// it (backprop_viz/layout.py).
export function boxAspect() {
  const box = $("graph");
  if (!box || !document.querySelector(".graph-tools")) return undefined;
  sizeBox();
  return Number((box.clientWidth / box.clientHeight).toFixed(3));
}

function draw() {
  if (!view.svg) return;
  const box = $("graph");
  const w = box.clientWidth / view.scale;
  const h = box.clientHeight / view.scale;
  view.svg.setAttribute("viewBox", `${view.cx - w / 2} ${view.cy - h / 2} ${w} ${h}`);
  $("zoom-level").textContent = `${Math.round(view.scale * 100)}%`;
}

// The view the user chose (zoom and the centre in the graph's coordinates), for the URL; null
// while the graph shows as it opened.
export function chosenView() {
  if (!view.chosen) return null;
  return { zoom: view.scale.toFixed(3), cx: view.cx.toFixed(1), cy: view.cy.toFixed(1) };
}

// A view read from a shared URL, shown when the graph is next fitted to its box.
export function restoreView(v) {
  view.restore = v;
}

export function onViewChange(fn) {
  view.changed = fn;
}

function choose() {
  view.chosen = true;
  view.changed();
}

// An aspect within the range the server lays out for (backprop_viz/layout.py's `bucket`, whose
// buckets are a quarter octave apart: the trace's `aspect` is one).
const clamped = (aspect) => Math.min(Math.max(aspect, 0.2), 5);

let relayout = () => {};
// `fn` asks for the graph again, laid out for the box as it is now.
export function onRelayout(fn) {
  relayout = fn;
}

// Once the page around the box has settled (the caption, the warnings), or the window was
// resized: a box whose shape is another bucket than the layout's asks for a new layout, once.
// Whether it asked: a view read from the URL then waits for the new layout.
function checkLayout() {
  const laid = state.trace?.aspect;
  if (laid === undefined || laid === null) return false;
  const box = $("graph");
  // a box a pixel or two off the layout's bucket keeps it: only a shape past the bucket's
  // edge (1/8 of an octave) by a sixteenth asks again (a box on the edge asked twice a load)
  const aspect = clamped(box.clientWidth / box.clientHeight);
  if (Math.abs(Math.log2(aspect) - Math.log2(laid)) <= 3 / 16) {
    view.relaid = false;
  } else if (!view.relaid) {
    view.relaid = true;
    setTimeout(relayout); // once the step being loaded is set: the new layout keeps it
    return true;
  }
  return false;
}

// Size the box to the window and fit the graph in it: once the page around it has settled.
export function fitBox() {
  sizeBox();
  const again = checkLayout();
  fit();
  if (view.restore && !again) {
    const { zoom: z, cx, cy } = view.restore;
    view.restore = null;
    Object.assign(view, { scale: Math.min(8, Math.max(0.02, z)), cx, cy, held: true });
    draw();
    choose();
    return;
  }
  if (view.scale >= MIN_OPEN_SCALE || view.groups.size <= FIT_NODES) return;
  const first = nodeBox(state.trace.nodes[0].id);
  view.scale = 1;
  view.cx = view.full.x + $("graph").clientWidth / 2;
  view.cy = first.y + first.height / 2;
  draw();
}

export function fit() {
  if (!view.full) return;
  const box = $("graph");
  const f = view.full;
  view.scale = Math.min(box.clientWidth / f.w, box.clientHeight / f.h, MAX_FIT);
  view.cx = f.x + f.w / 2;
  view.cy = f.y + f.h / 2;
  draw();
  if (view.chosen) {
    view.chosen = false;
    view.changed();
  }
}

// Zoom by `factor` about a point of the box (client coordinates; its centre by default).
export function zoom(factor, clientX, clientY) {
  if (!view.svg) return;
  const rect = $("graph").getBoundingClientRect();
  const px = (clientX ?? rect.left + rect.width / 2) - rect.left - rect.width / 2;
  const py = (clientY ?? rect.top + rect.height / 2) - rect.top - rect.height / 2;
  const next = Math.min(8, Math.max(0.02, view.scale * factor));
  view.cx += px / view.scale - px / next;
  view.cy += py / view.scale - py / next;
  view.scale = next;
  draw();
  choose();
}

export const zoomIn = () => zoom(ZOOM_STEP);
export const zoomOut = () => zoom(1 / ZOOM_STEP);

// A node's box in the SVG's own coordinates (those of the viewBox), past Graphviz's transform:
// read from its shape's points, which forces no layout (getBBox did, 3 to 10 ms a step on a
// graph whose classes the step had just changed). The layout never changes, so once a node.
function nodeBox(nodeId) {
  if (!view.boxes.has(nodeId)) view.boxes.set(nodeId, boxOf(view.groups.get(nodeId).g));
  return view.boxes.get(nodeId);
}

export function boxOf(g) {
  const shape = g.querySelector(":scope > path, :scope > polygon");
  const xy = (shape.getAttribute("d") ?? shape.getAttribute("points"))
    .split(/[\s,MCLZ]+/).filter(Boolean).map(Number);
  const xs = xy.filter((_, i) => i % 2 === 0);
  const ys = xy.filter((_, i) => i % 2 === 1);
  const m = view.svg.querySelector("g.graph").transform.baseVal.consolidate()?.matrix
    ?? new DOMMatrix();
  const a = new DOMPoint(Math.min(...xs), Math.min(...ys)).matrixTransform(m);
  const b = new DOMPoint(Math.max(...xs), Math.max(...ys)).matrixTransform(m);
  return { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y };
}

// The graph box's inner size, as last laid out: a step reads it without forcing a layout.
function boxSize() {
  if (!view.size) {
    const box = $("graph");
    view.size = { w: box.clientWidth, h: box.clientHeight };
  }
  return view.size;
}

export function keepInView(nodeId) {
  const b = nodeBox(nodeId);
  const w = boxSize().w / view.scale;
  const h = boxSize().h / view.scale;
  const inside = b.x >= view.cx - w / 2 && b.x + b.width <= view.cx + w / 2
    && b.y >= view.cy - h / 2 && b.y + b.height <= view.cy + h / 2;
  if (inside) return;
  view.cx = b.x + b.width / 2;
  view.cy = b.y + b.height / 2;
  draw();
}

export function initZoomPan() {
  const box = $("graph");
  box.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoom(Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.0015)), event.clientX, event.clientY);
  }, { passive: false });
  let drag = null;
  box.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY };
    box.setPointerCapture(event.pointerId);
    box.classList.add("dragging");
  });
  box.addEventListener("pointermove", (event) => {
    if (!drag) return;
    view.cx -= (event.clientX - drag.x) / view.scale;
    view.cy -= (event.clientY - drag.y) / view.scale;
    drag = { x: event.clientX, y: event.clientY };
    draw();
    choose();
  });
  const end = () => {
    drag = null;
    box.classList.remove("dragging");
  };
  box.addEventListener("pointerup", end);
  box.addEventListener("pointercancel", end);
  $("zoom-in").addEventListener("click", zoomIn);
  $("zoom-out").addEventListener("click", zoomOut);
  $("zoom-fit").addEventListener("click", fit);
  new ResizeObserver(() => {
    view.size = null; // read again, at the next step, from the box as laid out now
  }).observe(box);
  let resized = null;
  window.addEventListener("resize", () => {
    sizeBox();
    draw();
    clearTimeout(resized);
    resized = setTimeout(() => {
      view.relaid = false;
      checkLayout();
    }, 300);
  });
}
