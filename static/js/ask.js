// Practice mode in the panel: a backward step asks for the gradients it computes instead of
// showing them. An answer of numbers is read and checked here (answer.js), with no request; a
// formula ("Check my formula") is evaluated by POST /api/check on the same numbers. Once an
// answer is right or shown, the step's usual equations take the question's place.

import { AnswerError, TOLERANCE, compareAnswer, parseAnswer } from "./answer.js";
import { postJson } from "./api.js";
import { el } from "./dom.js";
import { refreshGradients } from "./graph.js";
import { errorText, t, tn } from "./i18n.js";
import { math } from "./math.js";
import {
  questionFor, questionsAt, record, result, score, settled, stepAsking,
} from "./practice.js";
import { state } from "./state.js";
import { saidPartial, saidText } from "./words.js";

const LETTER = /\p{L}/u; // an answer with a letter in it is a formula

// What each question's form holds besides its result, for the trace's results (a new trace
// starts afresh): the text typed, and what its status says, as a function, so that a panel
// drawn again (at a new language) keeps the answer and says the message in the new words.
const drafts = new WeakMap();

function draftOf(key) {
  if (!drafts.has(state.practice.results)) drafts.set(state.practice.results, new Map());
  const mine = drafts.get(state.practice.results);
  if (!mine.has(key)) mine.set(key, { text: "", status: null, shown: null });
  return mine.get(key);
}

// The practice panel of a backward step. `shown` draws what the panel shows without practice:
// upstream(step, node), input(step, node, input, source), section(input, source, ...children).
export function askBackward(step, node, shown) {
  const out = state.nodes.get(state.trace.output_id);
  const up = saidPartial(out, node);
  const asks = questionsAt(step);
  const parts = [];
  const upstream = asks.find((q) => q.port === null);
  const key = questionFor(step.node);
  if (upstream) {
    parts.push(block(upstream, { latex: up, text: `∂${out.label}/∂${saidText(node)}`,
      shape: node.shape }, () => shown.upstream(step, node), [
      el("h3", {}, t("panel.upstream_title")),
      el("p", {}, ...tn("practice.fan_out", { node: math(node.latex, node.label),
        count: step.contributions.length }))]));
  } else if (key === null || settled(key)) {
    parts.push(...shown.upstream(step, node));
  } else {
    parts.push(el("h3", {}, t("panel.upstream_title")),
      el("p", { class: "ask-pending" }, ...tn("practice.pending", {
        grad: math(`${up} = \\;?`, `${up} = ?`), step: stepAsking(key) })));
  }
  for (const q of asks.filter((a) => a.port !== null)) {
    const input = step.inputs.find((i) => i.port === q.port);
    const source = state.nodes.get(input.node);
    const lhs = input.shape_form?.lhs ?? { latex: saidPartial(out, source),
      text: `∂${out.label}/∂${saidText(source)}`, shape: source.shape };
    parts.push(shown.section(input, source,
      block(q, lhs, () => shown.input(step, node, input, source))));
  }
  if (asks.length) parts.unshift(help());
  return parts;
}

function help() {
  return el("p", { class: "ask-help" }, ...tn("practice.help", {
    column: el("code", {}, "[1; −2]"), matrix: el("code", {}, "[1, 2; 3, 4]"),
    tolerance: TOLERANCE, formula: el("code", {}, "δ xᵀ") }));
}

// One question: its form until it is settled, then what the panel would have shown. `intro`
// stands above the form (and is dropped once the answer is shown).
function block(q, lhs, reveal, intro = []) {
  const box = el("div", { class: "ask", "data-question": q.key });
  const draw = () => {
    const r = result(q.key);
    if (settled(q.key)) {
      box.replaceChildren(feedback(r), ...reveal());
      return;
    }
    const field = el("input", {
      type: "text", class: "answer", autocomplete: "off", spellcheck: "false",
      placeholder: t("practice.placeholder"), "aria-label": t("practice.field_label",
        { grad: lhs.text, shape: `${lhs.shape[0]}×${lhs.shape[1]}` }),
    });
    const draft = draftOf(q.key);
    field.value = draft.text;
    field.addEventListener("input", () => { draft.text = field.value; });
    const status = el("div", { class: "ask-status", role: "status" });
    draft.shown = { status, settle };
    if (draft.status) status.replaceChildren(...draft.status());
    else if (r) status.replaceChildren(feedback(r));
    const form = el("form", { class: "ask-form" }, field,
      el("button", { type: "submit", class: "check" }, t("practice.check")),
      button(t("practice.check_formula"), "formula", () => checkFormula(q, field)),
      button(t("practice.show"), "show", () => {
        record(q.key, "shown", () => t("practice.shown_note"));
        settle();
      }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      checkAnswer(q, field, status, settle);
    });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") field.blur(); // back to the arrow keys
    });
    box.replaceChildren(...intro,
      el("p", { class: "ask-q" }, math(`\\displaystyle ${lhs.latex} = \\;?`, `${lhs.text} = ?`),
        el("span", { class: "ask-shape" }, ` (${lhs.shape[0]}×${lhs.shape[1]})`)),
      form, status);
  };
  // Settled: the question gives way to the step's equations, the graph shows the gradient, and
  // the next open question of the step gets the focus.
  const settle = () => {
    draw();
    refreshGradients();
    if (state.step === state.trace.steps.length) showScore();
    document.querySelector("#panel input.answer")?.focus();
  };
  draw();
  return box;
}

