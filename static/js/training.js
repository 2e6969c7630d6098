// Training on the page: "Update" (one step of θ − η ∂s/∂θ) and "Train K steps" through
// POST /api/train, which answers the loss curve and the new values. The parameters' new values
// become their overrides, so the table shows them and the graph is drawn again at them, at the
// same step (and in the same view).

import { postJson } from "./api.js";
import { el } from "./dom.js";
import { fmt } from "./format.js";
import { lossCurve } from "./plot.js";
import { state } from "./state.js";

const $ = (id) => document.getElementById(id);
const ticked = new Map(); // name → the user's tick, where the user changed the rule's

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
  if ($("loss-figure").dataset.expression !== vector.expression) $("loss-figure").hidden = true;
}

function busy(on) {
  $("update").disabled = $("train").disabled = on;
  $("training").setAttribute("aria-busy", String(on));
}

function showTrainError(message) {
  $("train-error").replaceChildren(el("p", { class: "error-msg" }, message));
  $("train-error").hidden = false;
}

// "s: 0.2129 → −0.2 after 1 step (η = 0.1)", and why training stopped, if it did.
function report(answer, output) {
  const steps = `${answer.steps} step${answer.steps === 1 ? "" : "s"}`;
  $("train-result").replaceChildren(
    el("span", {}, `${output}: `),
    el("span", { class: "before" }, fmt(answer.before)), " → ",
    el("strong", { class: "after" }, fmt(answer.after)),
    ` after ${steps} (η = ${fmt(answer.eta)})`,
    ...answer.warnings.map((w) => el("span", { class: "train-warning" }, ` · ${w}`)));
}

function drawCurve(answer, output) {
  // a loss that is not finite ends the curve: it is reported in the warnings, not plotted
  const losses = answer.losses.filter((v) => typeof v === "number");
  const figure = $("loss-figure");
  figure.dataset.expression = state.vector.expression;
  $("loss-caption").textContent = `The loss ${output} over ${answer.steps} steps of gradient `
    + `descent, η = ${fmt(answer.eta)}`;
  figure.replaceChildren(lossCurve(losses, output), $("loss-caption"));
  figure.hidden = false;
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
    showTrainError(`no answer from the server (${err.message})`);
    return;
  } finally {
    busy(false);
  }
  if (!response.ok) {
    showTrainError(answer.error || "something went wrong");
    return;
  }
  $("train-error").hidden = true;
  for (const name of answer.parameters) {
    state.overrides[name] = { value: answer.variables[name].value };
  }
  await renderGraph();
  report(answer, output);
  if (steps > 1) drawCurve(answer, output);
  else $("loss-figure").hidden = true;
}

// `renderGraph` (static/js/controls.js) draws the trace of the updated values: passed down, so
// this module never imports the one that wires it.
let renderGraph = async () => {};

export function initTraining(render) {
  renderGraph = render;
  $("update").addEventListener("click", () => run(1));
  $("train").addEventListener("click", () => run(Number($("train-k").value)));
}
