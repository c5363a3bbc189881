// Entry point: builds the page's parts, wires them together, and signs in (API key and name,
// kept in this browser) before loading companions and chats.

import { api, ApiError } from "./api.js";
import { fillAvatar } from "./avatar.js";
import { CharacterPicker } from "./characters.js";
import { ChatController } from "./chat.js";
import { Composer } from "./composer.js";
import { MoodIndicator } from "./emotion.js";
import { hydrateIcons } from "./icons.js";
import { MemoriesPanel } from "./memories.js";
import { prefs } from "./prefs.js";
import { SessionList } from "./sessions.js";
import { toastError } from "./toast.js";
import { Transcript } from "./transcript.js";
import { Voice } from "./voice.js";

const $ = (selector) => document.querySelector(selector);
hydrateIcons();
const app = $("#app");
const statusLine = $("#status-line");

function announce(text) {
  statusLine.textContent = text;
}

function reportError(error) {
  if (error instanceof ApiError && error.status === 401) {
    settings.open("Your API key was not accepted. Enter a valid key.");
    return;
  }
  toastError(error);
}

// -- narrow screens: the companion list is a drawer ---------------------------------------------

const drawer = {
  toggle: $("#drawer-toggle"),
  open() {
    app.classList.add("drawer-open");
    this.toggle.setAttribute("aria-expanded", "true");
    $("#sidebar").querySelector("button, input")?.focus();
  },
  close({ restoreFocus = true } = {}) {
    if (!app.classList.contains("drawer-open")) return;
    app.classList.remove("drawer-open");
    this.toggle.setAttribute("aria-expanded", "false");
    if (restoreFocus) this.toggle.focus();
  },
};
drawer.toggle.addEventListener("click", () =>
  app.classList.contains("drawer-open") ? drawer.close() : drawer.open(),
);
$("#scrim").addEventListener("click", () => {
  drawer.close();
  memories.close();
});
$("#sidebar").addEventListener("keydown", (event) => {
  if (event.key === "Escape") drawer.close();
});

// -- the parts ------------------------------------------------------------------------------

const header = {
  show(character) {
    $("#now-name").textContent = character ? character.name : "Pick a companion";
    const avatar = $("#now-avatar");
    if (character) fillAvatar(avatar, character);
    else avatar.replaceChildren();
    document.title = character ? `${character.name} · Reef` : "Reef · Companions";
    $("#new-chat").disabled = !character;
  },
};

const voice = new Voice({
  player: $("#player"),
  toggle: $("#voice-toggle"),
  onChange: (messageId, playing) => transcript.markPlaying(messageId, playing),
});

const transcript = new Transcript($("#transcript"), {
  emptyState: $("#empty-state"),
  characterOf: (id) => picker.get(id) ?? chat.character,
  voice,
  handlers: {
    play: (message) => chat.play(message),
    swipe: (message, delta) => chat.swipe(message, delta),
    regenerate: (message) => chat.regenerate(message),
    inspect: (message) => chat.inspect(message),
    edit: (message, text) => chat.edit(message, text),
    remove: (message) => chat.remove(message),
  },
});

const composer = new Composer({
  form: $("#composer"),
  input: $("#composer-input"),
  button: $("#send"),
  onSend: (text) => chat.send(text),
  onStop: () => chat.stop(),
});

const picker = new CharacterPicker({
  ownList: $("#own-characters"),
  galleryList: $("#gallery-characters"),
  fileInput: $("#card-file"),
  onPick: async (character) => {
    drawer.close({ restoreFocus: false });
    await chat.pickCharacter(character);
    composer.input.focus();
  },
  onImported: async (character) => {
    announce(`Imported ${character.name}.`);
    drawer.close({ restoreFocus: false });
    await chat.startSession(character);
    composer.input.focus();
  },
  onError: reportError,
});

const sessions = new SessionList({
  list: $("#session-list"),
  onOpen: async (sessionId) => {
    drawer.close({ restoreFocus: false });
    await chat.openSession(sessionId);
    composer.input.focus();
  },
  onDeleted: (sessionId) => {
    if (chat.session?.id === sessionId) chat.closeSession();
    announce("Chat deleted.");
  },
  onError: reportError,
});

const memories = new MemoriesPanel({
  app,
  panel: $("#memories"),
  toggle: $("#memories-toggle"),
  closeButton: $("#memories-close"),
  list: $("#memory-list"),
  summary: $("#memories-summary"),
  empty: $("#memories-empty"),
  intro: $("#memories-intro"),
  announce,
  onError: reportError,
});

const chat = new ChatController({
  transcript,
  mood: new MoodIndicator($("#mood")),
  voice,
  picker,
  sessions,
  memories,
  header,
  composer,
  announce,
  onError: reportError,
});

$("#new-chat").addEventListener("click", () => {
  if (chat.character) chat.startSession(chat.character).then(() => composer.input.focus());
});

// -- signing in -------------------------------------------------------------------------------

const settings = {
  dialog: $("#settings-dialog"),
  form: $("#settings-form"),
  key: $("#api-key"),
  user: $("#user-name"),
  replyLength: $("#reply-length"),
  error: $("#settings-error"),
  cancel: $("#settings-cancel"),

  open(message = "") {
    this.key.value = prefs.apiKey;
    this.user.value = prefs.user;
    this.replyLength.value = prefs.replyLength;
    this.error.textContent = message;
    this.cancel.hidden = !prefs.signedIn;
    $("#settings-heading").textContent = prefs.signedIn ? "Settings" : "Welcome to Reef";
    if (!this.dialog.open) this.dialog.showModal();
    (this.key.value ? this.user : this.key).focus();
  },

  async save() {
    const key = this.key.value.trim();
    const user = this.user.value.trim();
    if (!key || !user) {
      this.error.textContent = key ? "Enter your name." : "Enter an API key.";
      (key ? this.user : this.key).focus();
      return;
    }
    const previous = { key: prefs.apiKey, user: prefs.user };
    prefs.apiKey = key;
    try {
      await api.models();
    } catch (error) {
      prefs.apiKey = previous.key;
      this.error.textContent =
        error instanceof ApiError && error.status === 401
          ? `That key was not accepted: ${error.message}`
          : error.message;
      this.key.focus();
      return;
    }
    prefs.user = user;
    prefs.replyLength = this.replyLength.value;
    this.dialog.close();
    if (previous.key !== key || previous.user !== user) {
      chat.closeSession();
      await loadEverything();
    }
  },
};

settings.form.addEventListener("submit", (event) => {
  event.preventDefault();
  settings.save();
});
settings.cancel.addEventListener("click", () => settings.dialog.close());
settings.dialog.addEventListener("cancel", (event) => {
  if (!prefs.signedIn) event.preventDefault(); // nothing works without a key
});
$("#settings-open").addEventListener("click", () => settings.open());

async function loadEverything() {
  try {
    await Promise.all([picker.refresh(), sessions.refresh()]);
  } catch (error) {
    reportError(error);
    return;
  }
  const last = prefs.lastSession;
  if (last && sessions.sessions.some((session) => session.id === last)) {
    await chat.openSession(last);
  } else {
    // Keyboard users land on the first thing to do: pick a companion, or import one.
    ($(".character") ?? $("#card-file")).focus();
  }
}

if (prefs.signedIn) loadEverything();
else settings.open();
