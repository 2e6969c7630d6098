// Typeset math: KaTeX (pinned through npm, served by the app at /vendor/katex/) renders LaTeX
// into the DOM with katex.render, which sets styles through the CSSOM, so the page's strict CSP
// (no inline style) holds. Without KaTeX the plain-text form is shown instead.

let katex = null;

export async function loadMath() {
  try {
    katex = (await import("/vendor/katex/katex.mjs")).default;
  } catch {
    katex = null;
  }
  return katex !== null;
}

// An element showing `latex` typeset (display style when `display`), or `text` as a fallback.
export function math(latex, text, { display = false, className = "" } = {}) {
  const node = document.createElement(display ? "div" : "span");
  node.className = `math ${className}`.trim();
  node.dataset.latex = latex;
  if (katex) {
    try {
      katex.render(latex, node, { displayMode: display, throwOnError: true, output: "htmlAndMathml" });
      return node;
    } catch {
      node.replaceChildren();
    }
  }
  node.classList.add("math-text");
  node.textContent = text;
  return node;
}
