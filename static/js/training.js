// Training on the page: "Update" (one step of θ − η ∂s/∂θ) and "Train K steps" through
// POST /api/train, which answers the loss curve and the new values. The parameters' new values
// become their overrides, so the table shows them and the graph is drawn again at them, at the
// same step (and in the same view).
//
// On a data set (issue 17): K steps of mini-batch SGD, asked for in chunks of requests, each
// continuing the last (`start`), so the curves, the accuracy and the boundary grow as it runs,
// with a progress bar and Stop. "Step through this batch" loads the next mini-batch and the
// parameters as overrides and draws the graph through the page's one path (renderGraph, passed
// in by initTraining, as "Update" uses it).

import { postJson } from "./api.js";
import { $, el } from "./dom.js";
import { fmt } from "./format.js";
import { errorText, messageText, onLang, t, tn, warningsOf } from "./i18n.js";
import {
  accuracyCurve, batchLossCurve, boundaryPlot, classClass, classMarker, lossCurve, percent,
} from "./plot.js";
import { state } from "./state.js";

const ticked = new Map(); // name → the user's tick, where the user changed the rule's
// What the result line, the progress, the figures and an error show, drawn again in a new
// language.
const shown = { result: null, progress: null, error: null };

// The default rule, as training.INPUTS_AND_TARGETS states it (the template writes the names).
function isParameter(name) {
  if (ticked.has(name)) return ticked.get(name);
  return !$("training").dataset.inputs.split(" ").includes(name);
}

// A box per variable of the vector trace, ticked by the rule or the user; a curve drawn for
// another expression is taken away.
export function showParameters(vector) {
  const boxes = Object.keys(vector.variables).map((name) => {
    const box = el("input", { type: "checkbox", value: name });
    box.checked = isParameter(name);
    box.addEventListener("change", () => ticked.set(name, box.checked));
    return el("label", { class: "param" }, box, el("code", {}, name));
  });
  const fieldset = $("train-params");
  fieldset.replaceChildren(fieldset.querySelector("legend"), ...boxes);
  for (const id of FIGURES) {
    if ($(id).dataset.expression !== vector.expression) $(id).hidden = true;
  }
  if (fit.expression !== vector.expression) {
    fit.answer = null;
    $("step-batch").disabled = true;
    fillFromPreset(vector.expression);
  }
}

const FIGURES = ["loss-figure", "accuracy-figure", "boundary-figure"];

function busy(on) {
  for (const id of ["update", "train", "train-data-run"]) $(id).disabled = on;
  $("step-batch").disabled = on || !fit.answer;
  $("training").setAttribute("aria-busy", String(on));
}

// An error under the training controls: `words` says it, and again at a new language.
function showTrainError(words) {
  shown.error = words;
  $("train-error").replaceChildren(el("p", { class: "error-msg" }, words()));
  $("train-error").hidden = false;
}

// "s: 0.2129 → −0.2 after 1 step (η = 0.1)", and why training stopped, if it did.
function report(answer, output) {
  $("train-result").replaceChildren(...tn(answer.steps === 1 ? "training.result_one"
    : "training.result", {
    output, before: el("span", { class: "before" }, fmt(answer.before)),
    after: el("strong", { class: "after" }, fmt(answer.after)), steps: answer.steps,
    eta: fmt(answer.eta) }),
  ...warningsOf(answer).map((w) => el("span", { class: "train-warning" },
    ` · ${messageText(w)}`)));
}

// A figure holds one plot and its caption; it belongs to the expression it was drawn for.
function showFigure(id, plot, caption) {
  const figure = $(id);
  figure.dataset.expression = state.vector.expression;
  const figcaption = figure.querySelector("figcaption");
  figcaption.replaceChildren(...[caption].flat());
  figure.replaceChildren(plot, figcaption);
  figure.hidden = false;
}

function drawCurve(answer, output) {
  // a loss that is not finite ends the curve: it is reported in the warnings, not plotted
  const losses = answer.losses.filter((v) => typeof v === "number");
  showFigure("loss-figure", lossCurve(losses, output), t("training.loss_caption",
    { output, steps: answer.steps, eta: fmt(answer.eta) }));
}

