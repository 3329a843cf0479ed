// Reads the page as a person would and reports what they should not see:
// API field codes (snake_case, dotted action codes) on any page, and, on a
// Chinese page, English words and sentences. Text marked translate="no"
// (file names, what a person typed) and <code> (identifiers, keys, hashes)
// are data, not wording, and are left out; so are hidden elements and the
// language switch.
// Returns a list of findings, each "where: what".
const lang = document.documentElement.lang || "";
const chinese = lang.startsWith("zh");
const findings = [];

function where(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += "#" + el.id;
  else if (el.className && typeof el.className === "string")
    s += "." + el.className.trim().split(/\s+/).join(".");
  return s;
}

function skipped(el) {
  for (let e = el; e; e = e.parentElement) {
    if (e.getAttribute && e.getAttribute("translate") === "no") return true;
    if (["SCRIPT", "STYLE", "CODE"].includes(e.tagName)) return true;
  }
  return false;
}

const snake = /(^|[^\w@./-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w@])/;
const dotted = /(^|[^\w@./-])([a-z]+(?:\.[a-z_]+)+)(?![\w@/])/;
// A domain name in a citation is an address, not a code.
const domain = /\.(com|cn|org|net|gov|edu)$/;
const sentence = /[A-Za-z][A-Za-z']+(?:[ ,;:-]+[A-Za-z][A-Za-z']*){2,}/;
const lowerWord = /(^|[^\w@./-])([a-z]{3,})(?![\w@.])/;

function scan(text, el) {
  const t = text.replace(/\s+/g, " ").trim();
  if (!t) return;
  for (const [name, re] of [["code", snake], ["code", dotted]]) {
    const m = t.match(re);
    if (m && !domain.test(m[2])) findings.push(`${where(el)}: ${name} "${m[2]}" in "${t.slice(0, 120)}"`);
  }
  if (chinese) {
    const s = t.match(sentence);
    if (s) findings.push(`${where(el)}: English "${s[0]}" in "${t.slice(0, 120)}"`);
    else {
      const w = t.match(lowerWord);
      if (w) findings.push(`${where(el)}: English word "${w[2]}" in "${t.slice(0, 120)}"`);
    }
  }
}

const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const el = node.parentElement;
  if (!el || skipped(el)) continue;
  if (el.tagName !== "OPTION" && !el.checkVisibility()) continue;
  if (el.closest("#switch-language")) continue;
  scan(node.nodeValue, el);
}
for (const el of document.querySelectorAll("[placeholder], [aria-label], img[alt]")) {
  if (skipped(el)) continue;
  for (const attr of ["placeholder", "aria-label", "alt"]) {
    const v = el.getAttribute(attr);
    if (v) scan(v, el);
  }
}
// Text squeezed to one character a line ("操/作", "取/消"): a word or
// label of two to eight characters broken over lines of which two hold a
// single character, or, up to four characters, one does.
function squeezed(node, el) {
  const t = node.nodeValue.trim();
  const chars = [...t].length;
  if (chars < 2 || chars > 8) return;
  const range = document.createRange();
  range.selectNodeContents(node);
  const lines = [...range.getClientRects()].filter(r => r.width > 0);
  const size = parseFloat(getComputedStyle(el).fontSize);
  const single = lines.filter(r => r.width < size * 1.2).length;
  if (lines.length >= 2 && (single >= 2 || (single === 1 && chars <= 4)))
    findings.push(`${where(el)}: "${t}" is squeezed to one character a line`);
}
const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = texts.nextNode(); node; node = texts.nextNode()) {
  const el = node.parentElement;
  if (el && el.checkVisibility() && !["SCRIPT", "STYLE"].includes(el.tagName)) squeezed(node, el);
}
// The labels a narrow table's cells carry before their values: narrower
// than two characters, a label of two or more breaks after its first.
for (const td of document.querySelectorAll("td[data-label]")) {
  const label = getComputedStyle(td, "::before");
  if (label.content === "none" || label.display === "none" || !td.checkVisibility()) continue;
  const chars = [...td.dataset.label].length;
  const width = parseFloat(label.width);
  const size = parseFloat(label.fontSize);
  const probe = document.createElement("span");
  probe.style.cssText = `position:absolute;white-space:nowrap;font:${label.font}`;
  probe.textContent = td.dataset.label;
  document.body.appendChild(probe);
  const natural = probe.getBoundingClientRect().width;
  probe.remove();
  if (chars >= 2 && width > 0 && width < natural - 1 && width < size * 2 - 1)
    findings.push(`${where(td)}: its label "${td.dataset.label}" is squeezed to one character a line`);
}

const title = document.title;
if (title) scan(title, document.head);
return [...new Set(findings)];
