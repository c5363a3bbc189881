// Hearing replies. A reply asked for with audio arrives spoken in the character's voice and
// mood; any other message is spoken on demand through /v1/audio/speech. One <audio> element
// plays everything, so its controls always show what is playing.

import { api } from "./api.js";
import { prefs } from "./prefs.js";

const MEDIA_TYPES = { mp3: "audio/mpeg", wav: "audio/wav", flac: "audio/flac", pcm: "audio/L16" };
export const AUDIO_FORMAT = "mp3";

function decode(payload) {
  const text = payload.data;
  if (payload.encoding === "hex") {
    const bytes = new Uint8Array(text.length / 2);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(text.substr(i * 2, 2), 16);
    return bytes;
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function cacheKey(message) {
  return `${message.id}\u0000${message.content}`;
}

export class Voice {
  constructor({ player, toggle, onChange }) {
    this.player = player;
    this.toggle = toggle;
    this.onChange = onChange;
    this.clips = new Map(); // message id + text -> object URL
    this.playingId = null;
    this.voices = null; // the server's voice listing, fetched on first need
    toggle.setAttribute("aria-checked", String(prefs.speakReplies));
    toggle.addEventListener("click", () => {
      prefs.speakReplies = !prefs.speakReplies;
      toggle.setAttribute("aria-checked", String(prefs.speakReplies));
    });
    for (const type of ["play", "pause", "ended", "emptied"]) {
      player.addEventListener(type, () => this.onChange(this.playingId, !player.paused));
    }
  }

  get speakReplies() {
    return prefs.speakReplies;
  }

  // Keep a reply's audio from its turn; false when the turn could not speak it.
  remember(message, payload) {
    if (!payload || payload.error || !payload.data) return false;
    const type = MEDIA_TYPES[payload.format] ?? "audio/mpeg";
    const url = URL.createObjectURL(new Blob([decode(payload)], { type }));
    this.clips.set(cacheKey(message), url);
    return true;
  }

  isPlaying(messageId) {
    return this.playingId === messageId && !this.player.paused;
  }

  async toggleFor(message, character) {
    if (this.isPlaying(message.id)) {
      this.player.pause();
      return;
    }
    await this.play(message, character);
  }

  async play(message, character) {
    const url = this.clips.get(cacheKey(message)) ?? (await this.synthesize(message, character));
    this.playingId = message.id;
    this.player.hidden = false;
    if (this.player.src !== url) {
      this.player.src = url;
      this.player.load();
    }
    try {
      await this.player.play();
    } catch (error) {
      // Browsers refuse sound before the person has interacted with the page; the
      // player keeps the clip loaded, so its own play button works.
      if (error?.name !== "NotAllowedError" && error?.name !== "AbortError") throw error;
    }
  }

  async synthesize(message, character) {
    this.voices ??= api.voices().catch((error) => {
      this.voices = null; // ask again next time
      throw error;
    });
    const listing = await this.voices;
    const voice = character?.voice ?? {};
    const blob = await api.speech({
      model: listing.models?.[0]?.id ?? "speech",
      input: message.content,
      voice: voice.voice_id || listing.default_voice,
      speed: voice.speed ?? 1.0,
      response_format: AUDIO_FORMAT,
    });
    const url = URL.createObjectURL(blob);
    this.clips.set(cacheKey(message), url);
    return url;
  }
}
