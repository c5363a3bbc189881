// Small DOM helpers: build elements without innerHTML (all text stays text), and format
// the few things every list shows.

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style") Object.assign(element.style, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Roleplay text marks actions with *asterisks*; show them as emphasis, everything as text.
export function richText(text) {
  const fragment = document.createDocumentFragment();
  const parts = String(text).split(/(\*[^*\n]+\*)/g);
  for (const part of parts) {
    if (!part) continue;
    if (part.length > 2 && part.startsWith("*") && part.endsWith("*")) {
      fragment.append(h("em", {}, part.slice(1, -1)));
    } else {
      fragment.append(document.createTextNode(part));
    }
  }
  return fragment;
}

export function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0]);
  return letters.join("").toUpperCase() || "?";
}

// A stable, pleasant gradient per name so every companion is recognisable at a glance.
export function avatarBackground(seed) {
  let hash = 0;
  for (const char of String(seed)) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  const hue = hash % 360;
  return `linear-gradient(135deg, hsl(${hue} 70% 58%), hsl(${(hue + 40) % 360} 65% 42%))`;
}

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const STEPS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

export function relativeTime(unixSeconds) {
  const delta = unixSeconds - Date.now() / 1000;
  for (const [unit, seconds] of STEPS) {
    if (Math.abs(delta) >= seconds) return RELATIVE.format(Math.round(delta / seconds), unit);
  }
  return "just now";
}

export function absoluteTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleString();
}

// Card text may carry {{char}}/{{user}} macros; a blurb shows them resolved.
export function resolveMacros(text, character, user) {
  return String(text || "")
    .replace(/\{\{char\}\}|<BOT>/gi, character)
    .replace(/\{\{user\}\}|<USER>/gi, user);
}
