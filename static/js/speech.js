// Typeset math as a screen reader should say it: KaTeX's MathML read into words, a matrix row
// by row ("3 by 1 column: 0.79, 0.42, 0.18"), ∂s/∂W as "∂s over ∂W", a shape under a factor
// as "(3 by 4)". The typeset HTML is then hidden from assistive technology, and this is read.

const OPERATORS = {
  "=": " equals ", "+": " plus ", "−": " minus ", "-": " minus ", "∘": " elementwise times ",
  "⋅": " times ", "·": " times ", "×": " by ", "/": " divided by ", "⊗": " Kronecker ",
  "⋯": " … ", "⋮": " … ", "⋱": " … ", "…": " … ", "[": " ", "]": " ",
};
const MARKS = { "⊤": " transpose", "′": " prime", "T": " transpose" };

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
      return OPERATORS[text(node)] ?? text(node);
    case "mspace":
      return " ";
    case "mfrac":
      return `${words(kids[0])} over ${words(kids[1])}`;
    case "msup": {
      const mark = text(kids[1]);
      return `${words(kids[0])}${MARKS[mark] ?? ` to the power ${words(kids[1])}`}`;
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
  if (c === 1) return ` column of ${r}: ${cells.map((x) => x[0]).join(", ")}; `;
  if (r === 1) return ` row of ${c}: ${cells[0].join(", ")}; `;
  return ` ${r} by ${c} matrix, ${cells.map((x, i) => `row ${i + 1}: ${x.join(", ")}`)
    .join("; ")}; `;
}

// What a typeset element says, from the MathML KaTeX put beside its HTML.
export function speak(container) {
  const mathml = container.querySelector(".katex-mathml math");
  if (!mathml) return container.textContent;
  return words(mathml).replace(/\s+/g, " ").replace(/ ([,;:)])/g, "$1").replace(/;( |$)/g,
    (m, end) => (end ? "; " : "")).replace(/; (equals|plus|minus|times)/g, " $1").trim()
    .replace(/;$/, "");
}
