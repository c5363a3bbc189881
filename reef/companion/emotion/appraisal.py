"""Appraise what was said: a lexicon-based (valence, arousal) estimate with the cues behind it.

For one text:
- Every affect item (lexicon word after suffix stripping, phrase, emoticon, emoji) contributes
  (v, a) from the lexicon. An intensifier just before it multiplies v ("very sad"); a word in
  capitals counts `caps_factor` times; in a clause addressed to the listener ("I hate you",
  "you're amazing") an evaluative word (not a feeling of the speaker's own) counts
  `direct_address_factor` times and raises the hostility (angry) cue when negative.
- In a question, an item's v and a count `question_factor` times and it names no cue
  ("are you scared?" is not fear; "why are you so stupid?" is still hostile).
- In an apology ("I'm sorry I insulted you", a marker from the lexicon anywhere in the text)
  negative words name the wrong being made good: their v counts `apology_negative_factor`
  times, and addressed to the listener they get no `direct_address_factor` and raise no
  hostility cue; the apology adds one soothing item (`apology_valence`, `apology_arousal`).
- "never ... so/this/such" is emphasis, not negation ("never felt so loved").
- A negator up to `negation_window` tokens before an item multiplies v by `negation_valence`
  (-0.75) and a by `negation_arousal`, and cancels the item's cue ("not scared" is no fear).
- valence = mean of the items' v, arousal = mean of their a, plus `exclamation_arousal` per "!"
  (at most `exclamation_max`) and `shouting_arousal` when most words are in capitals; both
  clamped to [-1, 1].
- strength in [0, 1] = summed max(|v|, |a|) over items / `strength_saturation`, plus
  `exclamation_strength` per "!", capped at 1: how much the text should move a mood at all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from reef.companion.emotion.lexicon import Lexicon, default_lexicon
from reef.companion.emotion.state import Affect, EmotionName, clamp
from reef.settings import EmotionSettings

_CLAUSE_BREAK = re.compile(r"[.!?;,:\n]+|\b(?:but|and|though|although|however)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_VARIATION_SELECTOR = "\ufe0f"
_NEVER_SO = frozenset({"so", "this", "such", "more"})
INTENSIFIER_REACH = 2  # an intensifier applies to an affect item at most this many tokens on


@dataclass(frozen=True)
class Appraisal:
    """The affect a text expresses. `cues` weighs discrete emotions named outright;
    `evidence` lists what counted, for explanations and debugging."""

    valence: float = 0.0
    arousal: float = 0.0
    strength: float = 0.0
    cues: Mapping[EmotionName, float] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()

    @property
    def affect(self) -> Affect:
        return Affect(self.valence, self.arousal)


NO_APPRAISAL = Appraisal()


@dataclass(frozen=True)
class AffectEstimate:
    """What an injected classifier says about a text; `confidence` in [0, 1]."""

    valence: float
    arousal: float
    confidence: float


AffectClassifier = Callable[[str], Awaitable[AffectEstimate | None]]


@dataclass
class _Tally:
    """Running sums while scanning one text."""

    items: list[tuple[str, float, float]] = field(default_factory=list)
    cues: Counter[EmotionName] = field(default_factory=Counter)

    def add(self, label: str, valence: float, arousal: float) -> None:
        self.items.append((label, clamp(valence), clamp(arousal)))


def appraise_text(text: str, lexicon: Lexicon | None = None) -> Appraisal:
    """The lexicon appraisal of one text (formula in the module docstring)."""
    lex = lexicon or default_lexicon()
    mods = lex.modifiers
    text = text.replace("\u2019", "'").replace(_VARIATION_SELECTOR, "")
    tally = _Tally()
    text = _take_symbols(text, lex, tally)
    words = _TOKEN.findall(text)
    apology = lex.is_apology([w.lower() for w in words])
    if apology:
        tally.add("apology", mods.apology_valence, mods.apology_arousal)
    for sentence in _SENTENCE.findall(text):
        question = sentence.rstrip().rstrip("!").endswith("?")
        for clause in _CLAUSE_BREAK.split(sentence):
            if clause and clause.strip():
                tokens = _TOKEN.findall(clause)
                _scan_clause(tokens, lex, tally, question=question, apology=apology)
    exclamations = min(text.count("!"), mods.exclamation_max)
    if "?!" in text or "!?" in text:
        tally.cues["surprised"] += 1
    caps = [w for w in words if len(w) > 1 and w.isupper()]
    shouting = len(words) >= mods.shouting_min_words and len(caps) * 2 > len(words)
    if not tally.items:
        strength = min(1.0, exclamations * mods.exclamation_strength)
        arousal = exclamations * mods.exclamation_arousal + (mods.shouting_arousal * shouting)
        return Appraisal(0.0, clamp(arousal), strength, dict(tally.cues), ())
    count = len(tally.items)
    valence = sum(v for _, v, _ in tally.items) / count
    arousal = sum(a for _, _, a in tally.items) / count
    arousal += exclamations * mods.exclamation_arousal + (mods.shouting_arousal * shouting)
    magnitude = sum(max(abs(v), abs(a)) for _, v, a in tally.items)
    strength = magnitude / mods.strength_saturation + exclamations * mods.exclamation_strength
    evidence = tuple(f"{label}({v:+.2f},{a:+.2f})" for label, v, a in tally.items)
    return Appraisal(clamp(valence), clamp(arousal), min(1.0, strength), dict(tally.cues), evidence)


def _take_symbols(text: str, lex: Lexicon, tally: _Tally) -> str:
    """Count emoji and whitespace-delimited emoticons, and return the text without them."""
    for emoji, affect in lex.emoji.items():
        hits = text.count(emoji)
        if hits:
            text = text.replace(emoji, " ")
            for _ in range(hits):
                tally.add(emoji, *affect)
                _cue(lex, emoji, tally)
    kept: list[str] = []
    for chunk in text.split():
        emoticon = lex.emoticons.get(chunk)
        if emoticon is None:
            kept.append(chunk)
            continue
        tally.add(chunk, *emoticon)
        _cue(lex, chunk, tally)
    return " ".join(kept)


def _cue(lex: Lexicon, key: str, tally: _Tally) -> None:
    emotion = lex.cues.get(key)
    if emotion is not None:
        tally.cues[emotion] += 1


def _scan_clause(
    tokens: list[str], lex: Lexicon, tally: _Tally, *, question: bool, apology: bool
) -> None:
    mods = lex.modifiers
    lowered = [t.lower() for t in tokens]
    addressed = any(t in lex.second_person for t in lowered)
    negated_until, negator = -1, ""
    boost, boost_until = 1.0, -1
    i = 0
    while i < len(tokens):
        phrase, width = _match_phrase(lowered, i, lex)
        word = lowered[i]
        if phrase is None and lex.is_negator(word):
            negated_until = i + mods.negation_window
            negator = word
            i += 1
            continue
        if negator == "never" and word in _NEVER_SO and i <= negated_until:
            negated_until = -1  # "never felt so loved" praises, it does not deny
            negator = ""
        intensity = lex.intensifiers.get(phrase or (word,))
        if intensity is not None and _affect_follows(lowered, i + width, lex):
            boost, boost_until = boost * intensity, i + width + INTENSIFIER_REACH
            i += width
            continue
        if phrase is not None and phrase not in lex.phrases:
            i += width  # "kind of" with nothing to soften is not the word "kind"
            continue
        if phrase is not None and phrase in lex.phrases:
            key, affect, lemma = " ".join(phrase), lex.phrases[phrase], " ".join(phrase)
        else:
            found = lex.lemma(word)
            if found is None:
                i += 1
                continue
            key, affect, lemma, width = word, lex.words[found], found, 1
        factor = boost if i <= boost_until else 1.0
        if any(t.isupper() and len(t) > 1 for t in tokens[i : i + width]):
            factor *= mods.caps_factor
        evaluative = addressed and lemma not in lex.feelings
        if evaluative and apology and affect.valence < 0:
            evaluative = False  # "sorry I was cruel to you" confesses, it does not attack
        if evaluative:
            factor *= mods.direct_address_factor
        valence, arousal = affect.valence * factor, affect.arousal
        if apology and valence < 0:
            valence *= mods.apology_negative_factor
        if question:
            valence *= mods.question_factor
            arousal *= mods.question_factor
        negated = i <= negated_until
        if negated:
            valence *= mods.negation_valence
            arousal *= mods.negation_arousal
            key = f"not {key}"
        elif not question:
            _cue(lex, lemma, tally)
        if evaluative and valence < 0:
            tally.cues["angry"] += 1
        tally.add(key, valence, arousal)
        boost, boost_until = 1.0, -1
        i += width


def _match_phrase(
    lowered: list[str], start: int, lex: Lexicon
) -> tuple[tuple[str, ...] | None, int]:
    """The longest phrase or multi-word intensifier starting at `start`."""
    for width in range(min(lex.longest_phrase, len(lowered) - start), 1, -1):
        candidate = tuple(lowered[start : start + width])
        if candidate in lex.phrases or candidate in lex.intensifiers:
            return candidate, width
    return None, 1


def _affect_follows(lowered: list[str], start: int, lex: Lexicon) -> bool:
    """Whether an affect item begins within reach of an intensifier ending at `start`."""
    for i in range(start, min(len(lowered), start + INTENSIFIER_REACH)):
        if _match_phrase(lowered, i, lex)[0] in lex.phrases or lex.lemma(lowered[i]):
            return True
    return False


async def appraise_exchange(
    user_message: str,
    reply: str,
    *,
    settings: EmotionSettings | None = None,
    lexicon: Lexicon | None = None,
    classifier: AffectClassifier | None = None,
) -> Appraisal:
    """What the character appraises after one exchange.

    Each side is appraised alone (optionally blended with `classifier`: with k =
    classifier_weight * confidence, v = (1 - k) v_lexicon + k v_classifier, same for a and
    strength), then the sides combine weighted by w * strength (w = user_weight for the user's
    message, reply_weight for the character's own reply):
    v = sum(w s v) / sum(w s), a likewise, strength = min(1, sum(w s)); cue weights add up
    scaled by w.
    """
    config = settings or EmotionSettings()
    sides = [(user_message, config.user_weight), (reply, config.reply_weight)]
    appraised: list[tuple[Appraisal, float]] = []
    for text, weight in sides:
        if not text.strip() or weight <= 0:
            continue
        appraisal = appraise_text(text, lexicon)
        if classifier is not None:
            appraisal = _blend(appraisal, await classifier(text), config.classifier_weight)
        appraised.append((appraisal, weight))
    return combine(appraised)


def _blend(lexical: Appraisal, estimate: AffectEstimate | None, share: float) -> Appraisal:
    if estimate is None:
        return lexical
    k = share * clamp(estimate.confidence, 0.0, 1.0)
    return Appraisal(
        valence=clamp((1 - k) * lexical.valence + k * clamp(estimate.valence)),
        arousal=clamp((1 - k) * lexical.arousal + k * clamp(estimate.arousal)),
        strength=clamp((1 - k) * lexical.strength + k * estimate.confidence, 0.0, 1.0),
        cues=lexical.cues,
        evidence=(
            *lexical.evidence,
            f"classifier({estimate.valence:+.2f},{estimate.arousal:+.2f})",
        ),
    )


def combine(weighted: list[tuple[Appraisal, float]]) -> Appraisal:
    """Several appraisals as one, each counted by weight times its strength."""
    total = sum(weight * a.strength for a, weight in weighted)
    cues: dict[EmotionName, float] = {}
    evidence: list[str] = []
    for appraisal, weight in weighted:
        for emotion, count in appraisal.cues.items():
            cues[emotion] = cues.get(emotion, 0.0) + count * weight
        evidence.extend(appraisal.evidence)
    if total <= 0:
        return Appraisal(cues=cues, evidence=tuple(evidence))
    valence = sum(weight * a.strength * a.valence for a, weight in weighted) / total
    arousal = sum(weight * a.strength * a.arousal for a, weight in weighted) / total
    return Appraisal(clamp(valence), clamp(arousal), min(1.0, total), cues, tuple(evidence))
