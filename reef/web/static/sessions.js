// Past chats of the signed-in user, most recently active first: open one to resume it, or
// delete it.

import { api } from "./api.js";
import { absoluteTime, h, relativeTime } from "./dom.js";
import { icon } from "./icons.js";

export class SessionList {
  constructor({ list, onOpen, onDeleted, onError }) {
    this.list = list;
    this.onOpen = onOpen;
    this.onDeleted = onDeleted;
    this.onError = onError;
    this.sessions = [];
    this.activeId = null;
  }

  latestWith(characterId) {
    return this.sessions.find((session) => session.character_ids.includes(characterId)) ?? null;
  }

  async refresh() {
    this.sessions = (await api.sessions()).data;
    this.render();
  }

  render() {
    this.list.replaceChildren(...this.sessions.map((session) => this.item(session)));
    if (!this.sessions.length) {
      this.list.append(h("li", { class: "list-empty" }, "No chats yet."));
    }
  }

  item(session) {
    const when = relativeTime(session.updated_at);
    return h(
      "li",
      { class: "session", dataset: { sessionId: session.id } },
      h(
        "button",
        {
          type: "button",
          class: "session-open",
          "aria-current": session.id === this.activeId ? "true" : false,
          title: `Started ${absoluteTime(session.created_at)}`,
          onclick: () => this.onOpen(session.id),
        },
        h("span", { class: "session-title" }, session.title || "Chat"),
        h("span", { class: "session-when" }, when),
      ),
      h(
        "button",
        {
          type: "button",
          class: "icon-button",
          "aria-label": `Delete the chat with ${session.title || "this companion"}, ${when}`,
          onclick: () => this.remove(session),
        },
        icon("trash"),
      ),
    );
  }

  markActive(id) {
    this.activeId = id;
    for (const button of this.list.querySelectorAll(".session-open")) {
      const current = button.closest(".session").dataset.sessionId === id;
      if (current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  async remove(session) {
    try {
      await api.deleteSession(session.id);
      const index = this.sessions.indexOf(session);
      this.sessions = this.sessions.filter((other) => other.id !== session.id);
      this.render();
      const next = this.list.querySelectorAll(".session-open")[Math.max(0, index - 1)];
      (next ?? document.getElementById("new-chat")).focus();
      this.onDeleted(session.id);
    } catch (error) {
      this.onError(error);
    }
  }
}
