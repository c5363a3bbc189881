// The conversation: one <article> per message with its emotion badge and actions (swipe
// arrows, play, regenerate, inspect, edit, delete), and the reply being streamed in. The container is
// a polite live region; a streaming reply is aria-busy until it is whole, so screen readers
// read it once rather than word by word.

import { avatarFor } from "./avatar.js";
import { emotionBadge } from "./emotion.js";
import { h, richText } from "./dom.js";
import { icon } from "./icons.js";
import { renderInspection } from "./inspection.js";
import { prefs } from "./prefs.js";

const NEAR_BOTTOM_PX = 120;

function actionButton(label, iconName, text, onclick, extra = {}) {
  return h(
    "button",
    { type: "button", class: "action", "aria-label": label, title: label, onclick, ...extra },
    icon(iconName),
    text ? h("span", { class: "action-text" }, text) : null,
  );
}

export class Transcript {
  // handlers: play, swipe(message, delta), regenerate, inspect(message) -> inspection or null,
  // edit(message, text), remove
  constructor(root, { emptyState, characterOf, voice, handlers }) {
    this.root = root;
    this.emptyState = emptyState;
    this.characterOf = characterOf;
    this.voice = voice;
    this.handlers = handlers;
    this.messages = [];
    this.busy = false;
  }

  get newest() {
    return this.messages.at(-1) ?? null;
  }

  show(messages) {
    this.messages = [...messages];
    this.root.replaceChildren(...this.messages.map((message) => this.render(message)));
    this.emptyState.hidden = true;
    this.refreshActions();
    this.scrollToEnd(true);
  }

  clear() {
    this.messages = [];
    this.root.replaceChildren(this.emptyState);
    this.emptyState.hidden = false;
  }

  element(messageId) {
    return this.root.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
  }

  upsert(message) {
    const previousNewest = this.newest;
    const index = this.messages.findIndex((known) => known.id === message.id);
    if (index >= 0) this.messages[index] = message;
    else this.messages.push(message);
    const fresh = this.render(message);
    const stale = this.element(message.id);
    if (stale) stale.replaceWith(fresh);
    else this.root.append(fresh);
    // Swipe arrows depend on which reply is newest.
    if (previousNewest && previousNewest.id !== message.id) this.rerender(previousNewest);
    this.refreshActions();
    this.scrollToEnd();
    return fresh;
  }

  remove(messageId) {
    this.messages = this.messages.filter((message) => message.id !== messageId);
    this.element(messageId)?.remove();
    if (this.newest) this.rerender(this.newest);
    this.refreshActions();
  }

  rerender(message) {
    this.element(message.id)?.replaceWith(this.render(message));
  }

  // The user's words, shown at once while the reply is being written.
  addPending(text) {
    const element = this.render({
      id: "pending-user",
      role: "user",
      name: prefs.user,
      content: text,
      swipes: [],
    });
    element.classList.add("pending-user");
    element.querySelector(".message-actions").remove();
    this.root.append(element);
    this.scrollToEnd(true);
    return element;
  }

  // A reply being generated: new (appended) or a new swipe of `replacing`.
  beginReply({ name, characterId, replacing = null }) {
    const character = this.characterOf(characterId);
    const element = replacing
      ? this.element(replacing.id)
      : h(
          "article",
          { class: "message assistant", "aria-label": `${name} is replying` },
          avatarFor(character, name),
          h(
            "div",
            { class: "message-body" },
            h("div", { class: "message-meta" }, h("span", { class: "speaker" }, name)),
            h("div", { class: "bubble" }),
          ),
        );
    if (!replacing) this.root.append(element);
    element.classList.add("streaming", "pending");
    element.setAttribute("aria-busy", "true");
    const bubble = element.querySelector(".bubble");
    bubble.replaceChildren();
    let text = "";
    this.scrollToEnd(true);
    return {
      element,
      append: (delta) => {
        const nearBottom = this.isNearBottom();
        text += delta;
        element.classList.remove("pending");
        bubble.replaceChildren(richText(text.trimStart()));
        if (nearBottom) this.scrollToEnd(true);
      },
      abandon: () => {
        if (!element.isConnected) return; // another chat is shown by now
        if (replacing) this.upsert(replacing);
        else element.remove();
      },
    };
  }

  setBusy(busy) {
    this.busy = busy;
    this.refreshActions();
  }

  refreshActions() {
    for (const message of this.messages) {
      const element = this.element(message.id);
      if (!element) continue;
      const canRegenerate = this.canRegenerate(message);
      const swipes = message.swipes?.length ?? 0;
      const active = message.active_swipe ?? 0;
      const set = (selector, disabled) => {
        const button = element.querySelector(selector);
        if (button) button.disabled = this.busy || disabled;
      };
      set(".swipe-prev", active <= 0);
      set(".swipe-next", active >= swipes - 1 && !canRegenerate);
      const next = element.querySelector(".swipe-next");
      const label = active >= swipes - 1 ? "Write another version" : "Next version";
      next?.setAttribute("aria-label", label);
      next?.setAttribute("title", label);
      set(".regenerate", !canRegenerate);
      set(".edit", false);
      set(".delete", false);
      element.querySelector(".regenerate")?.toggleAttribute("hidden", !canRegenerate);
    }
  }

