// The last step's summary: every variable's gradient in its own shape, with the closed forms
// (δ = u ∘ f′(z), ∂s/∂W = δxᵀ …) the engine composed where it could, and the gradient check.

import { el } from "./dom.js";
import { fmt } from "./format.js";
import { t } from "./i18n.js";
import { equation } from "./math.js";
import { state } from "./state.js";
import { partial, texMatrix } from "./tex.js";
import { definedDelta, definitions, givenNote } from "./words.js";

export function drawSummary() {
  const trace = state.trace;
  const out = state.nodes.get(trace.output_id);
  const closed = trace.closed_forms || {};
  const parts = [el("h3", { class: "summary-head" }, t("summary.title"))];
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
      t("summary.what.gradient", { name }), [trace.gradients[name]]));
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
  const parts = [el("h3", {}, t("summary.check_title")),
    el("p", {}, t("summary.check_help")),
    el("table", { class: "check-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("summary.check_variable")),
        el("th", { scope: "col" }, t("summary.check_checked")),
        el("th", { scope: "col" }, t("summary.check_error")))),
      el("tbody", {}, rows))];
  for (const [name, c] of Object.entries(check.variables)) {
    if (c.method !== "entries") continue; // a subset is a flat list, a direction one number
    const numeric = t("summary.numeric", { name });
    parts.push(equation(`\\text{${t("summary.numeric_tex")} } ${variableNode(name).latex} = ${
      texMatrix(c.numeric)}`, numeric, numeric, [c.numeric]));
  }
  return parts;
}

export function methodText(c) {
  if (c.method === "direction") return t("summary.method_direction");
  if (c.method === "subset") return t("summary.method_subset", { checked: c.checked, total: c.total });
  return t("summary.method_all", { total: c.total });
}
