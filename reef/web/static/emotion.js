// How a companion feels, shown two ways: a badge on each reply and the current mood in the
// header (emoji, name, and valence/arousal bars from -1 to 1).

import { h } from "./dom.js";

const EMOJI = {
  happy: "😊",
  sad: "😢",
  angry: "😠",
  fearful: "😨",
  disgusted: "🤢",
  surprised: "😮",
  neutral: "😌",
};

const BAR_COLOURS = {
  valence: ["#e35d5b", "#22a06b"],
  arousal: ["#4c8ee8", "#f08c2b"],
};

export function emojiOf(name) {
  return EMOJI[name] ?? EMOJI.neutral;
}

function degree(intensity) {
  if (intensity >= 0.66) return "very";
  if (intensity >= 0.33) return "";
  return "slightly";
}

export function describeEmotion(emotion) {
  if (!emotion) return "";
  if (emotion.emotion === "neutral") return "neutral";
  return [degree(emotion.intensity ?? 0), emotion.emotion].filter(Boolean).join(" ");
}

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function emotionBadge(emotion) {
  if (!emotion) return null;
  const label = describeEmotion(emotion);
  return h(
    "span",
    {
      class: "emotion-badge",
      dataset: { emotion: emotion.emotion },
      title: `${label} · valence ${fmt(emotion.valence)}, arousal ${fmt(emotion.arousal)}`,
    },
    h("span", { "aria-hidden": "true" }, emojiOf(emotion.emotion)),
    h("span", { class: "visually-hidden" }, "feeling "),
    emotion.emotion,
  );
}

function fmt(value) {
  const number = Number(value ?? 0);
  return (number >= 0 ? "+" : "") + number.toFixed(2);
}

function setBar(bar, value, kind, words) {
  const number = Math.max(-1, Math.min(1, Number(value ?? 0)));
  const fill = bar.querySelector(".bar-fill");
  fill.style.setProperty("--from", `${number >= 0 ? 50 : 50 + number * 50}%`);
  fill.style.setProperty("--size", `${Math.abs(number) * 50}%`);
  fill.style.setProperty("--fill", BAR_COLOURS[kind][number >= 0 ? 1 : 0]);
  bar.setAttribute("aria-valuenow", number.toFixed(2));
  bar.setAttribute("aria-valuetext", `${number >= 0 ? words[1] : words[0]} ${fmt(number)}`);
  bar.title = `${kind} ${fmt(number)}`;
}

export class MoodIndicator {
  constructor(root) {
    this.root = root;
    this.emoji = root.querySelector("#mood-emoji");
    this.name = root.querySelector("#mood-name");
    this.valence = root.querySelector("#valence-bar");
    this.arousal = root.querySelector("#arousal-bar");
  }

  show(emotion) {
    if (!emotion) {
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    this.root.dataset.emotion = emotion.emotion;
    this.emoji.textContent = emojiOf(emotion.emotion);
    this.name.textContent = capitalised(describeEmotion(emotion));
    setBar(this.valence, emotion.valence, "valence", ["unpleasant", "pleasant"]);
    setBar(this.arousal, emotion.arousal, "arousal", ["calm", "excited"]);
  }
}
