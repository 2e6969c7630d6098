// The last step's summary: every variable's gradient in its own shape, with the closed forms
// (δ = u ∘ f′(z), ∂s/∂W = δxᵀ …) the engine composed where it could, and the gradient check.

import { el } from "./dom.js";
import { fmt } from "./format.js";
import { equation } from "./math.js";
import { state } from "./state.js";
import { partial, texMatrix } from "./tex.js";
import { definedDelta, definitions, givenNote } from "./words.js";

export function drawSummary() {
  const trace = state.trace;
  const out = state.nodes.get(trace.output_id);
  const closed = trace.closed_forms || {};
  const parts = [el("h3", { class: "summary-head" }, "Summary: every gradient, in its ",
    "variable's shape")];
  const texts = [];
  for (const d of trace.deltas || []) {
    const step = trace.steps[d.step - 1];
    const found = definedDelta(step);
    const lhs = found?.rhs ? d.latex : step.delta.latex;
    if (found?.rhs) texts.push(found.rhs.text);
    const grad = state.nodes.get(d.node).grad;
    parts.push(equation(`${lhs} = ${texMatrix(grad, "grad")}`,
      found?.rhs ? d.text : d.name, d.name, [grad]), ...givenNote(found));
  }
  texts.push(...Object.values(closed).filter(Boolean).map((c) => c.text));
  parts.splice(1, 0, ...definitions(texts));
  for (const name of Object.keys(trace.variables)) {
    const node = variableNode(name);
    const form = closed[name] ? ` = ${closed[name].latex}` : "";
    parts.push(equation(`${partial(out, node)}${form} = ${texMatrix(trace.gradients[name], "grad")}`,
      `∂${trace.output}/∂${name}${closed[name] ? ` = ${closed[name].text}` : ""}`,
      `the gradient of ${name}`, [trace.gradients[name]]));
  }
  parts.push(...gradientCheck(trace));
  return parts;
}

const variableNode = (name) => state.nodes.get(state.trace.variables[name].node);

// The central differences beside backprop, variable by variable.
function gradientCheck(trace) {
  const check = trace.gradient_check;
  if (!check) return [];
  const rows = Object.entries(check.variables).map(([name, c]) => el("tr", {},
    el("th", { scope: "row" }, name),
    el("td", {}, methodText(c)),
    el("td", { class: "num" }, c.max_rel_error === null ? "—" : fmt(c.max_rel_error))));
  const parts = [el("h3", {}, "Gradient check"),
    el("p", {}, "Each gradient again by central differences in float64, ",
      "(f(θ + h) − f(θ − h)) / 2h, entry by entry, beside what backprop computed:"),
    el("table", { class: "check-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "variable"),
        el("th", { scope: "col" }, "checked"), el("th", { scope: "col" }, "max rel. error"))),
      el("tbody", {}, rows))];
  for (const [name, c] of Object.entries(check.variables)) {
    if (c.method !== "entries") continue; // a subset is a flat list, a direction one number
    parts.push(equation(`\\text{numeric } ${variableNode(name).latex} = ${texMatrix(c.numeric)}`,
      `numeric gradient of ${name}`, `the numeric gradient of ${name}`, [c.numeric]));
  }
  return parts;
}

export function methodText(c) {
  if (c.method === "direction") return "one random direction";
  if (c.method === "subset") return `${c.checked} of ${c.total} entries, at random`;
  return `all ${c.total} entries`;
}
