// The page's words: t(key, params) reads the catalog of the page's language (backprop_viz/i18n/
// <lang>.json), fills its {name}s, and falls back to English, then to the key itself (said once in
// the console). The page inlines its catalog (<script id="catalog">); the other one is fetched
// from /i18n/<lang>.json when the switch asks for it. Markup carries its words by key:
// data-i18n (text), data-i18n-parts (text around its children marked data-part="name", which
// stand for the {name}s: a <code>, a <kbd>), data-i18n-title, data-i18n-aria-label,
// data-i18n-placeholder (attributes). No markup is ever made from a string.

export const LANGS = ["en", "ko"];
const STORED = "backprop-viz-lang";
const catalogs = new Map();
const missing = new Set();
const listeners = [];
let lang = "en";

function inlined() {
  const script = document.getElementById("catalog");
  if (!script) return null;
  try {
    return JSON.parse(script.textContent);
  } catch {
    return null;
  }
}

// The language the page opens in: the URL's; then, for a page from the server, the one it
// served, which it chose from the choice kept in a cookie, else from Accept-Language (the
// browser's navigator.languages); for the standalone file, the choice kept in its storage, then
// the browser's, then the one it was exported in. The server's page reads no storage as it
// opens: in a new browser profile, the first localStorage read waited 30 ms for the browser.
function wanted(served) {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(asked)) return asked;
  if (!document.body.classList.contains("standalone")) return served;
  let stored = null;
  try {
    stored = localStorage.getItem(STORED);
  } catch { /* storage refused (a sandboxed frame): nothing was chosen */ }
  if (LANGS.includes(stored)) return stored;
  for (const tag of navigator.languages ?? []) {
    const primary = tag.toLowerCase().split("-")[0];
    if (LANGS.includes(primary)) return primary;
  }
  return served;
}

export const currentLang = () => lang;

export function t(key, params = {}) {
  const words = catalogs.get(lang)?.[key] ?? catalogs.get("en")?.[key];
  if (words === undefined) {
    if (!missing.has(key)) {
      missing.add(key);
      console.warn(`i18n: no words for ${key}`);
    }
    return key;
  }
  return words.replace(/\{(\w+)\}/g, (m, name) => (name in params ? said(params[name]) : m));
}

// A parameter as words: a message the server sent as {code, params} said in the page's language
// too, a list item by item (as backprop_viz/i18n.py says them).
function said(value) {
  if (Array.isArray(value)) return value.map(said).join("; ");
  if (value && typeof value === "object" && "code" in value) return t(value.code, value.params);
  return String(value);
}

// The words of `key` as a list of children for el(): a {name} may stand for a node (typeset
// math, a <code>) or a list of them, so a sentence keeps its own word order around them.
export function tn(key, params = {}) {
  const out = [];
  const words = t(key);
  let last = 0;
  for (const m of words.matchAll(/\{(\w+)\}/g)) {
    out.push(words.slice(last, m.index));
    out.push(m[1] in params ? params[m[1]] : m[0]);
    last = m.index + m[0].length;
  }
  out.push(words.slice(last));
  return out.flat().filter((x) => x !== "");
}

// Whether the catalogs hold `key` (the server's codes: a message without one stays as sent).
export const has = (key) => catalogs.get(lang)?.[key] !== undefined
  || catalogs.get("en")?.[key] !== undefined;

// A server error ({error, code, params}) in the page's language where the catalogs hold its
// code (error.*), else its English message as sent.
export function errorText(err) {
  if (err?.code && has(err.code)) return t(err.code, err.params ?? {});
  return err?.error || t("ui.went_wrong");
}

// A message the server sent by key (a warning, a rule's note): a text, or {code, params, text}
// said in the page's language where it can be.
export function messageText(w) {
  if (typeof w === "string") return w;
  return w?.code && has(w.code) ? t(w.code, w.params ?? {}) : w?.text ?? String(w);
}

// An answer's warnings by key (`warning_codes`, each {code, params, text}), for messageText.
export const warningsOf = (answer) => answer.warning_codes ?? answer.warnings ?? [];

const ATTRIBUTES = ["title", "aria-label", "placeholder"];

// Every element under `root` that names its words by key gets them in the current language.
export function translate(root = document) {
  for (const e of root.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll("[data-i18n-parts]")) {
    const parts = {};
    for (const part of e.querySelectorAll(":scope > [data-part]")) parts[part.dataset.part] = part;
    e.replaceChildren(...tn(e.dataset.i18nParts, parts));
  }
  for (const name of ATTRIBUTES) {
    for (const e of root.querySelectorAll(`[data-i18n-${name}]`)) {
      e.setAttribute(name, t(e.getAttribute(`data-i18n-${name}`)));
    }
  }
}

// Called with the new language after every switch, once its words are in.
export const onLang = (fn) => listeners.push(fn);

async function load(next) {
  if (catalogs.has(next)) return;
  const response = await fetch(`/i18n/${next}.json`);
  if (!response.ok) throw new Error(`no catalog for ${next}`);
  catalogs.set(next, await response.json());
}

// `served`: the page's words are already in this language (the server wrote them), so they
// are not written again as it opens.
function apply(next, served = false) {
  lang = next;
  document.documentElement.lang = next;
  document.title = t(document.body.classList.contains("standalone") ? "ui.title_standalone"
    : "ui.title", { parsed: document.body.dataset.parsed ?? "" });
  for (const b of document.querySelectorAll("#lang-switch [data-lang]")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === next));
  }
  if (!served) translate();
}

// Switch to `next`: its words fetched if the page does not hold them, the choice kept.
export async function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  await load(next);
  // kept for the server (a cookie it reads when it serves the page) and for a standalone file
  document.cookie = `${STORED}=${next}; path=/; max-age=31536000; SameSite=Lax`;
  try {
    localStorage.setItem(STORED, next);
  } catch { /* not kept: the URL still says it */ }
  apply(next);
  for (const fn of listeners) fn(next);
}

// Before the page draws its first words: the inlined catalogs read, the language chosen.
export async function initI18n() {
  const served = inlined();
  for (const [name, words] of Object.entries(served?.catalogs ?? {})) catalogs.set(name, words);
  const first = wanted(served?.lang ?? "en");
  try {
    await load(first);
  } catch {
    // offline with only the inlined catalogs: stay in the served language
  }
  const opening = catalogs.has(first) ? first : served?.lang ?? "en";
  apply(opening, opening === served?.lang && document.documentElement.lang === opening);
  for (const b of document.querySelectorAll("#lang-switch [data-lang]")) {
    b.addEventListener("click", () => setLang(b.dataset.lang));
  }
}
