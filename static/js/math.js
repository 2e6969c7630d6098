// Typeset math: KaTeX (pinned through npm, served by the app at /vendor/katex/) renders LaTeX
// into the DOM with katex.render, which sets styles through the CSSOM, so the page's strict CSP
// (no inline style) holds. Without KaTeX the plain-text form is shown instead.

import { el } from "./dom.js";
import { fmt } from "./format.js";
import { t } from "./i18n.js";
import { speak } from "./speech.js";
import { abbreviated } from "./tex.js";

let katex = null;

export async function loadMath() {
  try {
    katex = (await import("/vendor/katex/katex.mjs")).default;
    // the page loads KaTeX's style sheet for print only, so it never holds the first graph up
    document.getElementById("katex-css")?.setAttribute("media", "all");
  } catch {
    katex = null;
  }
  return katex !== null;
}

// Whether formulas are typeset yet (KaTeX loads after the first graph is drawn).
export const typeset = () => katex !== null;

// \htmlClass and \htmlData are the commands trusted: the panel colours numbers and marks each
// node's terms with them, and only the page writes them (labels reach here escaped by latex.py).
const OPTIONS = {
  throwOnError: true, strict: "ignore", output: "htmlAndMathml",
  trust: (context) => context.command === "\\htmlClass" || context.command === "\\htmlData",
};

// An element showing `latex` typeset (display style when `display`), or `text` as a fallback.
export function math(latex, text, { display = false } = {}) {
  const node = el(display ? "div" : "span", { class: "math" });
  if (katex) {
    try {
      katex.render(latex, node, { ...OPTIONS, displayMode: display });
      // read as words, matrices by rows (speech.js), not as KaTeX's MathML or its HTML
      node.querySelector(".katex-mathml")?.setAttribute("aria-hidden", "true");
      node.append(el("span", { class: "visually-hidden" }, speak(node)));
      return node;
    } catch {
      node.replaceChildren();
    }
  }
  node.classList.add("math-text");
  node.textContent = text;
  return node;
}

// The LaTeX a reader pastes into their notes: without the page's colour classes.
export const portable = (latex) => latex.replace(/\\html(?:Class|Data)\{[a-z0-9=-]+\}/g, "");

// An equation on its own line with a "copy LaTeX" button beside it. Typeset in KaTeX's inline
// mode, which breaks a long line after = and after an operator, so a narrow panel wraps it
// instead of scrolling (fractions are written \dfrac to keep their display size).
// `arrays`: the matrices it shows; where one is abbreviated (⋯), "show all" opens every entry.
export function equation(latex, text, what = t("panel.what.equation"), arrays = []) {
  const copy = el("button", {
    type: "button", class: "copy-tex", title: t("panel.copy_title"),
    "aria-label": t("panel.copy_label", { what }),
  }, t("panel.copy"));
  copy.addEventListener("click", () => copyText(portable(latex), copy));
  const box = el("div", { class: "eq", "data-latex": portable(latex) },
    math(`\\displaystyle ${latex}`, text));
  const long = arrays.filter(abbreviated);
  if (long.length) box.append(showAll(box, long, what));
  box.append(copy);
  return box;
}

// "show all": every entry of the abbreviated matrices, each a table in a scrollable region
// (read by rows, reached with Tab, with a cue where it scrolls).
function showAll(box, arrays, what) {
  const button = el("button", { type: "button", class: "show-all", "aria-expanded": "false",
    "aria-label": t("panel.show_all_label", { what }) }, t("panel.show_all"));
  let shown = null;
  button.addEventListener("click", () => {
    if (shown) {
      shown.remove();
      shown = null;
      button.setAttribute("aria-expanded", "false");
      button.textContent = t("panel.show_all");
      return;
    }
    shown = el("div", { class: "full-matrices" }, ...arrays.map((a) => fullMatrix(a, what)));
    box.after(shown);
    button.setAttribute("aria-expanded", "true");
    button.textContent = t("panel.hide");
  });
  return button;
}

function fullMatrix(a, what) {
  const rows = a.map((row) => el("tr", {}, ...row.map((v) => el("td", {}, fmt(v)))));
  return el("figure", { class: "full-matrix" },
    el("figcaption", {}, t("panel.full_caption", { shape: `${a.length}×${a[0].length}` })),
    el("div", { class: "scroll", tabindex: "0", role: "region",
      "aria-label": t("panel.full_label", { what, shape: `${a.length}×${a[0].length}` }) },
    el("table", {}, el("tbody", {}, rows))));
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = t("panel.copied");
  } catch {
    button.textContent = t("panel.copy_failed");
  }
  setTimeout(() => { button.textContent = t("panel.copy"); }, 1500);
}

// Terms a reader can focus (a node's name in an equation, static/js/links.js) must not sit in
// KaTeX's aria-hidden HTML: the HTML around them is hidden piece by piece instead, so that the
// spoken words stand for the equation and each term is reached by its own label.
export function exposeTerms(root) {
  for (const html of root.querySelectorAll(".katex-html[aria-hidden]")) {
    if (!html.querySelector("[data-node]")) continue;
    html.removeAttribute("aria-hidden");
    hideAround(html);
  }
}

function hideAround(parent) {
  for (const child of parent.children) {
    if (child.matches("[data-node]")) {
      for (const inner of child.children) inner.setAttribute("aria-hidden", "true");
    } else if (child.querySelector("[data-node]")) {
      hideAround(child);
    } else {
      child.setAttribute("aria-hidden", "true");
    }
  }
}
