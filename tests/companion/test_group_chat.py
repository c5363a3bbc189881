from __future__ import annotations

import random
from collections import Counter

import pytest

from reef.companion.cards.codec import Card
from reef.companion.prompt.assemble import ChatTurn, assemble_group_prompt, strip_speaker_prefix
from reef.companion.sessions.speakers import choose_next_speaker, talkativeness
from reef.errors import InvalidRequest
from reef.settings import CompanionSettings
from tests.companion.support import make_book, make_card, words


def trio(talk: tuple[object, object, object] = (0.5, 0.5, 0.5)) -> list[Card]:
    names = ("Alice", "Bob", "Cleo")
    return [
        make_card(
            name,
            description=f"{name} is described in detail. SECRET-{name}",
            personality=f"{name.lower()}-ish and friendly",
            extensions={"talkativeness": value},
        )
        for name, value in zip(names, talk, strict=True)
    ]


def said(name: str, text: str) -> ChatTurn:
    return ChatTurn("assistant", text, name=name)


# --- group prompt -------------------------------------------------------------------------


def test_speaker_persona_is_main_and_others_get_one_line() -> None:
    cards = trio()
    prompt = assemble_group_prompt(
        cards,
        1,
        [ChatTurn("user", "hi all"), said("Alice", "hello"), said("Bob", "yo")],
        user_name="Ann",
        count_tokens=words,
        context_window=1000,
        reserve_for_reply=100,
    )
    system = prompt.messages[0]["content"]
    assert system.startswith("Write Bob's next reply in a fictional group chat")
    assert "SECRET-Bob" in system
    assert "SECRET-Alice" not in system and "SECRET-Cleo" not in system
    assert "Other participants in this chat:\n- Alice: alice-ish and friendly" in system
    assert "- Cleo: cleo-ish and friendly" in system
    assert prompt.messages[1:] == [
        {"role": "user", "content": "Ann: hi all"},
        {"role": "user", "content": "Alice: hello"},
        {"role": "assistant", "content": "Bob: yo"},
    ]


def test_only_the_speakers_lorebook_is_used() -> None:
    alice = make_card("Alice", book=make_book({"keys": ["tea"], "content": "ALICE-LORE"}))
    bob = make_card("Bob", book=make_book({"keys": ["tea"], "content": "BOB-LORE"}))
    history = [ChatTurn("user", "tea time")]
    prompt = assemble_group_prompt(
        [alice, bob],
        1,
        history,
        user_name="Ann",
        count_tokens=words,
        context_window=500,
        reserve_for_reply=50,
    )
    text = prompt.messages[0]["content"]
    assert "BOB-LORE" in text and "ALICE-LORE" not in text


def test_participant_lines_are_short() -> None:
    cards = [make_card("Long", personality="x" * 1000), make_card("Me")]
    prompt = assemble_group_prompt(
        cards,
        1,
        [],
        user_name="Ann",
        count_tokens=words,
        context_window=5000,
        reserve_for_reply=50,
        settings=CompanionSettings(group_summary_max_chars=20),
    )
    lines = prompt.messages[0]["content"].splitlines()
    line = next(text for text in lines if text.startswith("- Long"))
    assert line == "- Long: " + "x" * 19 + "…"


def test_group_prompt_respects_the_budget() -> None:
    history = [said("Alice" if i % 2 else "Bob", "word " * 20) for i in range(50)]
    prompt = assemble_group_prompt(
        trio(),
        2,
        history,
        user_name="Ann",
        count_tokens=words,
        context_window=300,
        reserve_for_reply=50,
    )
    assert 0 < prompt.included_history < 50
    assert prompt.token_count <= 250


def test_group_prompt_input_errors() -> None:
    with pytest.raises(InvalidRequest, match="speaker 3"):
        assemble_group_prompt(
            trio(),
            3,
            [],
            user_name="A",
            count_tokens=words,
            context_window=99,
            reserve_for_reply=1,
        )
    with pytest.raises(InvalidRequest, match="need the character's name"):
        assemble_group_prompt(
            trio(),
            0,
            [ChatTurn("assistant", "who am I")],
            user_name="A",
            count_tokens=words,
            context_window=999,
            reserve_for_reply=1,
        )


