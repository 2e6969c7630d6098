// The page's state, and the trace indexed once on arrival: everything the graph and the panel
// read comes from the engine's trace, nothing is recomputed here.

export const state = {
  trace: null, // the last good trace
  request: null, // the body that produced it (exports reuse it)
  vector: null, // the vector view's trace of the same request: the variables the table edits
  view: "vector", // the graph as the expression writes it, or "scalar" (static/js/views.js)
  step: 0,
  form: "shape", // backward steps in the shape convention, or "jacobian"
  nodes: new Map(), // node id → trace node
  outEdges: new Map(), // node id → edges leaving it
  inEdges: new Map(), // node id → edges entering it, by port
  downstream: new Map(), // "source|target|port" → what that edge carries back
  overrides: {}, // variable name → {value} or {shape}, edited by the user
  playing: null, // interval id while playing
  sequence: 0, // the newest request; older answers are dropped
  offline: false, // the exported standalone page: no server, no URL to keep
  // practice mode: gradients hidden until answered; question key → {wrong, status, message}
  practice: { on: false, results: new Map() },
};

export const edgeKey = (source, target, port) => `${source}|${target}|${port}`;
export const edgeId = (e) => `e-${e.source}-${e.target}-${e.port}`;

export function index(trace) {
  state.practice.results = new Map(); // a new trace asks anew: the score starts again
  state.nodes = new Map(trace.nodes.map((n) => [n.id, n]));
  state.outEdges = new Map(trace.nodes.map((n) => [n.id, []]));
  state.inEdges = new Map(trace.nodes.map((n) => [n.id, []]));
  for (const e of trace.edges) {
    state.outEdges.get(e.source).push(e);
    state.inEdges.get(e.target).push(e);
  }
  state.downstream = new Map();
  for (const step of trace.steps) {
    if (step.phase !== "backward") continue;
    for (const input of step.inputs) {
      // null: this edge is the input's only consumer, so it carries the input's whole gradient
      state.downstream.set(edgeKey(input.node, step.node, input.port),
        input.downstream ?? state.nodes.get(input.node).grad);
    }
  }
}

export function downstreamOf(source, target, port) {
  return state.downstream.get(edgeKey(source, target, port));
}
