// The entry of an exported, self-contained page (backprop_viz/standalone.py): the trace is in
// the file, so there is no form and no request; the page's own modules draw the graph and the
// panel, and the page's player steps, plays and zooms, all offline.

import { el } from "./dom.js";
import { fmt } from "./format.js";
import { fitBox, initZoomPan, loadSvg } from "./graph.js";
import { initLinks } from "./links.js";
import { loadMath } from "./math.js";
import { initPlayer, setStep } from "./player.js";
import { index, state } from "./state.js";

const $ = (id) => document.getElementById(id);

async function start() {
  const trace = JSON.parse($("trace").textContent);
  state.trace = trace;
  state.offline = true; // no URL to keep: a file, or a notebook's frame
  index(trace);
  loadSvg(trace);
  $("graph").setAttribute("aria-label",
    `Computation graph of ${trace.parsed}: ${trace.nodes.length} nodes`);
  $("parsed").replaceChildren(el("code", {}, trace.parsed), " · ", trace.output, " = ",
    el("span", { class: "output-value" }, fmt(trace.value)));
  $("warnings").replaceChildren(...trace.warnings.map((w) => el("li", {}, w)));
  $("warnings").hidden = trace.warnings.length === 0;
  $("timeline").max = String(trace.steps.length);
  initZoomPan();
  initLinks();
  await loadMath();
  initPlayer();
  whenSized(() => {
    fitBox();
    setStep(Number(document.body.dataset.step) || 0);
  });
}

// A notebook's frame may not be laid out yet when this runs, and the graph is fitted to its box
// (and each node's box measured once): wait until the box has a size.
function whenSized(then) {
  const box = $("graph");
  if (box.clientWidth > 0) {
    then();
    return;
  }
  const watch = new ResizeObserver(() => {
    if (box.clientWidth === 0) return;
    watch.disconnect();
    then();
  });
  watch.observe(box);
}

start();
