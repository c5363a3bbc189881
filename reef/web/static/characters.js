// The companion picker: the user's own characters and the organisation's public gallery, and
// importing a card file (JSON, PNG or CHARX) from the file input.

import { api } from "./api.js";
import { avatarFor } from "./avatar.js";
import { h, resolveMacros } from "./dom.js";
import { prefs } from "./prefs.js";

const BLURB_CHARS = 90;

function blurb(character) {
  const data = character.card?.data ?? {};
  const text = resolveMacros(
    data.creator_notes && data.creator_notes.length < BLURB_CHARS
      ? data.creator_notes
      : data.description || data.personality || data.scenario,
    character.name,
    prefs.user,
  );
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > BLURB_CHARS ? `${flat.slice(0, BLURB_CHARS - 1)}…` : flat;
}

export class CharacterPicker {
  constructor({ ownList, galleryList, fileInput, onPick, onImported, onError }) {
    this.ownList = ownList;
    this.galleryList = galleryList;
    this.onPick = onPick;
    this.onImported = onImported;
    this.onError = onError;
    this.characters = new Map();
    this.activeId = null;
    fileInput.addEventListener("change", () => this.importFrom(fileInput));
  }

  get(id) {
    return this.characters.get(id) ?? null;
  }

  remember(character) {
    this.characters.set(character.id, character);
  }

  async refresh() {
    const [own, gallery] = await Promise.all([api.ownCharacters(), api.gallery()]);
    this.characters.clear();
    for (const character of [...own.data, ...gallery.data]) this.remember(character);
    const ownIds = new Set(own.data.map((character) => character.id));
    this.render(this.ownList, own.data, "Import a card to make a companion your own.");
    this.render(
      this.galleryList,
      gallery.data.filter((character) => !ownIds.has(character.id)),
      "No public companions yet.",
    );
  }

  render(list, characters, emptyText) {
    list.replaceChildren(
      ...characters.map((character) => h("li", {}, this.button(character))),
    );
    if (!characters.length) list.append(h("li", { class: "list-empty" }, emptyText));
  }

  button(character) {
    return h(
      "button",
      {
        type: "button",
        class: "character",
        dataset: { characterId: character.id },
        "aria-pressed": String(character.id === this.activeId),
        onclick: () => this.onPick(character),
      },
      avatarFor(character),
      h(
        "span",
        { class: "character-text" },
        h("span", { class: "character-name" }, character.name),
        h("span", { class: "character-blurb" }, blurb(character)),
      ),
    );
  }

  markActive(id) {
    this.activeId = id;
    for (const button of document.querySelectorAll(".character[data-character-id]")) {
      button.setAttribute("aria-pressed", String(button.dataset.characterId === id));
    }
  }

  async importFrom(input) {
    const file = input.files?.[0];
    if (!file) return;
    try {
      const character = await api.importCard(file);
      this.remember(character);
      await this.refresh();
      await this.onImported(character);
    } catch (error) {
      this.onError(error);
    } finally {
      input.value = "";
    }
  }
}
