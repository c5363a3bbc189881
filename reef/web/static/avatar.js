// A companion's avatar: its card portrait when it has one (fetched once, with the key), and
// initials on a colour of its own until then or otherwise.

import { api } from "./api.js";
import { avatarBackground, h, initials } from "./dom.js";

const portraits = new Map(); // character id + update time -> Promise<object URL | null>

function portraitUrl(character) {
  const key = `${character.id}:${character.updated_at}`;
  if (!portraits.has(key)) {
    portraits.set(
      key,
      api
        .portrait(character.id)
        .then((blob) => URL.createObjectURL(blob))
        .catch(() => null),
    );
  }
  return portraits.get(key);
}

export function fillAvatar(element, character) {
  element.replaceChildren(initials(character?.name));
  element.style.setProperty("--avatar-bg", avatarBackground(character?.name ?? "?"));
  if (!character?.has_portrait) return;
  portraitUrl(character).then((url) => {
    if (url && element.isConnected) element.replaceChildren(h("img", { src: url, alt: "" }));
  });
}

export function avatarFor(character, name) {
  const element = h("span", { class: "avatar", "aria-hidden": "true" });
  if (character) fillAvatar(element, character);
  else {
    element.textContent = initials(name);
    element.style.setProperty("--avatar-bg", avatarBackground(name ?? "?"));
  }
  return element;
}
