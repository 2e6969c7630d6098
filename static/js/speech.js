// Typeset math as a screen reader should say it: KaTeX's MathML read into words, a matrix row
// by row ("3 by 1 column: 0.79, 0.42, 0.18"), ∂s/∂W as "∂s over ∂W", a shape under a factor
// as "(3 by 4)". The typeset HTML is then hidden from assistive technology, and this is read.

import { t } from "./i18n.js";

// Each operator and mark by the key of its word in the catalog (speech.*).
const OPERATORS = {
  "=": "equals", "+": "plus", "−": "minus", "-": "minus", "∘": "elementwise", "⋅": "times",
  "·": "times", "×": "by", "/": "divided", "⊗": "kronecker",
};
const SAID = { "⋯": " … ", "⋮": " … ", "⋱": " … ", "…": " … ", "[": " ", "]": " " };
const MARKS = { "⊤": "transpose", "′": "prime", "T": "transpose" };

const operator = (op) => (op in OPERATORS ? ` ${t(`speech.op.${OPERATORS[op]}`)} ` : SAID[op]);

const text = (node) => node.textContent.trim();

function words(node) {
  const tag = node.localName;
  const kids = [...node.children];
  if (kids.length && ["mi", "mn", "mo", "mtext"].includes(tag)) return kids.map(words).join(" ");
  switch (tag) {
    case "annotation":
    case "mphantom":
      return "";
    case "mi":
    case "mn":
    case "mtext":
      return text(node);
    case "mo":
      return operator(text(node)) ?? text(node);
    case "mspace":
      return " ";
    case "mfrac":
      return t("speech.over", { a: words(kids[0]), b: words(kids[1]) });
    case "msup": {
      const mark = text(kids[1]);
      return mark in MARKS ? `${words(kids[0])} ${t(`speech.mark.${MARKS[mark]}`)}`
        : t("speech.power", { a: words(kids[0]), k: words(kids[1]) });
    }
    case "msub":
      return `${words(kids[0])} ${words(kids[1])}`;
    case "munder":
      return `${words(kids[0])} (${words(kids[1]).replace(/\s+/g, " ").trim()})`;
    case "mtable":
      return matrix(kids);
    default:
      return kids.map(words).join(" ");
  }
}

// A matrix by its rows: a column or a row as one list, a matrix row by row.
function matrix(rows) {
  const cells = rows.map((r) => [...r.children].map((c) => words(c).trim()));
  const [r, c] = [cells.length, cells[0]?.length ?? 0];
  if (c === 1) return ` ${t("speech.column", { r, entries: cells.map((x) => x[0]).join(", ") })}; `;
  if (r === 1) return ` ${t("speech.row_vector", { c, entries: cells[0].join(", ") })}; `;
  const each = cells.map((x, i) => t("speech.matrix_row", { i: i + 1, entries: x.join(", ") }));
  return ` ${t("speech.matrix", { r, c, rows: each.join("; ") })}; `;
}

// What a typeset element says, from the MathML KaTeX put beside its HTML.
export function speak(container) {
  const mathml = container.querySelector(".katex-mathml math");
  if (!mathml) return container.textContent;
  // no "; " before an operator that follows a matrix: "…, 0.18 plus …"
  const ops = ["equals", "plus", "minus", "times"].map((k) => escape(t(`speech.op.${k}`)));
  return words(mathml).replace(/\s+/g, " ").replace(/ ([,;:)])/g, "$1").replace(/;( |$)/g,
    (m, end) => (end ? "; " : "")).replace(new RegExp(`; (${ops.join("|")})`, "g"), " $1")
    .trim().replace(/;$/, "");
}

function escape(words) {
  return words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
