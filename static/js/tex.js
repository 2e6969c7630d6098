// LaTeX for what the panel shows with numbers: matrices in the one number format, shapes under
// factors, ∂a/∂b. Labels arrive as LaTeX from the trace (backprop_viz/latex.py); only numbers,
// shapes and layout are written here.

import { fmt } from "./format.js";

const MAX_SHOWN = 6; // rows beyond this are summarised: first three, ⋮, last two
const MAX_COLUMNS = 5; // columns beyond this: first two, ⋯, last two (a row must fit the panel)

// Whether a matrix is written abbreviated (with ⋯): "show all" then offers every entry.
export const abbreviated = (a) => Array.isArray(a) && (a.length > MAX_SHOWN
  || a[0].length > MAX_COLUMNS);

function shownIndices(n, most = MAX_SHOWN) {
  if (n <= most) return [...Array(n).keys()];
  return most === MAX_SHOWN ? [0, 1, 2, null, n - 2, n - 1] : [0, 1, null, n - 2, n - 1];
}

// A number in the page's format as LaTeX: −0.5 → -0.5, 1.2e−5 → 1.2{\times}10^{-5}.
export function texNumber(v) {
  const text = fmt(v).replaceAll("\u2212", "-");
  if (text === "∞" || text === "-∞") return text.replace("∞", "\\infty");
  if (text === "NaN") return "\\text{NaN}";
  const [m, e] = text.split("e");
  return e === undefined ? text : `${m}{\\times}10^{${e}}`;
}

// `a` (a list of rows) as a bracketed matrix, a scalar as a plain number; `tone` colours the
// numbers ("val" or "grad") through the page's own CSS variables (\htmlClass). An abbreviated
// matrix says its shape under it (unless `shape` is false: the caller writes it already).
export function texMatrix(a, tone, { shape = true } = {}) {
  const rows = shownIndices(a.length);
  const cols = shownIndices(a[0].length, MAX_COLUMNS);
  let body;
  if (a.length === 1 && a[0].length === 1) {
    body = texNumber(a[0][0]);
  } else {
    const lines = rows.map((i) => cols.map((j) => {
      if (i === null) return j === null ? "\\ddots" : "\\vdots";
      return j === null ? "\\cdots" : texNumber(a[i][j]);
    }).join(" & "));
    body = `\\begin{bmatrix}${lines.join(" \\\\ ")}\\end{bmatrix}`;
  }
  const toned = tone ? `\\htmlClass{${tone}}{${body}}` : body;
  return shape && abbreviated(a) ? under(toned, [a.length, a[0].length]) : toned;
}

const texShape = (shape) => `${shape[0]}{\\times}${shape[1]}`;

// x written with its shape under it: the shapes of a product visibly multiply.
export const under = (latex, shape) => `\\underset{${texShape(shape)}}{${latex}}`;

// A node's label as LaTeX, in parentheses when it is compound (W · x + b).
export const atom = (node) => (node.label.includes(" ") ? `(${node.latex})` : node.latex);

// `latex` (a node's label by default) marked as that node's term: hovering or focusing it
// lights the node up in the graph, and the node lights it up here (static/js/links.js).
export const term = (node, latex = node.latex) => `\\htmlData{node=${node.id}}{${latex}}`;

// ∂a/∂b for two nodes of the trace, each marked as its node's term.
export const partial = (a, b) => `\\dfrac{\\partial ${term(a, atom(a))}}{\\partial ${
  term(b, atom(b))}}`;

export const transpose = (a) => a[0].map((_, j) => a.map((row) => row[j]));
export const asRow = (a) => [a.flat()];
