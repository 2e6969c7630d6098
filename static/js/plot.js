// The loss curve as an SVG plot, built node by node (no plotting library, no inline style: the
// page's CSS colours it): the loss s_k against the step k, axes with a few round ticks.

import { fmt } from "./format.js";
import { t } from "./i18n.js";

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
  for (let v = first; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
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
  return curve(losses, {
    first: 0, yLabel: output, lineClass: "loss-line", yRange: span(losses),
    ariaLabel: t("training.plot.loss", { output, first: fmt(losses[0]),
      last: fmt(losses[steps]), steps }),
  });
}

// Mini-batch SGD's curves: one value per step, steps 1 … K (the loss of each step's batch, the
// train accuracy after it, from 0 to 1).
export function batchLossCurve(losses, output) {
  return curve(losses, {
    first: 1, yLabel: t("training.plot.batch_axis", { output }), lineClass: "loss-line",
    yRange: span(losses), ariaLabel: t("training.plot.batch", { first: fmt(losses[0]),
      last: fmt(losses[losses.length - 1]), steps: losses.length }),
  });
}

export function accuracyCurve(accuracies) {
  const last = accuracies[accuracies.length - 1];
  return curve(accuracies, {
    first: 1, yLabel: t("training.plot.accuracy_axis"), lineClass: "accuracy-line",
    yRange: [0, 1], ariaLabel: t("training.plot.accuracy", { first: percent(accuracies[0]),
      last: percent(last), steps: accuracies.length }),
  });
}

export const percent = (v) => `${(100 * v).toFixed(1)} %`;

// values[i] at step first + i, against round ticks on both axes.
function curve(values, { first, yLabel, lineClass, yRange, ariaLabel }) {
  const last = first + values.length - 1;
  const xTicks = ticks(0, Math.max(last, 1), Math.min(TICKS, Math.max(last, 1)))
    .filter((v) => Number.isInteger(v));
  const yTicks = ticks(...yRange);
  const [x0, x1] = [MARGIN.left, WIDTH - MARGIN.right];
  const [y0, y1] = [HEIGHT - MARGIN.bottom, MARGIN.top];
  const xMax = xTicks[xTicks.length - 1];
  const [yLo, yHi] = [yTicks[0], yTicks[yTicks.length - 1]];
  const x = (k) => x0 + (k / xMax) * (x1 - x0);
  const y = (v) => y0 - ((v - yLo) / (yHi - yLo)) * (y0 - y1);

  const plot = svg("svg", {
    class: "loss-plot", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": ariaLabel,
  });
  const grid = axes(yTicks.map((v) => [y(v), fmt(v)]), xTicks.map((v) => [x(v), fmt(v)]),
    [x0, x1, y0, y1], [t("training.plot.step_axis"), yLabel]);
  const points = values.map((v, i) => `${x(first + i).toFixed(2)},${y(v).toFixed(2)}`);
  plot.append(grid,
    svg("polyline", { class: lineClass, points: points.join(" "),
      "data-points": values.length }),
    svg("circle", { class: `${lineClass} loss-end`, cx: x(last), cy: y(values[values.length - 1]),
      r: 3.5 }));
  return plot;
}

// Grid lines (or, over a picture, only marks) and tick labels at [position, text], the two
// axes and their labels.
function axes(yTicks, xTicks, [x0, x1, y0, y1], [xLabel, yLabel], lines = true) {
  const grid = svg("g", { class: "grid", "aria-hidden": "true" });
  for (const [at, text] of yTicks) {
    grid.append(lines ? svg("line", { x1: x0, x2: x1, y1: at, y2: at })
      : svg("line", { x1: x0 - 4, x2: x0, y1: at, y2: at, class: "mark" }),
      svg("text", { x: x0 - 6, y: at, class: "tick y" }, text));
  }
  for (const [at, text] of xTicks) {
    grid.append(svg("line", { x1: at, x2: at, y1: y0, y2: y0 + 4, class: "mark" }),
      svg("text", { x: at, y: y0 + 16, class: "tick x" }, text));
  }
  grid.append(
    svg("line", { x1: x0, x2: x1, y1: y0, y2: y0, class: "axis" }),
    svg("line", { x1: x0, x2: x0, y1: y0, y2: y1, class: "axis" }),
    svg("text", { x: (x0 + x1) / 2, y: y0 + 30, class: "label x" }, xLabel),
    svg("text", { x: x0 + 6, y: y1 - 12, class: "label y" }, yLabel));
  return grid;
}

