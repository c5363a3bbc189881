// What the page remembers in this browser: the API key, the end user's name and a few
// preferences. Nothing here leaves the browser except the key, as the Authorization header.

const KEYS = {
  apiKey: "reef.apiKey",
  user: "reef.user",
  speak: "reef.speakReplies",
  replyLength: "reef.replyLength",
  session: "reef.lastSession",
};

// Reply length choices map to the turn's max_tokens; "" leaves the server's default.
export const REPLY_TOKENS = { short: 80, long: 600 };

function read(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null || value === undefined || value === "") localStorage.removeItem(key);
    else localStorage.setItem(key, String(value));
  } catch {
    // Storage can be disabled (private mode); the page still works for this visit.
  }
}

export const prefs = {
  get apiKey() {
    return read(KEYS.apiKey) || "";
  },
  set apiKey(value) {
    write(KEYS.apiKey, value);
  },
  get user() {
    return read(KEYS.user) || "";
  },
  set user(value) {
    write(KEYS.user, value);
  },
  get speakReplies() {
    return read(KEYS.speak) !== "off";
  },
  set speakReplies(on) {
    write(KEYS.speak, on ? "on" : "off");
  },
  get replyLength() {
    return read(KEYS.replyLength) || "";
  },
  set replyLength(value) {
    write(KEYS.replyLength, value);
  },
  get lastSession() {
    return read(KEYS.session) || "";
  },
  set lastSession(id) {
    write(KEYS.session, id);
  },
  get maxTokens() {
    return REPLY_TOKENS[this.replyLength] ?? null;
  },
  get signedIn() {
    return Boolean(this.apiKey && this.user);
  },
};
