// Practice mode's questions and score, from the trace. Each backward step asks for what it
// computes: the gradient it sends back to each input (that edge's contribution), and, where the
// node feeds two or more others, its own gradient (the sum of their contributions). A gradient
// on the graph shows "?" until the question that computes it is answered or shown.

import { t } from "./i18n.js";
import { downstreamOf, state } from "./state.js";

const RIGHT = "right";
const SHOWN = "shown";

export const edgeQuestion = (source, target, port) => `edge:${source}|${target}|${port}`;
const upstreamQuestion = (node) => `up:${node}`;

// The questions of one backward step: {key, port (null: the upstream), input (its node id, or
// the step's node for the upstream), expected (the trace's array)}.
export function questionsAt(step) {
  const asks = [];
  if (step.contributions.length > 1) {
    asks.push({ key: upstreamQuestion(step.node), port: null, input: step.node,
      expected: state.nodes.get(step.node).grad });
  }
  for (const input of step.inputs) {
    asks.push({ key: edgeQuestion(input.node, step.node, input.port), port: input.port,
      input: input.node, expected: downstreamOf(input.node, step.node, input.port) });
  }
  return asks;
}

export const result = (key) => state.practice.results.get(key);
export const settled = (key) => [RIGHT, SHOWN].includes(result(key)?.status);

// The question whose answer is node `id`'s gradient, or null (the output's is 1).
export function questionFor(id) {
  const step = backwardStep(id);
  if (!step || step.contributions.length === 0) return null;
  if (step.contributions.length > 1) return upstreamQuestion(id);
  const [c] = step.contributions;
  return edgeQuestion(id, c.node, c.port);
}

// The 1-based step that asks a question (for "asked at step k").
export function stepAsking(key) {
  const k = state.trace.steps.findIndex((s) => s.phase === "backward"
    && questionsAt(s).some((q) => q.key === key));
  return k + 1;
}

let stepsByNode = { trace: null, map: new Map() };

function backwardStep(id) {
  if (stepsByNode.trace !== state.trace) {
    stepsByNode = { trace: state.trace, map: new Map() };
    for (const s of state.trace.steps) if (s.phase === "backward") stepsByNode.map.set(s.node, s);
  }
  return stepsByNode.map.get(id);
}

// May the graph show node `id`'s gradient (or the gradient an edge carries back)?
export const gradientShown = (id) => {
  if (!state.practice.on) return true;
  const key = questionFor(id);
  return key === null || settled(key);
};
export const edgeGradientShown = (e) => !state.practice.on
  || settled(edgeQuestion(e.source, e.target, e.port));

// Record an attempt: a wrong one counts against "right first time" until the question is
// settled; a right one or "show answer" settles it.
export function record(key, outcome, message) {
  const r = result(key) ?? { wrong: 0, status: null, message: "" };
  if (r.status === null) {
    if (outcome === "wrong") r.wrong += 1;
    else r.status = outcome;
  }
  r.message = message;
  state.practice.results.set(key, r);
}

// "7 of 9 right first time, 1 shown, 1 not answered".
export function score() {
  const keys = state.trace.steps.filter((s) => s.phase === "backward")
    .flatMap((s) => questionsAt(s).map((q) => q.key));
  const rs = keys.map(result);
  const first = rs.filter((r) => r?.status === RIGHT && r.wrong === 0).length;
  const later = rs.filter((r) => r?.status === RIGHT && r.wrong > 0).length;
  const shown = rs.filter((r) => r?.status === SHOWN).length;
  const open = keys.length - first - later - shown;
  const parts = [t("practice.score_first", { first, total: keys.length })];
  if (later) parts.push(t("practice.score_later", { later }));
  if (shown) parts.push(t("practice.score_shown", { shown }));
  if (open) parts.push(t("practice.score_open", { open }));
  return { total: keys.length, first, text: parts.join(", ") };
}
