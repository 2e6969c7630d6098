// The panel's words, said once each and in names the panel defines: the lecture's z and h
// where the expression left them unnamed (the trace's `names`), a δ's formula where it is
// defined, and what a textbook formula such as ŷ − y takes for granted of the numbers.

import { el } from "./dom.js";
import { t, tn } from "./i18n.js";
import { math } from "./math.js";
import { state } from "./state.js";
import { term } from "./tex.js";

const WORD = /[\p{L}\p{N}_′ᵀ₀-₉]/u;

// The name the forms call a node by (z, h), or null where they use its own label.
export function lectureName(node) {
  return state.trace.names?.find((n) => n.node === node.id) ?? null;
}

// A node as the forms write it: its lecture name where it has one, marked as its term.
export function saidTerm(node) {
  const named = lectureName(node);
  return named ? term(node, named.name) : term(node, node.label.includes(" ")
    ? `(${node.latex})` : node.latex);
}

export const saidText = (node) => lectureName(node)?.name ?? node.label;

// ∂a/∂b with both nodes as the forms write them: ∂s/∂h, ∂h/∂z.
export const saidPartial = (a, b) => `\\dfrac{\\partial ${saidTerm(a)}}{\\partial ${
  saidTerm(b)}}`;

// Whether `name` is written as a word of `text` (z in "f′(z)", not in "size").
function uses(text, name) {
  let at = text.indexOf(name);
  while (at >= 0) {
    const before = text[at - 1] ?? " ";
    const after = text[at + name.length] ?? " ";
    if (!WORD.test(before) && !(WORD.test(after) && after !== "′" && after !== "ᵀ")) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
}

// "As the lecture writes it: z = W · x + b, h = f(z)": the names these texts use, once.
export function definitions(texts) {
  const names = (state.trace.names ?? []).filter((n) => texts.some((t) => uses(t, n.name)));
  if (!names.length) return [];
  const parts = [];
  names.forEach((n, i) => parts.push(i ? ", " : "", math(n.latex, n.text)));
  const withF = names.some((n) => n.text.includes("f("));
  return [el("p", { class: "names-note" }, ...tn(withF ? "panel.names_f" : "panel.names",
    { names: parts, f: el("code", {}, state.trace.f) }))];
}

// The δ a step defines, with its formula's right-hand side (null where it was given up) and
// whether the numbers meet what the formula takes for granted.
export function definedDelta(step) {
  if (!step.delta?.defines) return null;
  const d = state.trace.deltas?.find((x) => x.node === step.node);
  if (!d) return null;
  const [, rhs] = d.text.split(" = ");
  const given = d.given ? holds(d.given) : true;
  const latex = d.latex.slice(d.latex.indexOf(" = ") + 3);
  return { d, rhs: rhs.startsWith("∂") || !given ? null : { text: rhs, latex }, given };
}

// y's entries sum to 1 along the softmax (each column for axis 0, each row for axis 1).
function holds(given) {
  const a = state.nodes.get(given.node).value;
  const sums = given.axis === 0 ? a[0].map((_, j) => a.reduce((s, row) => s + row[j], 0))
    : a.map((row) => row.reduce((s, v) => s + v, 0));
  return sums.every((s) => Math.abs(s - 1) <= 1e-9);
}

// The note under a δ whose formula assumes something of the numbers.
export function givenNote(found) {
  if (!found?.d.given) return [];
  const given = found.d.given;
  return [el("p", { class: "rule" }, found.given
    ? t("panel.given_holds", { given: { ...given.text_code, text: given.text } })
    : t("panel.given_fails", { given: given.condition_code }))];
}

// Every text a backward step's panel says, to find the names it uses.
export function stepTexts(step, node) {
  const texts = [saidText(node)];
  for (const input of step.inputs) {
    texts.push(input.shape_form.text, input.jacobian_form.text, input.jacobian_form.reshape);
  }
  const found = definedDelta(step);
  if (found?.rhs) texts.push(found.rhs.text);
  const closed = node.kind === "variable" ? state.trace.closed_forms?.[node.label] : null;
  if (closed) texts.push(closed.text);
  return texts;
}

const shapeText = (shape) => `${shape[0]}×${shape[1]}`;

// What aria-live says at step k, short: "Backward step 14 of 18: W · x. Upstream δ, 3×1.
// Sends δ · xᵀ to W; Wᵀ · δ to x." (the panel itself is read when the reader goes to it).
export function stepSummary(k) {
  const trace = state.trace;
  const n = trace.steps.length;
  const step = trace.steps[k - 1];
  if (!step) return t("speech.start", { n });
  const node = state.nodes.get(step.node);
  if (step.phase === "forward") {
    return t("speech.forward", { k, n, formula: step.formula, shape: shapeText(node.shape) });
  }
  const out = state.nodes.get(trace.output_id);
  const up = step.delta?.equal ? step.delta.name
    : node.id === out.id ? "1" : `∂${out.label}/∂${saidText(node)}`;
  const parts = [t("speech.backward", { k, n, node: node.label }),
    t("speech.upstream", { grad: up, shape: shapeText(node.shape) })];
  const sends = step.inputs.map((i) => t("speech.send", {
    grad: i.shape_form.text.split(" = ").slice(1).join(" = "),
    node: state.nodes.get(i.node).label }));
  if (sends.length) parts.push(t("speech.sends", { sends: sends.join("; ") }));
  if (node.kind === "variable") parts.push(t("speech.variable"));
  return parts.join(" ");
}