  canRegenerate(message) {
    return message.id === this.newest?.id && message.role === "assistant" && !message.greeting;
  }

  markPlaying(messageId, playing) {
    for (const button of this.root.querySelectorAll(".play")) {
      const mine = playing && button.closest(".message")?.dataset.messageId === messageId;
      button.classList.toggle("playing", mine);
      button.querySelector(".icon").replaceWith(icon(mine ? "pause" : "play"));
      button.querySelector(".action-text").textContent = mine ? "Pause" : "Play";
      button.setAttribute("aria-label", mine ? "Pause the reply" : "Play the reply");
    }
  }

  isNearBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.root;
    return scrollHeight - scrollTop - clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToEnd(force = false) {
    if (force || this.isNearBottom()) this.root.scrollTop = this.root.scrollHeight;
  }

  render(message) {
    const mine = message.role === "user";
    const name = mine ? message.name || prefs.user : message.name;
    const character = mine ? null : this.characterOf(message.character_id);
    return h(
      "article",
      {
        class: `message ${mine ? "user" : "assistant"}`,
        dataset: { messageId: message.id, emotion: message.emotion?.emotion },
        "aria-label": `${name}${message.greeting ? " (greeting)" : ""}`,
      },
      avatarFor(character, name),
      h(
        "div",
        { class: "message-body" },
        h(
          "div",
          { class: "message-meta" },
          h("span", { class: "speaker" }, name),
          mine ? null : emotionBadge(message.emotion),
          message.edited_at ? h("span", { class: "edited" }, "edited") : null,
        ),
        h("div", { class: "bubble" }, richText(message.content)),
        this.actions(message, name, mine),
      ),
    );
  }

  actions(message, name, mine) {
    const handlers = this.handlers;
    const group = h("div", {
      class: "message-actions",
      role: "group",
      "aria-label": `Actions for ${name}'s message`,
    });
    const swipes = message.swipes?.length ?? 0;
    const shown = (message.active_swipe ?? 0) + 1;
    if (!mine && (swipes > 1 || this.canRegenerate(message))) {
      group.append(
        actionButton("Previous version", "prev", "", () => handlers.swipe(message, -1), {
          class: "action swipe-prev",
        }),
        h(
          "span",
          { class: "swipe-count", "aria-label": `version ${shown} of ${swipes}` },
          `${shown}/${swipes}`,
        ),
        actionButton("Next version", "next", "", () => handlers.swipe(message, +1), {
          class: "action swipe-next",
        }),
      );
    }
    if (!mine) {
      const playing = this.voice.isPlaying(message.id);
      group.append(
        actionButton(
          playing ? "Pause the reply" : "Play the reply",
          playing ? "pause" : "play",
          playing ? "Pause" : "Play",
          () => handlers.play(message),
          { class: playing ? "action play playing" : "action play" },
        ),
      );
    }
    // Only the newest generated reply can be regenerated: greetings, older replies and the
    // user's messages get no Retry at all.
    if (this.canRegenerate(message)) {
      group.append(
        actionButton(
          "Regenerate this reply",
          "retry",
          "Retry",
          () => handlers.regenerate(message),
          { class: "action regenerate" },
        ),
      );
    }
    if (!mine && message.swipes?.[message.active_swipe ?? 0]?.has_inspection) {
      const inspect = actionButton(
        "Inspect the prompt of this reply",
        "inspect",
        "Inspect",
        () => this.toggleInspection(message, inspect),
        {
          class: "action inspect",
          "aria-expanded": "false",
          "aria-controls": `inspection-${message.id}`,
        },
      );
      group.append(inspect);
    }
    const edit = actionButton("Edit message", "edit", "Edit", () => this.startEdit(message, edit), {
      class: "action edit",
    });
    group.append(
      edit,
      actionButton("Delete message", "trash", "Delete", () => handlers.remove(message), {
        class: "action delete",
      }),
    );
    return group;
  }

  async toggleInspection(message, button) {
    const id = `inspection-${message.id}`;
    const open = document.getElementById(id);
    if (open) {
      open.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const inspection = await this.handlers.inspect(message);
    if (!inspection || !button.isConnected || document.getElementById(id)) return;
    button.closest(".message-actions").after(renderInspection(inspection, id));
    button.setAttribute("aria-expanded", "true");
  }

  startEdit(message, trigger) {
    const element = this.element(message.id);
    const bubble = element.querySelector(".bubble");
    const field = h("textarea", { "aria-label": "Edit message", rows: 3 });
    field.value = message.content;
    const finish = () => {
      box.replaceWith(bubble);
      trigger.focus();
    };
    const save = async () => {
      const text = field.value.trim();
      if (!text || text === message.content) return finish();
      const saved = await this.handlers.edit(message, text);
      if (saved) this.element(message.id)?.querySelector(".edit")?.focus();
      else field.focus();
    };
    const box = h(
      "div",
      { class: "edit-box" },
      field,
      h(
        "div",
        { class: "edit-actions" },
        h("button", { type: "button", class: "button small ghost", onclick: finish }, "Cancel"),
        h("button", { type: "button", class: "button small primary", onclick: save }, "Save"),
      ),
    );
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        finish();
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        save();
      }
    });
    bubble.replaceWith(box);
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  }
}