async function run(steps) {
  if (!state.request) return;
  const body = { ...state.request };
  delete body.view; // training runs on the vector variables, whichever view is shown
  const parameters = [...$("train-params").querySelectorAll("input:checked")]
    .map((box) => box.value);
  Object.assign(body, { eta: Number($("eta").value), steps, parameters });
  const output = state.vector.output;
  busy(true);
  let response;
  let answer;
  try {
    response = await postJson("/api/train", body);
    answer = await response.json();
  } catch (err) {
    showTrainError(() => t("ui.no_answer", { why: err.message }));
    return;
  } finally {
    busy(false);
  }
  if (!response.ok) {
    showTrainError(() => errorText(answer));
    return;
  }
  $("train-error").hidden = true;
  for (const name of answer.parameters) {
    state.overrides[name] = { value: answer.variables[name].value };
  }
  await renderGraph();
  for (const id of FIGURES) $(id).hidden = true;
  shown.result = () => {
    report(answer, output);
    if (steps > 1) drawCurve(answer, output);
  };
  shown.result();
}

// ------------------------------------------------------------------ on a data set

const CHUNK_MS = 150; // about this long a request, so that the page redraws as it trains
const MAX_CHUNK = 50; // and at most this many steps, so that the boundary is seen to form
const fit = { expression: null, answer: null, stop: false, csv: null };

// The preset the form shows, if it comes ready to train: its data set, B, η and K.
function fillFromPreset(expression) {
  fit.expression = expression;
  const preset = (state.presets || []).find((p) => p.expression === expression && p.training);
  if (!preset) return;
  const { dataset, batch_size: batch, eta, steps } = preset.training;
  $("data-name").value = dataset.name;
  $("data-classes").value = String(dataset.classes ?? 3);
  $("data-points").value = String(dataset.points_per_class ?? 100);
  $("data-seed").value = String(dataset.seed ?? 0);
  $("data-standardise").checked = Boolean(dataset.standardise);
  $("batch-size").value = String(batch);
  $("eta").value = String(eta);
  $("train-k").value = String(steps);
  showDataFields();
}

function showDataFields() {
  const csv = $("data-name").value === "csv";
  for (const node of document.querySelectorAll(".data-generated")) node.hidden = csv;
  for (const node of document.querySelectorAll(".data-csv")) node.hidden = !csv;
}

// The request's `dataset`, from the fields (a CSV file is read once it is chosen), or null
// while the CSV file is not chosen.
function dataset() {
  const standardise = $("data-standardise").checked;
  if ($("data-name").value === "csv") {
    if (fit.csv === null) return null; // no file chosen yet
    return { csv: fit.csv, label: $("data-label").value.trim(), standardise };
  }
  const spec = { name: $("data-name").value, points_per_class: Number($("data-points").value),
    seed: Number($("data-seed").value), standardise };
  if (!["xor", "moons"].includes(spec.name)) spec.classes = Number($("data-classes").value);
  return spec;
}

// The variables to send: every parameter afresh (its shape; the server starts it by the stated
// rule) at the first chunk, then the values the last chunk ended at; the others as shown.
function variables(parameters, values) {
  const out = {};
  const inputs = $("training").dataset.inputs.split(" ");
  for (const [name, v] of Object.entries(state.vector.variables)) {
    if (parameters.includes(name)) out[name] = values?.[name] ?? { shape: v.shape };
    else if (!inputs.includes(name)) out[name] = { value: v.value };
  }
  return out;
}

function progress(done, total, accuracy) {
  $("train-progress").hidden = false;
  $("train-progress").max = total;
  $("train-progress").value = done;
  shown.progress = () => {
    $("train-progress-text").textContent = accuracy === undefined
      ? t("training.progress", { done, total })
      : t("training.progress_accuracy", { done, total, accuracy: percent(accuracy) });
  };
  shown.progress();
}

