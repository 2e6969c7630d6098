// Practice mode's answers of numbers, read and checked in the browser (nothing is sent): a
// number (−0.5, 1e-3) or a small vector or matrix in the language's own notation, `[1; -2]` a
// column, `[1, 2; 3, 4]` a matrix: `,` (or spaces) between columns, `;` or a new line between
// rows, a leading − or - on any entry.

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
    throw new AnswerError(`${what} at column ${i + 1}`, i);
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
    if (!match) fail(i < chars.length ? `expected a number, not '${chars[i]}'` : "expected a number");
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
      fail("brackets inside brackets: write rows separated by ;, as in [1, 2; 3, 4]");
    } // else entries separated by spaces only: the next column
  }
  if (bracketed) {
    if (chars[i] !== "]") fail("expected ']' to close the '['");
    i += 1;
  } else if (chars[i] === "]") {
    fail("']' without a '['");
  }
  skip(true);
  if (i < chars.length) fail(`unexpected '${chars[i]}'`);
  const width = rows[0].length;
  const ragged = rows.findIndex((r) => r.length !== width);
  if (ragged >= 0) {
    const n = rows[ragged].length;
    throw new AnswerError(`row ${ragged + 1} has ${n} ${n === 1 ? "entry" : "entries"} but row 1 `
      + `has ${width}: every row needs the same number`, null);
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
      why: `your answer is ${shape(answer)} but the gradient is ${shape(want)}`
        + (transposed ? ": these are its numbers, transposed" : ""),
    };
  }
  const off = [];
  want.forEach((row, r) => row.forEach((v, c) => {
    if (!close(answer[r][c], v)) off.push(`(${r + 1}, ${c + 1})`);
  }));
  if (!off.length) return { right: true, why: "" };
  const size = want.length * want[0].length;
  if (size === 1) return { right: false, why: "the number is off" };
  const shown = off.length > 4 ? `${off.slice(0, 4).join(", ")}, …` : off.join(", ");
  return {
    right: false,
    why: `${off.length} of ${size} entries ${off.length === 1 ? "is" : "are"} off: ${shown}`,
  };
}
