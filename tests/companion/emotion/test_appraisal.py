"""Lexicon appraisal: signs, negation, intensity, punctuation, emoji, direct address."""

from __future__ import annotations

import pytest

from reef.companion.emotion import (
    AffectEstimate,
    Appraisal,
    appraise_exchange,
    appraise_text,
    default_lexicon,
)
from reef.companion.emotion.appraisal import combine
from reef.companion.emotion.state import EMOTIONS
from reef.settings import EmotionSettings


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I'm so happy today", 1),
        ("You are wonderful", 1),
        ("This is terrible", -1),
        ("I feel lonely", -1),
        ("I am not happy", -1),
        ("I'm not sad at all", 1),
        ("That's not bad", 1),
        ("I don't hate it", 1),
        ("I never felt so loved", 1),
    ],
)
def test_valence_sign_with_negation(text: str, sign: int) -> None:
    appraisal = appraise_text(text)
    assert appraisal.valence * sign > 0.2 and appraisal.strength > 0


def test_negation_flips_and_damps() -> None:
    happy, not_happy = appraise_text("I am happy"), appraise_text("I am not happy")
    assert not_happy.valence == pytest.approx(-0.75 * happy.valence)
    assert not_happy.arousal < happy.arousal
    assert "not happy" in not_happy.evidence[0]
    assert appraise_text("I'm scared").cues == {"fearful": 1}
    assert appraise_text("I'm not scared").cues == {}  # a negated fear word names no fear


def test_negation_stops_at_the_clause() -> None:
    assert appraise_text("No, I'm happy").valence > 0.5
    tired_but_sad = appraise_text("I'm not tired, but I'm sad").evidence
    assert tired_but_sad[0].startswith("not tired(") and tired_but_sad[1].startswith("sad(")


def test_intensifiers_caps_and_exclamations_raise_intensity() -> None:
    plain = appraise_text("that was good")
    assert appraise_text("that was very good").valence > plain.valence
    assert appraise_text("that was slightly good").valence < plain.valence
    assert appraise_text("that was kind of good").valence < plain.valence
    assert appraise_text("that was GOOD").valence > plain.valence
    assert appraise_text("that was good!!!").arousal > plain.arousal
    assert appraise_text("THAT WAS SO GOOD").arousal > appraise_text("that was so good").arousal


def test_emoji_and_emoticons_carry_affect() -> None:
    assert appraise_text("see you tomorrow 😊").valence > 0.5
    assert appraise_text("see you tomorrow :(").valence < -0.3
    assert appraise_text("my exam results 😭").cues == {"sad": 1}
    assert appraise_text("there's a spider in my bed 😱").cues.get("fearful") == 1
    assert appraise_text("❤️").valence > 0.5  # with the emoji variation selector


def test_direct_address_separates_hostility_from_feelings() -> None:
    hate_you = appraise_text("I hate you")
    hate_mondays = appraise_text("I hate Mondays")
    assert hate_you.valence <= hate_mondays.valence < 0
    assert hate_you.strength > hate_mondays.strength
    assert hate_you.cues == {"angry": 1} and hate_mondays.cues == {}
    assert appraise_text("you are so stupid").cues == {"angry": 1}
    assert appraise_text("I'm worried about you").cues == {"fearful": 1}
    assert appraise_text("I love you").valence > appraise_text("I love pizza").valence


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry I insulted you. That was cruel of me, I apologise.",
        "I'm sorry I was so mean to you. You didn't deserve that, please forgive me.",
        "I'm really sorry for what I said earlier. I didn't mean it, please forgive me.",
    ],
)
def test_an_apology_soothes_instead_of_attacking(text: str) -> None:
    apology = appraise_text(text)
    assert apology.valence > 0 and "angry" not in apology.cues
    assert apology.evidence[0].startswith("apology(")


def test_only_an_apology_disarms_direct_address() -> None:
    assert appraise_text("You were cruel to me").cues == {"angry": 1}
    sympathy = appraise_text("I'm sorry to hear that")  # sympathy, not an apology
    assert sympathy.valence < 0 and not any(e.startswith("apology(") for e in sympathy.evidence)
    assert appraise_text("My bad, I was rude to you").valence > 0


def test_questions_count_less_and_name_no_cue() -> None:
    statement, question = appraise_text("You are scared."), appraise_text("Are you scared?")
    assert question.strength < statement.strength and question.cues == {}
    assert appraise_text("What?!").cues == {"surprised": 1}


def test_neutral_text_has_no_strength() -> None:
    for text in ("The train leaves at nine.", "", "Tell me about the lighthouse", "ok"):
        appraisal = appraise_text(text)
        assert appraisal.strength <= 0.15, text
        assert abs(appraisal.valence) <= 0.2


async def test_exchange_weighs_the_user_above_the_reply() -> None:
    user_only = await appraise_exchange("You ruined everything, I hate you", "")
    both = await appraise_exchange(
        "You ruined everything, I hate you", "I'm so sorry, I feel awful."
    )
    assert user_only.valence < 0 and both.valence < 0
    assert (await appraise_exchange("", "")).strength == 0
    mute_reply = EmotionSettings(reply_weight=0.0)
    ignored = await appraise_exchange("I hate you", "I love you too!", settings=mute_reply)
    assert ignored == await appraise_exchange("I hate you", "", settings=mute_reply)


async def test_an_injected_classifier_is_blended_by_its_confidence() -> None:
    calls: list[str] = []

    async def classifier(text: str) -> AffectEstimate:
        calls.append(text)
        return AffectEstimate(valence=-1.0, arousal=1.0, confidence=1.0)

    lexical = await appraise_exchange("The concert was lovely", "")
    blended = await appraise_exchange(
        "The concert was lovely", "", classifier=classifier, settings=EmotionSettings()
    )
    assert calls == ["The concert was lovely"]
    assert blended.valence == pytest.approx(0.5 * lexical.valence - 0.5, abs=1e-6)
    assert blended.evidence[-1] == "classifier(-1.00,+1.00)"

    async def unsure(text: str) -> AffectEstimate | None:
        return None

    assert await appraise_exchange("The concert was lovely", "", classifier=unsure) == lexical


def test_combine_weighs_by_strength() -> None:
    strong = Appraisal(valence=-0.8, arousal=0.6, strength=1.0, cues={"angry": 1})
    weak = Appraisal(valence=0.8, arousal=0.0, strength=0.25)
    mixed = combine([(strong, 1.0), (weak, 1.0)])
    assert mixed.valence == pytest.approx((-0.8 + 0.2) / 1.25)
    assert mixed.strength == 1.0 and mixed.cues == {"angry": 1.0}


def test_the_shipped_lexicon_is_well_formed() -> None:
    lexicon = default_lexicon()
    assert len(lexicon.words) >= 300
    values = [*lexicon.words.values(), *lexicon.phrases.values(), *lexicon.emoji.values()]
    assert all(-1 <= v <= 1 and -1 <= a <= 1 for v, a in values)
    assert set(lexicon.cues.values()) <= set(EMOTIONS)
    known = {*lexicon.words, *(" ".join(p) for p in lexicon.phrases), *lexicon.emoji}
    known |= set(lexicon.emoticons)
    assert set(lexicon.cues) <= known, set(lexicon.cues) - known
    assert all(lexicon.lemma(w) == w for w in lexicon.words)
    assert lexicon.lemma("hating") == "hate" and lexicon.lemma("happily") == "happy"
