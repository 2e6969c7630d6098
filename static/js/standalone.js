// The entry of an exported, self-contained page (backprop_viz/standalone.py): the trace is in
// the file, so there is no form and no request; the page's own modules draw the graph and the
// panel, and the page's player steps, plays and zooms, all offline.

import { $, el } from "./dom.js";
import { fmt } from "./format.js";
import { loadSvg, respeak } from "./graph.js";
import { initI18n, messageText, onLang, t, warningsOf } from "./i18n.js";
import { initLinks } from "./links.js";
import { loadMath } from "./math.js";
import { initPlayer, playWords, setStep } from "./player.js";
import { index, state } from "./state.js";
import { fitBox, initZoomPan } from "./zoom.js";


async function start() {
  await initI18n();
  const trace = JSON.parse($("trace").textContent);
  state.trace = trace;
  state.offline = true; // no URL to keep: a file, or a notebook's frame
  index(trace);
  loadSvg(trace);
  const describe = () => {
    $("graph").setAttribute("aria-label",
      t("ui.graph_of", { parsed: trace.parsed, n: trace.nodes.length }));
    $("warnings").replaceChildren(...warningsOf(trace).map((w) => el("li", {}, messageText(w))));
  };
  describe();
  $("parsed").replaceChildren(el("code", {}, trace.parsed), " · ", trace.output, " = ",
    el("span", { class: "output-value" }, fmt(trace.value)));
  $("warnings").hidden = trace.warnings.length === 0;
  // a new language: the words again, at the same step
  onLang(() => {
    describe();
    respeak();
    playWords();
    setStep(state.step);
  });
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
