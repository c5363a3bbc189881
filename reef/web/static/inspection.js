// What went into one reply's prompt, shown under the reply: the tokens each part took (a bar
// and a table), the lorebook entries that fired (with the keys that matched), and the memories
// recalled with their relevance. Built from GET .../messages/{id}/inspection.

import { h } from "./dom.js";

const SECTION_NAMES = {
  system: "Character",
  lore: "Lore",
  examples: "Examples",
  memories: "Memories",
  mood: "Mood",
  history: "Chat history",
  post_history: "Post-history",
  formatting: "Formatting",
};
const PLACES = { before_char: "before the character", after_char: "after the character" };

function place(hit) {
  return PLACES[hit.position] ?? `${hit.depth} messages from the end`;
}

function tokens(count) {
  return `${count} token${count === 1 ? "" : "s"}`;
}

function loreItem(hit) {
  const why =
    hit.trigger === "constant"
      ? "always on"
      : hit.matched_keys.length
        ? `matched ${hit.matched_keys.map((key) => `“${key}”`).join(", ")}`
        : "fired by other lore";
  return h(
    "li",
    { class: "lore-hit", dataset: { entryIndex: hit.index } },
    h("span", { class: "inspection-label" }, hit.label),
    h("span", { class: "inspection-detail" }, ` — ${why}, ${place(hit)}, ${tokens(hit.tokens)}`),
  );
}

function memoryItem(memory) {
  const why = memory.pinned ? "always recalled" : `relevance ${memory.score.toFixed(2)}`;
  return h(
    "li",
    { class: "recalled-memory", dataset: { memoryId: memory.id } },
    h("span", { class: "inspection-label" }, memory.text),
    h("span", { class: "inspection-detail" }, ` — ${why}${memory.shared ? ", shared" : ""}`),
  );
}

function list(title, items, emptyText, render) {
  return h(
    "div",
    { class: "inspection-part" },
    h("h4", {}, title),
    items.length ? h("ul", {}, items.map(render)) : h("p", { class: "inspection-empty" }, emptyText),
  );
}

function sectionsTable(inspection) {
  const total = Math.max(inspection.prompt_tokens, 1);
  const shown = inspection.sections.filter((section) => section.tokens > 0);
  const bar = h(
    "div",
    { class: "token-bar", "aria-hidden": "true" },
    shown.map((section) =>
      h("span", {
        class: `token-slice slice-${section.name}`,
        style: { flexGrow: String(section.tokens) },
        title: `${SECTION_NAMES[section.name] ?? section.name}: ${tokens(section.tokens)}`,
      }),
    ),
  );
  const rows = inspection.sections.map((section) =>
    h(
      "tr",
      { dataset: { section: section.name } },
      h(
        "th",
        { scope: "row" },
        h("span", { class: `token-key slice-${section.name}`, "aria-hidden": "true" }),
        SECTION_NAMES[section.name] ?? section.name,
      ),
      h("td", {}, String(section.tokens)),
      h("td", {}, `${Math.round((100 * section.tokens) / total)}%`),
    ),
  );
  return h(
    "div",
    { class: "inspection-part" },
    bar,
    h(
      "table",
      { class: "token-table" },
      h("caption", { class: "visually-hidden" }, "Tokens of each part of the prompt"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Part"),
          h("th", { scope: "col" }, "Tokens"),
          h("th", { scope: "col" }, "Share"),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

export function renderInspection(inspection, id) {
  const cached = inspection.cached_tokens ? `, ${inspection.cached_tokens} from cache` : "";
  const parts = [
    h(
      "p",
      { class: "inspection-total" },
      `Prompt: ${tokens(inspection.prompt_tokens)}${cached}; reply: `,
      `${tokens(inspection.completion_tokens)} · ${inspection.model}`,
    ),
    sectionsTable(inspection),
    list("Lore that fired", inspection.lore, "No lorebook entry fired.", loreItem),
  ];
  if (inspection.lore_left_out.length) {
    parts.push(list("Lore left out (over budget)", inspection.lore_left_out, "", loreItem));
  }
  parts.push(list("Memories recalled", inspection.memories, "No memory was recalled.", memoryItem));
  if (inspection.summary) {
    parts.push(
      h(
        "div",
        { class: "inspection-part" },
        h("h4", {}, "Relationship summary"),
        h("p", { class: "inspection-summary" }, inspection.summary),
      ),
    );
  }
  return h(
    "section",
    { class: "inspection", id, "aria-label": "What went into this reply" },
    parts,
  );
}
