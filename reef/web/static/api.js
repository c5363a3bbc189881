// The Reef HTTP API as the page uses it: every call carries the key as a Bearer token and the
// end user's id; errors arrive as ApiError with the server's own message.

import { prefs } from "./prefs.js";

const COMPANION = "/v1/companion";

export class ApiError extends Error {
  constructor(status, message, code = null, param = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.param = param;
  }

  static async from(response) {
    let error = {};
    try {
      error = (await response.json()).error ?? {};
    } catch {
      // Not JSON (a proxy's page, a dropped connection): fall back to the status line.
    }
    const message = error.message || `${response.status} ${response.statusText}`.trim();
    return new ApiError(response.status, message, error.code ?? null, error.param ?? null);
  }
}

async function request(method, path, { query, json, body, contentType, signal } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Authorization: `Bearer ${prefs.apiKey}` };
  let payload = body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  } else if (contentType) {
    headers["Content-Type"] = contentType;
  }
  const response = await fetch(url, { method, headers, body: payload, signal });
  if (!response.ok) throw await ApiError.from(response);
  return response;
}

async function json(method, path, options) {
  return (await request(method, path, options)).json();
}

const user = () => ({ user: prefs.user });

export const api = {
  models: () => json("GET", "/v1/models"),

  // -- characters
  ownCharacters: () => json("GET", `${COMPANION}/characters`, { query: user() }),
  gallery: () => json("GET", `${COMPANION}/gallery`, { query: { limit: 100 } }),
  importCard: (file) =>
    json("POST", `${COMPANION}/characters/import`, {
      query: { ...user(), filename: file.name },
      body: file,
      contentType: file.type || "application/octet-stream",
    }),
  portrait: async (characterId) => {
    const response = await request("GET", `${COMPANION}/characters/${characterId}/export`, {
      query: { ...user(), format: "png" },
    });
    return response.blob();
  },

  // -- sessions
  sessions: () => json("GET", `${COMPANION}/sessions`, { query: { ...user(), limit: 100 } }),
  createSession: (characterId) =>
    json("POST", `${COMPANION}/sessions`, {
      json: { user: prefs.user, user_name: prefs.user, character_id: characterId },
    }),
  session: (sessionId) => json("GET", `${COMPANION}/sessions/${sessionId}`, { query: user() }),
  deleteSession: (sessionId) =>
    json("DELETE", `${COMPANION}/sessions/${sessionId}`, { query: user() }),

  // -- messages (send and regenerate answer a streamed Response of SSE events)
  send: (sessionId, options, signal) =>
    request("POST", `${COMPANION}/sessions/${sessionId}/messages`, {
      json: { user: prefs.user, stream: true, ...options },
      signal,
    }),
  regenerate: (sessionId, messageId, options, signal) =>
    request("POST", `${COMPANION}/sessions/${sessionId}/messages/${messageId}/regenerate`, {
      json: { user: prefs.user, stream: true, ...options },
      signal,
    }),
  editMessage: (sessionId, messageId, changes) =>
    json("PATCH", `${COMPANION}/sessions/${sessionId}/messages/${messageId}`, {
      json: { user: prefs.user, ...changes },
    }),
  inspection: (sessionId, messageId, swipe) =>
    json("GET", `${COMPANION}/sessions/${sessionId}/messages/${messageId}/inspection`, {
      query: { ...user(), swipe },
    }),
  deleteMessage: (sessionId, messageId) =>
    json("DELETE", `${COMPANION}/sessions/${sessionId}/messages/${messageId}`, {
      query: user(),
    }),

  // -- memories (characterId null: the user's shared profile)
  memories: (characterId) =>
    json("GET", `${COMPANION}/memories`, { query: { ...user(), character_id: characterId } }),
  correctMemory: (memoryId, characterId, text) =>
    json("PATCH", `${COMPANION}/memories/${memoryId}`, {
      query: { ...user(), character_id: characterId },
      json: { text },
    }),
  deleteMemory: (memoryId, characterId) =>
    json("DELETE", `${COMPANION}/memories/${memoryId}`, {
      query: { ...user(), character_id: characterId },
    }),

  // -- speech
  voices: () => json("GET", "/v1/audio/voices"),
  speech: async (body) => (await request("POST", "/v1/audio/speech", { json: body })).blob(),
};
