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
  expandJacobians(trace);
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

// A held trace with another request's numbers: new objects where a number changed, the
// structure's own (svg, words, LaTeX) shared.
export function withNumbers(structure, numbers) {
  const nodes = structure.nodes.map((n, i) => ({ ...n, value: numbers.nodes[i][0],
    grad: numbers.nodes[i][1] }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  let b = 0;
  const steps = structure.steps.map((s) => {
    if (s.phase !== "backward") return s;
    const sent = numbers.backward[b++];
    return { ...s, fan_out: sent.fan_out, inputs: s.inputs.map((input, j) => {
      const edge = sent.inputs[j];
      let k = 0;
      const factors = input.shape_form.factors.map((f) => ("value" in f.ref
        ? { ...f, ref: { value: edge.factors[k++] } } : f));
      return { ...input, downstream: edge.downstream, local: edge.local,
        shape_form: { ...input.shape_form, factors } };
    }) };
  });
  const variables = {};
  const gradients = {};
  for (const [name, v] of Object.entries(structure.variables)) {
    const node = byId.get(v.node);
    variables[name] = { ...v, value: node.value };
    gradients[name] = node.grad ?? zeros(node.shape);
  }
  return { ...structure, nodes, steps, variables, gradients, seed: numbers.seed,
    value: numbers.value, warnings: numbers.warnings, warning_codes: numbers.warning_codes,
    gradient_check: withBackprop(numbers.gradient_check, gradients) };
}

// Every local Jacobian of a trace as the matrix the panel shows (the answer may send the
// identity by its size, a diagonal by its entries, I ⊗ B by B and n). Idempotent.
function expandJacobians(trace) {
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  for (const s of trace.steps) {
    if (s.phase !== "backward") continue;
    for (const input of s.inputs) {
      input.local = expand(input.local, size(byId.get(s.node)), size(byId.get(input.node)));
    }
  }
}

const size = (node) => node.shape[0] * node.shape[1];
const zeros = ([r, c]) => Array.from({ length: r }, () => new Array(c).fill(0));

function expand(local, n, m) {
  if (local === null || Array.isArray(local)) return local;
  const out = Array.from({ length: n }, () => new Array(m).fill(0));
  if ("identity" in local) {
    for (let i = 0; i < n; i++) out[i][i] = 1;
  } else if ("diagonal" in local) {
    local.diagonal.forEach((v, i) => { out[i][i] = v; });
  } else { // I_n ⊗ B: B on the diagonal blocks
    const [p, q] = [local.kron.length, local.kron[0].length];
    for (let b = 0; b < local.n; b++) {
      local.kron.forEach((row, i) => row.forEach((v, j) => { out[b * p + i][b * q + j] = v; }));
    }
  }
  return out;
}

// The check's backprop side where the answer left it out: the variable's gradient, or the
// entries of it the check compared.
function withBackprop(check, gradients) {
  if (!check) return check;
  const variables = {};
  for (const [name, v] of Object.entries(check.variables)) {
    const g = gradients[name];
    const backprop = v.backprop ?? (v.method === "entries" ? g
      : v.method === "subset" ? v.entries.map(([i, j]) => g[i][j]) : null);
    variables[name] = { ...v, backprop };
  }
  return { ...check, variables };
}
