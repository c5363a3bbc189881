// Short notices in a corner (the container is an assertive live region, so errors are read
// out); each fades after a while.

import { h } from "./dom.js";

const SHOWN_MS = 6000;

export function toast(message, { error = false } = {}) {
  const container = document.getElementById("toasts");
  const note = h("div", { class: error ? "toast error" : "toast" }, message);
  container.append(note);
  setTimeout(() => note.remove(), SHOWN_MS);
}

export function toastError(error) {
  toast(error?.message || String(error), { error: true });
}
