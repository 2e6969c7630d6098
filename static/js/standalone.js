// The entry of an exported, self-contained page (backprop_viz/standalone.py): the trace is in
// the file, so there is no form and no request; the page's own modules draw the graph and the
// panel, and this wires what works offline: stepping (buttons, timeline, ← → Home End) and zoom.

import { fmt } from "./format.js";
import { fit, fitBox, initZoomPan, loadSvg, showStep, zoomIn, zoomOut } from "./graph.js";
import { drawPanel, el } from "./panel.js";
import { index, state } from "./state.js";

const $ = (id) => document.getElementById(id);

function setStep(k) {
  const n = state.trace.steps.length;
  state.step = Math.max(0, Math.min(n, k));
  showStep(state.step);
  drawPanel();
  const step = state.trace.steps[state.step - 1];
  const counter = `step ${state.step} of ${n} · ${step ? step.phase : "forward"}`;
  $("counter").textContent = counter;
  $("timeline").value = String(state.step);
  $("timeline").setAttribute("aria-valuetext", counter);
  $("first").disabled = $("prev").disabled = state.step === 0;
  $("next").disabled = $("last").disabled = state.step === n;
}

function onKey(event) {
  if (event.target instanceof Element && event.target.closest("input")) return;
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const n = state.trace.steps.length;
  const actions = {
    "+": zoomIn, "=": zoomIn, "-": zoomOut, 0: fit,
    ArrowRight: () => setStep(state.step + 1), ArrowLeft: () => setStep(state.step - 1),
    Home: () => setStep(0), End: () => setStep(n),
  };
  if (!(event.key in actions)) return;
  event.preventDefault();
  actions[event.key]();
}

function start() {
  const trace = JSON.parse($("trace").textContent);
  state.trace = trace;
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
  $("first").addEventListener("click", () => setStep(0));
  $("prev").addEventListener("click", () => setStep(state.step - 1));
  $("next").addEventListener("click", () => setStep(state.step + 1));
  $("last").addEventListener("click", () => setStep(trace.steps.length));
  $("timeline").addEventListener("input", () => setStep(Number($("timeline").value)));
  document.addEventListener("keydown", onKey);
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
