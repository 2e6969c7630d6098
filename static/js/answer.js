// Practice mode's answers of numbers, read and checked in the browser (nothing is sent): a
// number (−0.5, 1e-3) or a small vector or matrix in the language's own notation, `[1; -2]` a
// column, `[1, 2; 3, 4]` a matrix: `,` (or spaces) between columns, `;` or a new line between
// rows, a leading − or - on any entry.

import { t } from "./i18n.js";

// An answer is right when every entry is within this much of the trace's (relative, at least
// absolute): what a student who writes four significant digits, as the page does, gets right.
export const TOLERANCE = 1e-3;

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+\-\u2212]?\d+)?/;
const SPECIAL = [["NaN", NaN], ["∞", Infinity], ["inf", Infinity], ["Infinity", Infinity]];

export class AnswerError extends Error {
  constructor(message, position) {
    super(message);
    this.position = position;
  }
}

// The answer as a list of rows, or an AnswerError with the 0-based position of the mistake.
export function parseAnswer(text) {
  const chars = Array.from(text);
  let i = 0;
  const skip = (newlines) => {
    while (i < chars.length && /\s/.test(chars[i]) && (newlines || chars[i] !== "\n")) i += 1;
  };
  const fail = (what) => {
    throw new AnswerError(t("practice.at_column", { what, column: i + 1 }), i);
  };

  function entry() {
    let sign = 1;
    while (i < chars.length && "+-\u2212".includes(chars[i])) {
      if (chars[i] !== "+") sign = -sign;
      i += 1;
      skip(false);
    }
    const rest = chars.slice(i).join("");
    const special = SPECIAL.find(([word]) => rest.startsWith(word));
    if (special) {
      i += Array.from(special[0]).length;
      return sign * special[1];
    }
    const match = NUMBER.exec(rest);
    if (!match) {
      fail(i < chars.length ? t("practice.expected_number_not", { got: chars[i] })
        : t("practice.expected_number"));
    }
    i += match[0].length;
    return sign * Number(match[0].replace("\u2212", "-"));
  }

  skip(true);
  const bracketed = chars[i] === "[";
  if (bracketed) i += 1;
  const rows = [[]];
  for (;;) {
    skip(false);
    rows.at(-1).push(entry());
    skip(false);
    const c = chars[i];
    if (c === ",") {
      i += 1;
    } else if (c === ";" || c === "\n") {
      i += 1;
      skip(true);
      if (bracketed && chars[i] === "]") break; // a trailing ; before ]
      rows.push([]);
    } else if (c === "]" || c === undefined) {
      break;
    } else if (c === "[") {
      fail(t("practice.nested"));
    } // else entries separated by spaces only: the next column
  }
  if (bracketed) {
    if (chars[i] !== "]") fail(t("practice.unclosed"));
    i += 1;
  } else if (chars[i] === "]") {
    fail(t("practice.unopened"));
  }
  skip(true);
  if (i < chars.length) fail(t("practice.unexpected", { got: chars[i] }));
  const width = rows[0].length;
  const ragged = rows.findIndex((r) => r.length !== width);
  if (ragged >= 0) {
    const n = rows[ragged].length;
    throw new AnswerError(t(n === 1 ? "practice.ragged_one" : "practice.ragged",
      { row: ragged + 1, n, width }), null);
  }
  return rows;
}

const value = (v) => (typeof v === "string" ? { NaN, Infinity, "-Infinity": -Infinity }[v] : v);
const shape = (a) => `${a.length}×${a[0].length}`;

function close(a, b) {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (!Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));
}

// {right, why}: an answer (rows) against the trace's array (rows, numbers or "NaN"/"±Infinity").
// `why` says what is wrong: the shapes (and whether the numbers are the transpose), or which
// entries (1-based, row then column) are off.
export function compareAnswer(answer, expected) {
  const want = expected.map((row) => row.map(value));
  if (answer.length !== want.length || answer[0].length !== want[0].length) {
    const transposed = answer.length === want[0].length && answer[0].length === want.length
      && want.every((row, r) => row.every((v, c) => close(answer[c][r], v)));
    return {
      right: false,
      why: t(transposed ? "practice.shape_transposed" : "practice.shape",
        { got: shape(answer), want: shape(want) }),
    };
  }
  const off = [];
  want.forEach((row, r) => row.forEach((v, c) => {
    if (!close(answer[r][c], v)) off.push(`(${r + 1}, ${c + 1})`);
  }));
  if (!off.length) return { right: true, why: "" };
  const size = want.length * want[0].length;
  if (size === 1) return { right: false, why: t("practice.number_off") };
  const shown = off.length > 4 ? `${off.slice(0, 4).join(", ")}, …` : off.join(", ");
  return {
    right: false,
    why: t(off.length === 1 ? "practice.entry_off" : "practice.entries_off",
      { n: off.length, size, shown }),
  };
}
