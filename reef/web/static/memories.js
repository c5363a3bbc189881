// What the current companion remembers about the user (and the user's shared profile, when
// the server keeps one): listed, corrected inline, deleted.

import { api } from "./api.js";
import { h, relativeTime, resolveMacros } from "./dom.js";
import { prefs } from "./prefs.js";

const SOURCES = { rule: "heard", llm: "inferred", user: "corrected by you" };

export class MemoriesPanel {
  constructor({ app, panel, toggle, closeButton, list, summary, empty, intro, announce, onError }) {
    Object.assign(this, { app, panel, toggle, list, summary, empty, intro, announce, onError });
    this.character = null;
    toggle.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    closeButton.addEventListener("click", () => this.close());
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  async setCharacter(character) {
    this.character = character;
    this.toggle.disabled = !character;
    if (!character) this.close({ restoreFocus: false });
    else if (this.isOpen) await this.refresh();
  }

  async open() {
    if (!this.character) return;
    this.panel.hidden = false;
    this.app.dataset.memories = "open";
    this.toggle.setAttribute("aria-expanded", "true");
    await this.refresh();
    this.panel.querySelector("#memories-close").focus();
  }

  close({ restoreFocus = true } = {}) {
    if (!this.isOpen) return;
    this.panel.hidden = true;
    this.app.dataset.memories = "closed";
    this.toggle.setAttribute("aria-expanded", "false");
    if (restoreFocus) this.toggle.focus();
  }

  async refresh() {
    const character = this.character;
    if (!character) return;
    this.intro.textContent =
      `What ${character.name} remembers about you. Correct or delete anything.`;
    try {
      const [own, profile] = await Promise.all([api.memories(character.id), api.memories(null)]);
      if (character !== this.character) return;
      this.render(own, profile);
    } catch (error) {
      this.onError(error);
    }
  }

  render(own, profile) {
    const groups = [this.group(`With ${this.character.name}`, own.data, this.character.id)];
    if (profile.data.length) {
      groups.push(this.group("Shared with every companion", profile.data, null));
    }
    this.list.replaceChildren(...groups);
    this.empty.hidden = own.data.length + profile.data.length > 0;
    const summary = own.summary?.text
      ? resolveMacros(own.summary.text, this.character.name, prefs.user)
      : "";
    this.summary.hidden = !summary;
    this.summary.textContent = summary ? `Your story so far: ${summary}` : "";
  }

  group(title, memories, characterId) {
    return h(
      "section",
      { class: "memory-group", "aria-label": title },
      memories.length ? h("h3", {}, title) : null,
      h("ul", { class: "memory-list" }, ...memories.map((m) => this.item(m, characterId))),
    );
  }

  item(memory, characterId) {
    const updated = relativeTime(Date.parse(memory.updated_at) / 1000);
    const text = h("p", { class: "memory-text" }, memory.text);
    const edit = h(
      "button",
      {
        type: "button",
        class: "action edit",
        "aria-label": `Edit memory: ${memory.text}`,
        onclick: () => this.startEdit(item, memory, characterId, text, edit),
      },
      "Edit",
    );
    const remove = h(
      "button",
      {
        type: "button",
        class: "action delete",
        "aria-label": `Delete memory: ${memory.text}`,
        onclick: () => this.remove(item, memory, characterId),
      },
      "Delete",
    );
    const item = h(
      "li",
      { class: "memory", dataset: { memoryId: memory.id } },
      text,
      h(
        "div",
        { class: "memory-meta" },
        h("span", {}, `${SOURCES[memory.source] ?? memory.source} · ${updated}`),
        h("span", { class: "memory-actions" }, edit, remove),
      ),
    );
    return item;
  }

  startEdit(item, memory, characterId, text, trigger) {
    const field = h("input", { type: "text", "aria-label": "Correct this memory", maxlength: 500 });
    field.value = memory.text;
    const cancel = () => {
      field.replaceWith(text);
      trigger.focus();
    };
    field.addEventListener("keydown", async (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation(); // only the edit ends, not the panel
        cancel();
      } else if (event.key === "Enter") {
        event.preventDefault();
        const value = field.value.trim();
        if (!value || value === memory.text) return cancel();
        try {
          const corrected = await api.correctMemory(memory.id, characterId, value);
          const fresh = this.item(corrected, characterId);
          item.replaceWith(fresh);
          fresh.querySelector(".edit").focus();
          this.announce("Memory corrected.");
        } catch (error) {
          this.onError(error);
        }
      }
    });
    text.replaceWith(field);
    field.focus();
    field.select();
  }

  async remove(item, memory, characterId) {
    try {
      await api.deleteMemory(memory.id, characterId);
    } catch (error) {
      this.onError(error);
      return;
    }
    const items = [...this.list.querySelectorAll(".memory")]; // across both groups
    const next = items[items.indexOf(item) + 1] ?? items[items.indexOf(item) - 1];
    item.remove();
    this.announce(`Forgot: ${memory.text}`);
    if (next) next.querySelector(".delete").focus();
    else {
      this.empty.hidden = false;
      this.panel.querySelector("#memories-close").focus();
    }
  }
}
