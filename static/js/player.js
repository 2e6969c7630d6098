// The player: step k of the trace on the graph and in the panel; play at a chosen speed; keys
// and the graph's pinch; the URL that remembers where the user is.

import { $ } from "./dom.js";
import { refreshGradients, showStep } from "./graph.js";
import { currentLang, t } from "./i18n.js";
import { drawPanel } from "./panel.js";
import { initPinch } from "./pinch.js";
import { state } from "./state.js";
import { stepSummary } from "./words.js";
import { chosenView, fit, onViewChange, restoreView, zoomIn, zoomOut } from "./zoom.js";

const BASE_INTERVAL_MS = 900; // one step per 0.9 s at 1×

export function setStep(k) {
  const trace = state.trace;
  if (!trace) return;
  const n = trace.steps.length;
  state.step = Math.max(0, Math.min(n, k));
  if (state.step === n) stopPlaying();
  showStep(state.step);
  drawPanel();
  const status = $("step-status");
  if (status) status.textContent = stepSummary(state.step);
  const step = trace.steps[state.step - 1];
  const phase = step ? step.phase : "forward";
  const counter = t("ui.counter", { step: state.step, n, phase: t(`ui.phase.${phase}`) });
  $("counter").textContent = counter;
  $("timeline").value = String(state.step);
  $("timeline").setAttribute("aria-valuetext", counter);
  $("first").disabled = $("prev").disabled = state.step === 0;
  $("next").disabled = $("last").disabled = state.step === n;
  $("to-backward").disabled = state.step === forwardSteps() + 1;
  saveUrl();
}

// The number of forward steps: step forwardSteps() + 1 is the first of the backward pass.
export function forwardSteps() {
  return state.trace ? state.trace.steps.filter((s) => s.phase === "forward").length : 0;
}

export function togglePlay() {
  if (state.playing) {
    stopPlaying();
    return;
  }
  if (!state.trace) return;
  if (state.step === state.trace.steps.length) setStep(0);
  startTimer();
  $("play").setAttribute("aria-pressed", "true");
  playWords();
}

// The play button says what pressing it does: play, or pause while playing.
export function playWords() {
  const playing = Boolean(state.playing);
  $("play").textContent = t(playing ? "ui.pause" : "ui.play");
  $("play").setAttribute("aria-label", t(playing ? "ui.pause_label" : "ui.play_label"));
}

function startTimer() {
  clearInterval(state.playing);
  const speed = Number($("speed").value) || 1;
  state.playing = setInterval(() => setStep(state.step + 1), BASE_INTERVAL_MS / speed);
}

export function stopPlaying() {
  if (!state.playing) return;
  clearInterval(state.playing);
  state.playing = null;
  $("play").setAttribute("aria-pressed", "false");
  playWords();
}

// Controls that take these keys themselves: a text field, a list, the slider, a radio group.
const USES_KEYS = 'input:not([type="checkbox"]):not([type="button"]), textarea, select, '
  + "[contenteditable]";
// Controls that Space and Enter press: the page's keys leave them alone.
const PRESSES = 'button, a[href], summary, input[type="checkbox"], [role="button"]';

function onKey(event) {
  // Keys belong to whatever the user is typing in, and the slider and the radios use the
  // arrows; a focused button, link or checkbox is pressed by Space and Enter, never played.
  if (!(event.target instanceof Element)) return;
  if (event.target.closest(USES_KEYS)) return;
  if (event.altKey || event.ctrlKey || event.metaKey || !state.trace) return;
  if ((event.key === " " || event.key === "Enter") && event.target.closest(PRESSES)) return;
  if (event.key === " ") {
    event.preventDefault();
    togglePlay();
    return;
  }
  const views = { "+": zoomIn, "=": zoomIn, "-": zoomOut, 0: fit };
  if (event.key in views) {
    event.preventDefault();
    views[event.key]();
    return;
  }
  const moves = {
    ArrowRight: state.step + 1, ArrowLeft: state.step - 1, Home: 0, End: state.trace.steps.length,
    b: forwardSteps() + 1, B: forwardSteps() + 1,
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  stopPlaying();
  setStep(moves[event.key]);
}

// The URL follows the step, at most every 150 ms: history.replaceState was the second cost of
// a step, and holding a key down steps faster than that.
let urlTimer = null;

export function saveUrl() {
  if (state.offline) return;
  clearTimeout(urlTimer);
  urlTimer = setTimeout(writeUrl, 150);
}

function writeUrl() {
  if (!state.request) return;
  const params = new URLSearchParams({
    expr: state.request.expression, f: state.request.f, seed: String(state.request.seed ?? 0),
    step: String(state.step),
  });
  if (state.form !== "shape") params.set("form", state.form);
  if (state.practice.on) params.set("practice", "1");
  if (state.request.view) params.set("view", state.request.view);
  if (state.request.variables) params.set("vars", JSON.stringify(state.request.variables));
  if (currentLang() !== "en") params.set("lang", currentLang());
  const shown = chosenView();
  if (shown) for (const [key, value] of Object.entries(shown)) params.set(key, value);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

// The URL's state into the form; returns the step to open at.
export function readUrl() {
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
  if (params.get("view") === "scalar") state.view = "scalar";
  if (params.get("form") === "jacobian") {
    state.form = "jacobian";
    document.querySelector('input[name="form"][value="jacobian"]').checked = true;
  }
  if (params.get("practice") === "1" && $("practice")) {
    state.practice.on = true;
    $("practice").checked = true;
  }
  const [zoom, cx, cy] = ["zoom", "cx", "cy"].map((k) => Number.parseFloat(params.get(k)));
  if ([zoom, cx, cy].every(Number.isFinite) && zoom > 0) restoreView({ zoom, cx, cy });
  const step = Number.parseInt(params.get("step") ?? "0", 10);
  return Number.isNaN(step) ? 0 : step;
}

export function initPlayer() {
  $("first").addEventListener("click", () => setStep(0));
  $("prev").addEventListener("click", () => setStep(state.step - 1));
  $("next").addEventListener("click", () => setStep(state.step + 1));
  $("last").addEventListener("click", () => setStep(Number.MAX_SAFE_INTEGER));
  $("to-backward").addEventListener("click", () => {
    stopPlaying();
    setStep(forwardSteps() + 1);
  });
  $("play").addEventListener("click", togglePlay);
  $("speed").addEventListener("change", () => {
    if (state.playing) startTimer();
  });
  $("timeline").addEventListener("input", () => {
    stopPlaying();
    setStep(Number($("timeline").value));
  });
  for (const radio of document.querySelectorAll('input[name="form"]')) {
    radio.addEventListener("change", () => {
      state.form = radio.value;
      if (state.trace) drawPanel();
      saveUrl();
    });
  }
  $("practice")?.addEventListener("change", () => {
    state.practice.on = $("practice").checked;
    if (!state.trace) return;
    refreshGradients();
    drawPanel();
    saveUrl();
  });
  document.addEventListener("keydown", onKey);
  initPinch();
  onViewChange(saveUrl);
}
