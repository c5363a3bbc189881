// The conversation controller: which companion and session are open, and every turn — send,
// regenerate, swipe, edit, delete — from request to the transcript, mood, voice and memory.

import { api, ApiError } from "./api.js";
import { describeEmotion } from "./emotion.js";
import { prefs } from "./prefs.js";
import { sseEvents } from "./sse.js";
import { AUDIO_FORMAT } from "./voice.js";

const REMEMBERED = new Set(["ADD", "UPDATE"]);

export class ChatController {
  // parts: transcript, mood, voice, picker, sessions, memories, header, composer, and the
  // announce(text) and onError(error) callbacks.
  constructor(parts) {
    Object.assign(this, parts);
    this.session = null;
    this.character = null;
    this.abort = null;
  }

  get busy() {
    return this.abort !== null;
  }

  // -- choosing what to talk about ----------------------------------------------------------

  async pickCharacter(character) {
    const latest = this.sessions.latestWith(character.id);
    if (latest) await this.openSession(latest.id);
    else await this.startSession(character);
  }

  async startSession(character) {
    this.stop();
    try {
      const session = await api.createSession(character.id);
      await this.sessions.refresh();
      this.show(session);
      this.announce(`New chat with ${character.name}.`);
    } catch (error) {
      this.onError(error);
    }
  }

  async openSession(sessionId) {
    this.stop();
    try {
      this.show(await api.session(sessionId));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        prefs.lastSession = "";
        await this.sessions.refresh();
      }
      this.onError(error);
    }
  }

  show(session) {
    this.session = session;
    prefs.lastSession = session.id;
    const characterId = session.character_ids[0];
    this.character = this.picker.get(characterId) ?? {
      id: characterId,
      name: session.title,
      voice: null,
    };
    this.header.show(this.character);
    this.picker.markActive(characterId);
    this.sessions.markActive(session.id);
    this.transcript.show(session.messages);
    this.mood.show(session.emotions?.[characterId] ?? session.messages.at(-1)?.emotion);
    this.memories.setCharacter(this.character);
    this.composer.enable(this.character.name);
  }

  closeSession() {
    this.stop();
    this.session = null;
    this.character = null;
    prefs.lastSession = "";
    this.header.show(null);
    this.picker.markActive(null);
    this.transcript.clear();
    this.mood.show(null);
    this.memories.setCharacter(null);
    this.composer.disable();
  }

  // -- turns ----------------------------------------------------------------------------------

  generationOptions() {
    const options = { audio: this.voice.speakReplies, audio_format: AUDIO_FORMAT };
    if (prefs.maxTokens) options.max_tokens = prefs.maxTokens;
    return options;
  }

  async send(text) {
    if (!this.session || this.busy || !text.trim()) return false;
    const sessionId = this.session.id;
    const pending = this.transcript.addPending(text);
    const sent = await this.runTurn(
      (signal) => api.send(sessionId, { content: text, ...this.generationOptions() }, signal),
      { pending },
    );
    if (!sent) this.composer.restore(text);
    return sent;
  }

  async regenerate(message) {
    if (!this.session || this.busy || !this.transcript.canRegenerate(message)) return;
    const sessionId = this.session.id;
    await this.runTurn(
      (signal) => api.regenerate(sessionId, message.id, this.generationOptions(), signal),
      { replacing: message },
    );
  }

  stop() {
    this.abort?.abort();
  }

  async runTurn(start, { pending = null, replacing = null }) {
    const controller = new AbortController();
    this.abort = controller;
    this.setBusy(true);
    let reply = null;
    let done = null;
    try {
      const response = await start(controller.signal);
      for await (const event of sseEvents(response)) {
        if (event.type === "turn.start") {
          reply = this.transcript.beginReply({
            name: event.name,
            characterId: event.character_id,
            replacing,
          });
          reply.element.dataset.messageId = event.message_id;
          this.announce(`${event.name} is replying…`);
        } else if (event.type === "delta") {
          reply?.append(event.content);
        } else if (event.type === "turn.done") {
          done = event;
        } else if (event.type === "error") {
          const { message, code, param } = event.error;
          throw new ApiError(500, message, code, param);
        }
      }
      if (!done) throw new Error("The reply ended before it was complete.");
    } catch (error) {
      reply?.abandon();
      pending?.remove();
      if (controller.signal.aborted) this.announce("Stopped. Nothing was saved.");
      else this.onError(error);
      return false;
    } finally {
      this.abort = null;
      this.setBusy(false);
    }
    this.finishTurn(done, pending);
    return true;
  }

  finishTurn(done, pending) {
    if (done.user_message && pending) pending.dataset.messageId = done.user_message.id;
    else pending?.remove();
    if (done.user_message) this.transcript.upsert(done.user_message);
    const message = done.message;
    this.transcript.upsert(message);
    this.mood.show(message.emotion);
    this.announce(`${message.name} replied, feeling ${describeEmotion(message.emotion)}.`);
    const remembered = (done.memory_operations ?? []).filter((op) => REMEMBERED.has(op.event));
    if (remembered.length) {
      this.announce(`${message.name} will remember: ${remembered.map((op) => op.text).join(" ")}`);
      if (this.memories.isOpen) this.memories.refresh();
    }
    if (done.audio && this.voice.remember(message, done.audio) && this.voice.speakReplies) {
      this.voice.play(message, this.character).catch((error) => this.onError(error));
    } else if (done.audio?.error) {
      this.onError(new Error(`The reply could not be spoken: ${done.audio.error.message}`));
    }
    this.sessions.refresh().catch(() => {});
  }

  setBusy(busy) {
    this.transcript.setBusy(busy);
    this.composer.setBusy(busy);
  }

  // -- message actions --------------------------------------------------------------------------

  async play(message) {
    try {
      await this.voice.toggleFor(message, this.character);
    } catch (error) {
      this.onError(error);
    }
  }

  async swipe(message, delta) {
    const target = (message.active_swipe ?? 0) + delta;
    if (target >= (message.swipes?.length ?? 0)) {
      if (this.transcript.canRegenerate(message)) await this.regenerate(message);
      return;
    }
    if (target < 0) return;
    await this.patch(message, { active_swipe: target });
    const button = this.transcript.element(message.id)?.querySelector(
      delta < 0 ? ".swipe-prev" : ".swipe-next",
    );
    if (button && !button.disabled) button.focus();
  }

  async inspect(message) {
    try {
      return await api.inspection(this.session.id, message.id, message.active_swipe ?? 0);
    } catch (error) {
      this.onError(error);
      return null;
    }
  }

  async edit(message, content) {
    return this.patch(message, { content });
  }

  async patch(message, changes) {
    try {
      const updated = await api.editMessage(this.session.id, message.id, changes);
      this.transcript.upsert(updated);
      if (updated.id === this.transcript.newest?.id && updated.role === "assistant") {
        this.mood.show(updated.emotion);
      }
      return true;
    } catch (error) {
      this.onError(error);
      return false;
    }
  }

  async remove(message) {
    try {
      await api.deleteMessage(this.session.id, message.id);
    } catch (error) {
      this.onError(error);
      return;
    }
    const index = this.transcript.messages.findIndex((known) => known.id === message.id);
    this.transcript.remove(message.id);
    this.announce("Message deleted.");
    const next = this.transcript.messages[index] ?? this.transcript.messages[index - 1];
    const element = next && this.transcript.element(next.id);
    (element?.querySelector(".action:not(:disabled)") ?? this.composer.input).focus();
  }
}