async function runData() {
  if (!state.request) return;
  const total = Number($("train-k").value);
  const parameters = [...$("train-params").querySelectorAll("input:checked")]
    .map((box) => box.value);
  const data = dataset();
  if (data === null) {
    showTrainError(() => t("training.choose_csv"));
    return;
  }
  const base = { expression: state.request.expression, f: state.request.f,
    seed: state.request.seed, dataset: data, batch_size: Number($("batch-size").value),
    eta: Number($("eta").value), l2: Number($("l2").value), parameters };
  const output = state.vector.output;
  const curves = { losses: [], accuracies: [] };
  let values = null;
  let chunk = 10;
  fit.stop = false;
  fit.answer = null;
  busy(true);
  $("train-stop").disabled = false;
  $("train-error").hidden = true;
  progress(0, total);
  try {
    while (curves.accuracies.length < total && !fit.stop) {
      const start = curves.accuracies.length;
      const steps = Math.min(chunk, total - start);
      const began = performance.now();
      const response = await postJson("/api/train", {
        ...base, start, steps, variables: variables(parameters, values) });
      const answer = await response.json();
      if (!response.ok) {
        showTrainError(() => errorText(answer));
        break;
      }
      const ms = Math.max(performance.now() - began, 1);
      chunk = Math.max(1, Math.min(MAX_CHUNK, Math.round(steps * (CHUNK_MS / ms))));
      curves.losses.push(...answer.losses);
      curves.accuracies.push(...answer.accuracies);
      values = Object.fromEntries(Object.entries(answer.variables)
        .map(([name, v]) => [name, { value: v.value }]));
      fit.answer = answer;
      shown.result = () => drawFit(answer, curves, output);
      shown.result();
      progress(curves.accuracies.length, total, answer.accuracy);
      if (answer.warnings.length || answer.steps < steps) break;
    }
  } catch (err) {
    showTrainError(() => t("ui.no_answer", { why: err.message }));
  } finally {
    $("train-stop").disabled = true;
    busy(false);
  }
}

function drawFit(answer, curves, output) {
  const finite = curves.losses.filter((v) => typeof v === "number");
  const steps = curves.accuracies.length;
  const { dataset: data, boundary } = answer;
  reportFit(answer, steps);
  if (!steps) return; // stopped before its first step: nothing to plot
  const batch = { output, rows: answer.batch_size, steps, eta: fmt(answer.eta) };
  showFigure("loss-figure", batchLossCurve(finite, output), answer.l2
    ? t("training.batch_caption_l2", { ...batch, l2: fmt(answer.l2) })
    : t("training.batch_caption", batch));
  showFigure("accuracy-figure", accuracyCurve(curves.accuracies), t("training.accuracy_caption",
    { rows: data.labels.length, accuracy: percent(answer.accuracy), steps }));
  if (boundary) {
    showFigure("boundary-figure", boundaryPlot(boundary, data), [
      t("training.boundary_caption", { steps, name: t(`training.dataset.${data.name}`) }), " ",
      ...data.class_names.map((name, k) => el("span", { class: `swatch ${classClass(k)}` },
        el("span", { class: "mark", "aria-hidden": "true" },
          { circle: "●", square: "■", triangle: "▲" }[classMarker(k)]), ` ${name}`)),
    ]);
  } else {
    $("boundary-figure").hidden = true;
  }
}

function reportFit(answer, steps) {
  $("train-result").replaceChildren(
    ...tn("training.fit_result", { steps, epochs: fmt(answer.epochs),
      accuracy: el("strong", { class: "after accuracy" }, steps ? percent(answer.accuracy) : "–") }),
    ...warningsOf(answer).map((w) => el("span", { class: "train-warning" },
      ` · ${messageText(w)}`)));
}

// The graph's backprop for the next mini-batch, at the parameters training ended at: the
// batch's rows as X and Y, drawn through the page's path, from step 0.
async function stepThroughBatch() {
  const answer = fit.answer;
  if (!answer) return;
  const overrides = {};
  for (const [name, v] of Object.entries(answer.variables)) overrides[name] = { value: v.value };
  Object.assign(overrides, answer.batch.variables);
  state.overrides = overrides;
  fit.expression = state.vector.expression; // the same expression: keep the curves
  await renderGraph(0);
  $("graph").scrollIntoView({ block: "start" });
}

// `renderGraph` (static/js/controls.js) draws the trace of the updated values: passed down, so
// this module never imports the one that wires it.
let renderGraph = async () => {};

export function initTraining(render) {
  renderGraph = render;
  $("update").addEventListener("click", () => run(1));
  $("train").addEventListener("click", () => run(Number($("train-k").value)));
  $("train-data-run").addEventListener("click", runData);
  $("train-stop").addEventListener("click", () => {
    fit.stop = true;
    $("train-stop").disabled = true;
  });
  $("step-batch").addEventListener("click", stepThroughBatch);
  $("data-name").addEventListener("change", showDataFields);
  onLang(() => {
    shown.result?.();
    shown.progress?.();
    if (!$("train-error").hidden) showTrainError(shown.error);
  });
  $("data-file").addEventListener("change", async () => {
    const file = $("data-file").files[0];
    fit.csv = file ? await file.text() : null;
  });
}
