// The loss curve as an SVG plot, built node by node (no plotting library, no inline style: the
// page's CSS colours it): the loss s_k against the step k, axes with a few round ticks.

import { fmt } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 480;
const HEIGHT = 220;
const MARGIN = { left: 58, right: 14, top: 24, bottom: 34 };
const TICKS = 5; // about this many on each axis

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

// Round ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
// e.g. [0.21, 0.93] → 0.2, 0.4, 0.6, 0.8, 1.
export function ticks(lo, hi, count = TICKS) {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = power * ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10);
  const first = Math.floor(lo / step) * step;
  const out = [];
  for (let t = first; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  if (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

// The plotted range of the losses: a flat curve gets room above and below.
function span(values) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi > lo) return [lo, hi];
  const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
  return [lo - pad, hi + pad];
}

// `losses`: s_0 … s_K as numbers, the finite ones only (training stops at the first that is not).
export function lossCurve(losses, output) {
  const steps = losses.length - 1;
  const xTicks = ticks(0, Math.max(steps, 1), Math.min(TICKS, Math.max(steps, 1)))
    .filter((t) => Number.isInteger(t));
  const yTicks = ticks(...span(losses));
  const [x0, x1] = [MARGIN.left, WIDTH - MARGIN.right];
  const [y0, y1] = [HEIGHT - MARGIN.bottom, MARGIN.top];
  const xMax = xTicks[xTicks.length - 1];
  const [yLo, yHi] = [yTicks[0], yTicks[yTicks.length - 1]];
  const x = (k) => x0 + (k / xMax) * (x1 - x0);
  const y = (v) => y0 - ((v - yLo) / (yHi - yLo)) * (y0 - y1);

  const plot = svg("svg", {
    class: "loss-plot", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img",
    "aria-label": `Loss curve: ${output} from ${fmt(losses[0])} at step 0 to `
      + `${fmt(losses[steps])} at step ${steps}`,
  });
  const grid = svg("g", { class: "grid", "aria-hidden": "true" });
  for (const t of yTicks) {
    grid.append(svg("line", { x1: x0, x2: x1, y1: y(t), y2: y(t) }),
      svg("text", { x: x0 - 6, y: y(t), class: "tick y" }, fmt(t)));
  }
  for (const t of xTicks) {
    grid.append(svg("line", { x1: x(t), x2: x(t), y1: y0, y2: y0 + 4, class: "mark" }),
      svg("text", { x: x(t), y: y0 + 16, class: "tick x" }, fmt(t)));
  }
  grid.append(
    svg("line", { x1: x0, x2: x1, y1: y0, y2: y0, class: "axis" }),
    svg("line", { x1: x0, x2: x0, y1: y0, y2: y1, class: "axis" }),
    svg("text", { x: (x0 + x1) / 2, y: HEIGHT - 3, class: "label x" }, "step k"),
    svg("text", { x: x0 + 6, y: y1 - 12, class: "label y" }, output));
  const points = losses.map((v, k) => `${x(k).toFixed(2)},${y(v).toFixed(2)}`);
  plot.append(grid,
    svg("polyline", { class: "loss-line", points: points.join(" "),
      "data-points": losses.length }),
    svg("circle", { class: "loss-end", cx: x(steps), cy: y(losses[steps]), r: 3.5 }));
  return plot;
}
