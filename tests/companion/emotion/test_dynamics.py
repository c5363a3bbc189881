"""Scripted conversations move the character's affect the right way, decay back to the
temperament's baseline, and stay bounded."""

from __future__ import annotations

import pytest

from reef.companion.emotion import (
    Appraisal,
    EmotionState,
    Temperament,
    appraise_exchange,
    update_state,
)
from reef.errors import InvalidRequest

NEUTRAL_TURNS = [
    "What time is it?",
    "I went to the shop.",
    "The bus was on time.",
    "Tell me about the lighthouse.",
    "We have a meeting at ten.",
    "It is Tuesday.",
    "I read the news.",
    "The train leaves at nine.",
]


async def play(
    messages: list[str], temperament: Temperament | None = None, start: EmotionState | None = None
) -> list[EmotionState]:
    mood = temperament or Temperament()
    state = start or mood.resting_state()
    states = []
    for message in messages:
        state = update_state(state, await appraise_exchange(message, ""), mood)
        states.append(state)
    return states


async def test_a_character_starts_at_rest() -> None:
    rest = Temperament().resting_state()
    assert (rest.emotion, rest.valence, rest.arousal) == ("neutral", 0.1, 0.0)
    cheerful = Temperament(valence=0.5, arousal=0.3).resting_state()
    assert cheerful.emotion == "happy"


async def test_insults_make_the_character_angry_or_sad() -> None:
    states = await play(["You are useless and stupid.", "I hate you!", "Shut up, idiot."])
    valences = [s.valence for s in states]
    assert 0.1 > valences[0] > valences[-1] and valences[-1] < -0.4
    assert all(s.emotion in {"angry", "sad"} for s in states)
    assert states[-1].emotion == "angry" and states[-1].arousal > 0.2


async def test_compliments_make_the_character_happy() -> None:
    states = await play(["You are wonderful, thank you!", "I love talking to you :)"])
    assert [s.emotion for s in states] == ["happy", "happy"]
    assert states[1].valence > states[0].valence > 0.4


async def test_scary_news_makes_the_character_fearful() -> None:
    (state,) = await play(["Someone is trying to break in, I'm terrified!"])
    assert state.emotion == "fearful" and state.valence < 0 and state.arousal > 0.2


@pytest.mark.parametrize(
    ("message", "emotion"),
    [
        ("My grandmother passed away last night.", "sad"),
        ("I found maggots in the fridge, disgusting!", "disgusted"),
        ("WOW, no way?! I won the lottery!", "surprised"),
    ],
)
async def test_other_news_leads_to_its_emotion(message: str, emotion: str) -> None:
    (state,) = await play([message])
    assert state.emotion == emotion


async def test_neutral_turns_decay_back_to_the_baseline() -> None:
    temperament = Temperament()
    (upset,) = await play(["I hate you, you're pathetic!"], temperament)
    calm = await play(NEUTRAL_TURNS * 2, temperament, start=upset)
    distances = [abs(s.valence - temperament.valence) + abs(s.arousal) for s in calm]
    assert distances == sorted(distances, reverse=True)
    assert calm[-1].emotion == "neutral"
    assert calm[-1].valence == pytest.approx(0.1, abs=0.02)
    assert calm[-1].arousal == pytest.approx(0.0, abs=0.02)


async def test_fear_persists_while_in_its_region_without_the_cue() -> None:
    states = await play(["There's a stranger outside, I'm so scared!", "It is Tuesday."])
    assert [s.emotion for s in states] == ["fearful", "fearful"]


def test_update_rule_is_exactly_the_documented_formula() -> None:
    temperament = Temperament(valence=0.2, arousal=-0.1, reactivity=0.4, decay_rate=0.5)
    state = EmotionState(valence=-0.6, arousal=0.7, emotion="angry", intensity=0.92)
    appraisal = Appraisal(valence=0.9, arousal=0.1, strength=0.5)
    updated = update_state(state, appraisal, temperament, elapsed_turns=2)
    keep = 0.5**2
    valence = 0.2 + (-0.6 - 0.2) * keep
    arousal = -0.1 + (0.7 + 0.1) * keep
    pull = 0.4 * 0.5
    assert updated.valence == pytest.approx(valence + pull * (0.9 - valence))
    assert updated.arousal == pytest.approx(arousal + pull * (0.1 - arousal))
    still = update_state(state, appraisal, temperament, elapsed_turns=0)
    assert still.valence == pytest.approx(-0.6 + pull * (0.9 + 0.6))
    unmoved = Temperament(reactivity=0.0, decay_rate=0.0)
    assert update_state(state, appraisal, unmoved).affect == state.affect
    with pytest.raises(InvalidRequest, match="elapsed_turns"):
        update_state(state, appraisal, temperament, elapsed_turns=-1)


async def test_affect_stays_bounded_under_extreme_input() -> None:
    volatile = Temperament(reactivity=1.0, decay_rate=0.0)
    rage = "I HATE YOU!!! YOU ARE THE WORST, MOST PATHETIC, STUPID IDIOT 😡🤬!!!"
    joy = "I LOVE YOU!!! YOU ARE AMAZING, WONDERFUL, PERFECT 😍🥰🎉!!!"
    states = await play([rage, joy] * 10, volatile)
    for state in states:
        assert -1 <= state.valence <= 1 and -1 <= state.arousal <= 1
        assert 0 <= state.intensity <= 1
    assert states[-2].valence < -0.8 and states[-1].valence > 0.8


async def test_a_gentle_temperament_reacts_less() -> None:
    gentle = Temperament(reactivity=0.2)
    fiery = Temperament(reactivity=0.9)
    (calm,) = await play(["You're a liar and I hate you!"], gentle)
    (hot,) = await play(["You're a liar and I hate you!"], fiery)
    assert hot.valence < calm.valence < 0.1