// Each question's status box and settle as last drawn (its draft's `shown`, gone with the
// trace's results): an answer that comes back after the panel was drawn again (a new language,
// a re-render) is told there, or dropped when its question is no longer on screen.
function shownNow(key) {
  const now = draftOf(key).shown;
  return now?.status.isConnected ? now : null;
}

function button(text, kind, onClick) {
  const b = el("button", { type: "button", class: kind }, text);
  b.addEventListener("click", onClick);
  return b;
}

function feedback(r) {
  const kind = r.status ?? "wrong";
  const message = typeof r.message === "function" ? r.message() : r.message;
  return el("p", { class: `ask-feedback ${kind}` }, el("strong", {}, t(`practice.${kind}`)),
    `: ${message}`);
}

function checkAnswer(q, field, status, settle) {
  const text = field.value;
  if (!text.trim()) {
    tell(q, status, () => said(t("practice.empty")));
    return;
  }
  let answer;
  try {
    answer = parseAnswer(text);
  } catch (err) {
    if (!(err instanceof AnswerError)) throw err;
    if (LETTER.test(text)) {
      checkFormula(q, field);
      return;
    }
    tell(q, status, () => said(parseError(text), text, err.position));
    return;
  }
  const { right } = compareAnswer(answer, q.expected);
  // the words are said when shown, in the page's language then
  record(q.key, right ? "right" : "wrong", right ? () => t("practice.within")
    : () => compareAnswer(answer, q.expected).why);
  settleOr(q, status, settle);
}

async function checkFormula(q, field) {
  const formula = field.value;
  const results = state.practice.results;
  let response;
  let data;
  let failed = null;
  try {
    response = await postJson("/api/check",
      { ...state.request, formula, step: state.step, port: q.port });
    data = await response.json();
  } catch (err) {
    failed = err;
  }
  if (results !== state.practice.results) return; // the trace changed meanwhile
  const now = shownNow(q.key);
  if (!now) return; // the question is no longer on screen
  const { status, settle } = now;
  if (failed) {
    tell(q, status, () => said(t("ui.no_answer", { why: failed.message })));
    return;
  }
  if (!response.ok) {
    tell(q, status, () => said(errorText(data), formula, data.position));
    return;
  }
  const [r, c] = data.shape;
  const [er, ec] = data.expected_shape;
  const why = r !== er || c !== ec
    ? () => t("practice.formula_shape", { got: `${r}×${c}`, want: `${er}×${ec}` })
    : () => t("practice.formula_off", { error: data.max_abs_error ?? "NaN" });
  record(q.key, data.correct ? "right" : "wrong",
    data.correct ? () => t("practice.formula_right", { formula: formula.trim() }) : why);
  settleOr(q, status, settle);
}

function settleOr(q, status, settle) {
  if (settled(q.key)) settle();
  else tell(q, status, () => [feedback(result(q.key))]);
}

// What the status under a question's field says: `words` draws it, now and again when the
// panel is drawn again (a new language says it in its own words).
function tell(q, status, words) {
  draftOf(q.key).status = words;
  status.replaceChildren(...words());
}

// Why `text` is not an answer, in the page's language now.
function parseError(text) {
  try {
    parseAnswer(text);
    return "";
  } catch (err) {
    return err.message;
  }
}

// A message under the field; with a position, the text with a ^ under that character.
function said(message, text, position) {
  const parts = [el("p", { class: "error-msg" }, message)];
  if (Number.isInteger(position) && typeof text === "string") {
    const chars = Array.from(text);
    parts.push(el("pre", { class: "caret" }, `${text}\n`,
      el("span", { class: "caret-pad", "aria-hidden": "true" },
        chars.slice(0, Math.min(position, chars.length)).join("")), "^"));
  }
  return parts;
}

// The score at the last step (drawn by the panel; redrawn here as the last answers come in).
export function scoreParts() {
  if (!state.practice.on) return [];
  const s = score();
  return [el("section", { class: "score", id: "practice-score" },
    el("h3", {}, t("practice.score_title")), el("p", {}, t("practice.score", { score: s.text })))];
}

function showScore() {
  const [fresh] = scoreParts();
  document.getElementById("practice-score")?.replaceWith(fresh);
}
