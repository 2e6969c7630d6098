// The one number format (backprop_viz/numbers.py is the same rule; a browser test holds the two
// to the same text): four significant digits from 0.001 to 9999, three in exponent form outside,
// a true minus sign, half-way cases away from zero (toPrecision's rounding).

export const MINUS = "\u2212";
export const NODE_ENTRIES = 2; // entries a node's slot shows of an array before "…"
const NON_FINITE = { NaN: "NaN", Infinity: "∞", "-Infinity": MINUS + "∞" };

const plain = (text) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);

export function fmt(v) {
  if (typeof v === "string") return NON_FINITE[v] ?? v;
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return NON_FINITE[v > 0 ? "Infinity" : "-Infinity"];
  if (v === 0) return "0";
  const sign = v < 0 ? MINUS : "";
  const a = Math.abs(v);
  const r = Number(a.toPrecision(4));
  if (r >= 1e-3 && r < 1e4) return sign + plain(a.toPrecision(4));
  const [mantissa, exponent] = a.toExponential(2).split("e");
  return `${sign}${plain(mantissa)}e${Number(exponent)}`.replace("-", MINUS);
}

export function shapeText(a) {
  return `${a.length}×${a[0].length}`;
}

// A graph slot's text for an array: a scalar in full, else its first entries in the
// language's notation ("[0.21; −0.5; …]" down a column, "[0.21, −0.5, …]" along a row).
export function brief(a, entries) {
  const rows = a.length;
  const cols = a[0].length;
  if (rows * cols === 1) return fmt(a[0][0]);
  const sep = cols === 1 ? "; " : ", ";
  const shown = [];
  for (let k = 0; k < Math.min(entries, rows * cols); k += 1) {
    shown.push(fmt(a[Math.floor(k / cols)][k % cols]));
  }
  return `[${shown.join(sep)}${rows * cols > entries ? sep + "…" : ""}]`;
}