def test_strip_speaker_prefix() -> None:
    assert strip_speaker_prefix("Bob: hey there", "Bob") == "hey there"
    assert strip_speaker_prefix("hey Bob: there", "Bob") == "hey Bob: there"


# --- next speaker ---------------------------------------------------------------------------


def test_a_mentioned_name_wins() -> None:
    cards = trio()
    history = [said("Alice", "hi")]
    message = ChatTurn("user", "What do you think, cleo? And Bob?")
    assert choose_next_speaker(cards, history, message, "mention") == 2
    assert choose_next_speaker(cards, history, message, "talkativeness", random.Random(1)) == 2


def test_mentions_by_nickname_count() -> None:
    cards = [make_card("Kaito Nakamura", nickname="Kai"), make_card("Bob")]
    assert choose_next_speaker(cards, [], ChatTurn("user", "kai, ramen?")) == 0


def test_a_speaker_mentioning_itself_does_not_speak_twice() -> None:
    cards = trio()
    message = said("Alice", "Alice thinks so too.")
    assert choose_next_speaker(cards, [message], message, "mention") == 1


def test_list_order_is_round_robin_and_ignores_mentions() -> None:
    cards = trio()
    history: list[ChatTurn] = []
    order = []
    for _ in range(6):
        index = choose_next_speaker(cards, history, None, "list")
        order.append(index)
        history.append(said(cards[index].name, "Alice!"))
    assert order == [0, 1, 2, 0, 1, 2]


def test_mention_strategy_falls_back_to_list_order() -> None:
    cards = trio()
    history = [said("Bob", "hm"), ChatTurn("user", "go on")]
    assert choose_next_speaker(cards, history, None, "mention") == 2


def test_talkativeness_decides_who_volunteers() -> None:
    cards = trio((0.0, 1.0, 0.0))
    rng = random.Random(7)
    picks = {
        choose_next_speaker(cards, [], ChatTurn("user", "hi"), "talkativeness", rng)
        for _ in range(50)
    }
    assert picks == {1}


def test_talkativeness_frequencies_follow_the_setting() -> None:
    cards = trio((0.9, 0.1, 0.1))
    rng = random.Random(1234)
    counts = Counter(
        choose_next_speaker(cards, [], ChatTurn("user", "hi"), "talkativeness", rng)
        for _ in range(600)
    )
    assert counts[0] > counts[1] + counts[2]
    assert counts[1] > 0 and counts[2] > 0


def test_nobody_volunteering_still_picks_someone_else() -> None:
    cards = trio((0.0, 0.0, 0.0))
    rng = random.Random(3)
    last = said("Alice", "ok")
    picks = {choose_next_speaker(cards, [last], last, "talkativeness", rng) for _ in range(40)}
    assert picks == {1, 2}


def test_never_the_same_character_twice_unless_alone() -> None:
    cards = trio((1.0, 0.0, 0.0))
    last = said("Alice", "done")
    rng = random.Random(5)
    for strategy in ("mention", "talkativeness", "list"):
        assert choose_next_speaker(cards, [last], last, strategy, rng) != 0  # type: ignore[arg-type]
    alone = [make_card("Solo")]
    assert choose_next_speaker(alone, [said("Solo", "me")], said("Solo", "me again")) == 0


def test_talkativeness_is_read_the_sillytavern_way() -> None:
    assert talkativeness(make_card(extensions={"talkativeness": "0.8"})) == 0.8
    assert talkativeness(make_card(extensions={"talkativeness": 0.25})) == 0.25
    assert talkativeness(make_card(extensions={})) == 0.5
    assert talkativeness(make_card(extensions={"talkativeness": "loud"})) == 0.5
    assert talkativeness(make_card(extensions={"talkativeness": 7})) == 1.0


def test_bad_speaker_inputs() -> None:
    with pytest.raises(InvalidRequest, match="at least one character"):
        choose_next_speaker([], [], None)
    with pytest.raises(InvalidRequest, match="unknown speaker strategy 'loudest'"):
        choose_next_speaker(trio(), [], None, "loudest")  # type: ignore[arg-type]
