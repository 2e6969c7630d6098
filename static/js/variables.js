// The variables table: shapes and values the user edits, each edit re-rendering by itself after
// a pause; and the values carried over when the expression changes.

import { MINUS } from "./format.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { state } from "./state.js";


// The field of the last edit not drawn yet: an error that its render meets is shown beside it.
let edited = null;
// How the error beside a field says itself, said again at a new language.
let fieldWords = null;

export function fillVariables(trace) {
  edited = null;
  const rows = Object.entries(trace.variables).map(([name, v]) => {
    const edited = name in state.overrides;
    const shape = el("input", {
      type: "text", value: `${v.shape[0]}×${v.shape[1]}`, size: "6",
      "aria-label": t("ui.vars.shape_of", { name }), spellcheck: "false",
    });
    const value = el("textarea", {
      rows: String(Math.min(v.value.length, 6)), spellcheck: "false",
      "aria-label": t("ui.vars.value_of", { name }),
    });
    value.value = v.value.map((row) => row.map((x) => String(x)).join("  ")).join("\n");
    shape.addEventListener("input", () => edit(name, "shape", shape));
    value.addEventListener("input", () => edit(name, "value", value));
    return el("tr", { class: edited ? "edited" : null },
      el("th", { scope: "row", "data-edited": t("ui.vars.edited") }, name),
      el("td", {}, shape), el("td", {}, value));
  });
  $("vars-table").tBodies[0].replaceChildren(...rows);
}

// The table's labels in a new language; what the user typed stays.
export function relabelVariables() {
  for (const row of $("vars-table").tBodies[0].rows) {
    const name = row.cells[0].textContent;
    row.cells[0].dataset.edited = t("ui.vars.edited");
    row.querySelector("input")?.setAttribute("aria-label", t("ui.vars.shape_of", { name }));
    row.querySelector("textarea")?.setAttribute("aria-label", t("ui.vars.value_of", { name }));
  }
  if ($("var-error") && fieldWords) $("var-error").textContent = fieldWords();
  if (!$("stale").hidden && staleWords) $("stale").textContent = staleWords();
}

// Remember an edit as the request will send it. One that parses re-renders after a pause; one
// that does not is marked, and the graph says it is out of date until it does.
function edit(name, field, input) {
  const parsed = field === "shape" ? parseShape(input.value) : parseValue(input.value);
  clearFieldError();
  edited = input;
  input.setAttribute("aria-invalid", String(parsed === null));
  // As typed when it does not parse: Render then shows the server's error, quoting it.
  state.overrides[name] = { [field]: parsed ?? input.value };
  input.closest("tr").classList.add("edited");
  if (parsed === null) {
    const why = () => t(field === "shape" ? "ui.vars.bad_shape" : "ui.vars.bad_value", { name });
    markStale(() => t("ui.vars.stale", { why: why() }));
    showFieldError(() => t("ui.vars.field_error", { why: why() }));
    return;
  }
  schedule();
}

// An error beside the field the user edited, if its edit is what was rendered; false if not.
// `words()` says it in the page's language, now and after a switch.
export function showFieldError(words) {
  if (!edited || !edited.isConnected) return false;
  clearFieldError();
  fieldWords = words;
  edited.setAttribute("aria-invalid", "true");
  edited.setAttribute("aria-describedby", "var-error");
  edited.after(el("p", { id: "var-error", class: "field-error", role: "alert" }, words()));
  return true;
}

function clearFieldError() {
  fieldWords = null;
  const old = $("var-error");
  if (!old) return;
  old.previousElementSibling?.removeAttribute("aria-describedby");
  old.remove();
}

function parseShape(text) {
  const dims = text.split(/[×x*,\s]+/).filter(Boolean).map(Number);
  return dims.length === 2 && dims.every((d) => Number.isInteger(d) && d > 0) ? dims : null;
}

// Rows on lines (or separated by ;), numbers by spaces or commas: a matrix row by row.
function parseValue(text) {
  const rows = text.split(/[\n;]/).map((r) => r.trim()).filter(Boolean)
    .map((r) => r.split(/[\s,]+/).filter(Boolean).map((x) => Number(x.replaceAll(MINUS, "-"))));
  const square = rows.length && rows.every((r) => r.length === rows[0].length);
  return square && rows.every((r) => r.every(Number.isFinite)) ? rows : null;
}

// ------------------------------------------------------------------ re-rendering by itself

const PAUSE_MS = 400; // after the last keystroke in a value, shape or the seed
let timer = null;
let render = null;

export function onChange(renderGraph) {
  render = renderGraph;
}

// Re-render after a pause; until then the graph is marked out of date.
export function schedule(delay = PAUSE_MS) {
  markStale(() => t("ui.updating"));
  clearTimeout(timer);
  timer = setTimeout(() => render(), delay);
}

// The graph marked out of date; `words()` says why in the page's language, again after a switch.
let staleWords = null;

export function markStale(words) {
  staleWords = words;
  $("stale").textContent = words();
  $("stale").hidden = false;
  $("graph").classList.add("stale");
}

export function markFresh() {
  clearTimeout(timer);
  $("stale").hidden = true;
  $("graph").classList.remove("stale");
}

// The values of the last trace that a new trace can keep: same name, same shape, other numbers.
export function carriedValues(previous, next) {
  const kept = {};
  for (const [name, v] of Object.entries(previous.variables)) {
    const now = next.variables[name];
    if (now && now.shape[0] === v.shape[0] && now.shape[1] === v.shape[1]
      && JSON.stringify(now.value) !== JSON.stringify(v.value)) {
      kept[name] = { value: v.value };
    }
  }
  return kept;
}
