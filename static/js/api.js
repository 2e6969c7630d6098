import { boxAspect } from "./zoom.js";
import { withNumbers } from "./state.js";

// The one place the page talks to the server. A trace's structure (its graph, SVG, words and
// LaTeX) is sent once: the page names the structure it holds, and an answer for the same
// structure carries numbers only, which are set into the held trace here (docs/API.md).

export async function postJson(url, body) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

// The latest full trace of each view ("vector", "scalar"): what the next request names.
const held = new Map();

// POST /api/trace: {response, data}, data a whole trace on success (numbers set into the held
// structure when the server sent numbers only), else the error. The graph box's aspect goes
// along: the layout is chosen for it (a structure of its own, docs/API.md).
export async function postTrace(body) {
  const view = body.view ?? "vector";
  const mine = held.get(view);
  const sent = { ...body, aspect: boxAspect() };
  const response = await postJson("/api/trace", mine ? { ...sent, structure: mine.structure }
    : sent);
  let data = await response.json();
  if (!response.ok) return { response, data };
  if (data.numbers) {
    data = withNumbers(mine, data.numbers);
  } else {
    held.set(view, data);
  }
  return { response, data };
}
