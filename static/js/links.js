// Linked views: a node in the graph and its terms in the panel's equations light up together,
// whichever the pointer is over or the keyboard's focus is on.

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { exposeTerms } from "./math.js";
import { state } from "./state.js";

let lit = null;

function light(id) {
  if (id === lit) return;
  if (lit) mark(lit, false);
  lit = id;
  if (id) mark(id, true);
}

function mark(id, on) {
  for (const item of $("panel").querySelectorAll(`[data-node="${CSS.escape(id)}"]`)) {
    item.classList.toggle("linked", on);
  }
  $("graph").querySelector(`g.node[id="${CSS.escape(id)}"]`)?.classList.toggle("linked", on);
  for (const e of [...(state.inEdges.get(id) ?? []), ...(state.outEdges.get(id) ?? [])]) {
    document.getElementById(`e-${e.source}-${e.target}-${e.port}`)?.classList.toggle("linked", on);
  }
}

const nodeOf = (event, selector) => event.target instanceof Element
  ? event.target.closest(selector)?.getAttribute(selector === "g.node" ? "id" : "data-node")
  : null;

// After a panel is drawn (the one shown, or a spare: panel.js): its terms can be reached with
// Tab, and a lit node stays lit.
export function linkPanel(panel = $("panel")) {
  exposeTerms(panel);
  for (const item of panel.querySelectorAll("[data-node]")) {
    item.tabIndex = 0;
    const node = state.nodes.get(item.dataset.node);
    // the name says what is seen (Wx) and which node it is (W · x)
    const seen = item.localName === "section" ? "" : item.textContent.replace(/\s+/g, "");
    const name = !seen || seen === node?.label.replace(/\s+/g, "") ? node?.label
      : `${seen} (${node?.label})`;
    if (node) item.setAttribute("aria-label", t("ui.link_term", { name }));
    // a term in an equation is a button: pressing it takes the focus to its node
    if (item.localName !== "section") item.setAttribute("role", "button");
  }
  if (lit && panel.id === "panel") mark(lit, true);
}

// After the graph is loaded: each node can be reached with Tab, and Tab and a screen reader
// walk them in reading order, top to bottom, then left to right (dot writes them in its own
// order), each drawn above the edges. `boxOf(g)`: a node's box, read from its shape's points
// (graph.js), not getBBox, which lays the whole page out on a cold load.
export function linkGraph(boxOf) {
  lit = null;
  const nodes = [...$("graph").querySelectorAll("g.node")];
  const at = new Map(nodes.map((g) => [g, boxOf(g)]));
  const row = (g) => Math.round(at.get(g).y / 4);
  nodes.sort((a, b) => row(a) - row(b) || at.get(a).x - at.get(b).x);
  for (const g of nodes) {
    g.setAttribute("tabindex", "0");
    g.setAttribute("focusable", "true");
    g.parentNode.appendChild(g);
  }
}

// Pressing a term (click, Enter or Space) focuses its node in the graph.
function showNode(event) {
  const term = event.target instanceof Element ? event.target.closest('[role="button"][data-node]')
    : null;
  if (!term || (event.type === "keydown" && event.key !== "Enter" && event.key !== " ")) return;
  event.preventDefault();
  $("graph").querySelector(`g.node[id="${CSS.escape(term.dataset.node)}"]`)?.focus();
}

export function initLinks() {
  const panels = $("panel").parentElement; // the panel and its spares: whichever is shown
  panels.addEventListener("click", showNode);
  panels.addEventListener("keydown", showNode);
  for (const [box, selector] of [[$("graph"), "g.node"], [panels, "[data-node]"]]) {
    box.addEventListener("pointerover", (event) => light(nodeOf(event, selector)));
    box.addEventListener("pointerleave", () => light(null));
    box.addEventListener("focusin", (event) => light(nodeOf(event, selector)));
    box.addEventListener("focusout", () => light(null));
  }
}