// ------------------------------------------------------------------ the decision boundary

const SIDE = 360; // the plane's square, in SVG units
const BOX = { left: 44, top: 24, right: 10, bottom: 34 };
const PALETTE_SIZE = 8; // the CSS's Okabe–Ito colours .cls-0 … .cls-7; shapes cycle too
const MARKERS = ["circle", "square", "triangle"];

function marker(kind, x, y, cls) {
  const r = 3.2;
  const [cx, cy] = [Number(x.toFixed(2)), Number(y.toFixed(2))];
  if (kind === "circle") return svg("circle", { class: cls, cx, cy, r });
  if (kind === "square") {
    return svg("rect", { class: cls, x: cx - r, y: cy - r, width: 2 * r, height: 2 * r });
  }
  const h = r * 1.25;
  return svg("polygon", { class: cls,
    points: [[cx, cy - h], [cx - h, cy + h * 0.8], [cx + h, cy + h * 0.8]]
      .map(([a, b]) => `${a.toFixed(2)},${b.toFixed(2)}`).join(" ") });
}

export const classClass = (k) => `cls-${k % PALETTE_SIZE}`;
export const classMarker = (k) => MARKERS[k % MARKERS.length];

// `boundary`: {x, y, classes} (the class predicted at (x[i], y[j]) in classes[j][i]);
// `data`: {features, labels, feature_names}. The regions are drawn as runs of one class along
// each row of the grid, under the points, each coloured (and shaped) by its class.
export function boundaryPlot(boundary, data) {
  const { x: gx, y: gy, classes } = boundary;
  const [x0, x1] = [BOX.left, BOX.left + SIDE];
  const [y0, y1] = [BOX.top + SIDE, BOX.top];
  const [xLo, xHi, yLo, yHi] = [gx[0], gx[gx.length - 1], gy[0], gy[gy.length - 1]];
  const dx = (xHi - xLo) / (gx.length - 1);
  const dy = (yHi - yLo) / (gy.length - 1);
  // cells are centred on the grid's points, so the plane spans half a cell more each way
  const px = (v) => x0 + ((v - xLo + dx / 2) / (xHi - xLo + dx)) * SIDE;
  const py = (v) => y0 - ((v - yLo + dy / 2) / (yHi - yLo + dy)) * SIDE;
  const plot = svg("svg", {
    class: "loss-plot boundary-plot",
    viewBox: `0 0 ${BOX.left + SIDE + BOX.right} ${BOX.top + SIDE + BOX.bottom}`, role: "img",
    "aria-label": t("training.plot.boundary", { features: data.feature_names.join(", "),
      n: data.labels.length }),
  });
  const regions = svg("g", { class: "regions", "data-cells": gx.length * gy.length,
    "shape-rendering": "crispEdges" });
  classes.forEach((row, j) => {
    let i = 0;
    while (i < row.length) {
      let end = i;
      while (end + 1 < row.length && row[end + 1] === row[i]) end += 1;
      const left = px(gx[i] - dx / 2);
      regions.append(svg("rect", {
        class: `region ${classClass(row[i])}`, "data-class": row[i],
        x: left.toFixed(2), width: (px(gx[end] + dx / 2) - left).toFixed(2),
        y: py(gy[j] + dy / 2).toFixed(2), height: (py(gy[j] - dy / 2) - py(gy[j] + dy / 2)).toFixed(2),
      }));
      i = end + 1;
    }
  });
  const points = svg("g", { class: "points", "data-points": data.labels.length });
  data.features.forEach(([a, b], n) => {
    const k = data.labels[n];
    points.append(marker(classMarker(k), px(a), py(b), `point ${classClass(k)}`));
  });
  const xs = ticks(xLo, xHi).filter((v) => v >= xLo - dx / 2 && v <= xHi + dx / 2);
  const ys = ticks(yLo, yHi).filter((v) => v >= yLo - dy / 2 && v <= yHi + dy / 2);
  plot.append(regions, points, axes(ys.map((v) => [py(v), fmt(v)]), xs.map((v) => [px(v), fmt(v)]),
    [x0, x1, y0, y1], data.feature_names, false));
  return plot;
}
