// Pinch zoom on the graph: two fingers apart zoom in about the point between them, together
// zoom out. The box takes every touch itself (touch-action: none), so the browser's own pinch
// never starts there; graph.js pans with one pointer, and this leaves it alone until a second
// one lands, then keeps the pan from seeing the pinch's moves.

import { $ } from "./dom.js";
import { zoom } from "./zoom.js";


export function initPinch() {
  const box = $("graph");
  if (!box) return;
  const down = new Map(); // pointerId → its last position, while on the box
  let spread = null; // the distance between the two fingers at the last move

  const between = () => {
    const [a, b] = [...down.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  // listened for on the box's parent as events go down to it: before graph.js's own listeners
  const wrap = box.parentElement;
  const mine = (event) => event.target instanceof Node && box.contains(event.target);
  wrap.addEventListener("pointerdown", (event) => {
    if (!mine(event)) return;
    down.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (down.size !== 2) return;
    box.setPointerCapture(event.pointerId);
    spread = between().d;
    event.stopPropagation(); // the pan keeps its first finger, and stops with the pinch
  }, true);
  wrap.addEventListener("pointermove", (event) => {
    if (!down.has(event.pointerId)) return;
    down.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (down.size !== 2) return;
    event.stopPropagation();
    const now = between();
    if (spread > 0 && now.d > 0) zoom(now.d / spread, now.x, now.y);
    spread = now.d;
  }, true);
  const lift = (event) => {
    down.delete(event.pointerId);
    if (down.size < 2) spread = null;
  };
  wrap.addEventListener("pointerup", lift, true);
  wrap.addEventListener("pointercancel", lift, true);
}
