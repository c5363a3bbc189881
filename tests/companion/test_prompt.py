from __future__ import annotations

from typing import Any

import pytest

from reef.companion.cards.codec import Card
from reef.companion.prompt.assemble import ChatTurn, assemble_prompt, select_greeting
from reef.errors import ContextLengthExceeded, InvalidRequest
from reef.settings import CompanionSettings
from tests.companion.support import make_book, make_card, words

OVERHEAD = CompanionSettings().message_overhead_tokens


def assemble(card: Card, history: list[ChatTurn], **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "user_name": "Ann",
        "count_tokens": words,
        "context_window": 2000,
        "reserve_for_reply": 200,
    }
    options.update(kwargs)
    return assemble_prompt(card, history, **options)


def cost(messages: list[dict[str, str]]) -> int:
    return sum(words(message["content"]) + OVERHEAD for message in messages)


def exchange(count: int, words_each: int = 10) -> list[ChatTurn]:
    turns = []
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        turns.append(ChatTurn(role, f"m{i} " + "w " * (words_each - 1)))
    return turns


def all_text(messages: list[dict[str, str]]) -> str:
    return "\n".join(message["content"] for message in messages)


def test_message_order(v2_card: Card) -> None:
    history = [ChatTurn("user", "Is the glade magic?"), ChatTurn("assistant", "It is.")]
    prompt = assemble(v2_card, history, memories=["Ann likes tea"], emotion_line="Mood: calm")
    roles = [message["role"] for message in prompt.messages]
    assert roles == ["system", "system", "assistant", "user", "assistant", "system"]
    system = prompt.messages[0]["content"]
    parts = [
        "Write Seraphina's next reply",  # default system prompt, via {{original}}
        "Stay in character as Seraphina.",
        "The glade is hidden by old magic.",  # before_char lore
        "Seraphina is a forest guardian",  # description
        "Seraphina's personality: gentle",
        "Scenario: Ann wakes",
        "Ann: Who are you?",  # examples
        "Ann: Why help me?",
    ]
    positions = [system.index(part) for part in parts]
    assert positions == sorted(positions)
    assert (
        prompt.messages[1]["content"] == "What Seraphina remembers:\n- Ann likes tea\n\nMood: calm"
    )
    assert prompt.messages[2]["content"] == "*Seraphina kneels beside you.* You're safe now, Ann."
    assert prompt.messages[-1]["content"] == "Reply in at most three paragraphs."
    assert prompt.included_history == 2 and prompt.greeting_included
    assert [item.label for item in prompt.fired_lore] == ["Glade"]


def test_creator_notes_never_reach_the_model(v2_card: Card, v3_card: Card) -> None:
    for card in (v2_card, v3_card):
        text = all_text(assemble(card, exchange(3)).messages)
        assert card.data.creator_notes not in text
        assert "日本語メモ" not in text and "مرحبا" not in text


def test_macros_are_applied_everywhere(v2_card: Card) -> None:
    history = [ChatTurn("user", "Hi {{char}}, I am <USER>")]
    text = all_text(assemble(v2_card, history, memories=["{{user}} met {{char}}"]).messages)
    for macro in ("{{char}}", "{{user}}", "<USER>", "<BOT>", "{{original}}"):
        assert macro not in text
    assert "Hi Seraphina, I am Ann" in text and "Ann met Seraphina" in text


def test_v3_nickname_is_used_for_char(v3_card: Card) -> None:
    prompt = assemble(v3_card, [])
    assert prompt.messages[0]["content"].startswith("Write Kai's next reply")
    assert "Kaito" not in all_text(prompt.messages)


def test_empty_system_prompt_means_the_default() -> None:
    card = make_card(system_prompt="")
    prompt = assemble(card, [], settings=CompanionSettings(default_system_prompt="DEF {{char}}"))
    assert prompt.messages[0]["content"] == "DEF Sera"


def test_card_system_prompt_replaces_the_default() -> None:
    prompt = assemble(make_card(system_prompt="You are {{char}}, only."), [])
    assert prompt.messages[0]["content"] == "You are Sera, only."


def test_original_in_post_history_is_empty() -> None:
    card = make_card(post_history_instructions="{{original}} Be brief, {{user}}.")
    prompt = assemble(card, [ChatTurn("user", "hi")])
    assert prompt.messages[-1] == {"role": "system", "content": "Be brief, Ann."}


def test_greetings_by_index(v2_card: Card) -> None:
    first = assemble(v2_card, [], greeting_index=0).messages[1]["content"]
    second = assemble(v2_card, [], greeting_index=2).messages[1]["content"]
    assert first.startswith("*Seraphina kneels")
    assert second == "Oh! A visitor? 🌙"
    none = assemble(v2_card, [], greeting_index=None)
    assert not none.greeting_included and len(none.messages) == 2
    assert select_greeting(v2_card, 1) == v2_card.data.alternate_greetings[0]
    with pytest.raises(InvalidRequest, match="greeting_index 3 is out of range"):
        assemble(v2_card, [], greeting_index=3)


def test_prompt_stays_within_the_budget_and_counts_exactly(v2_card: Card) -> None:
    for turns in (0, 5, 40, 200):
        prompt = assemble(v2_card, exchange(turns), context_window=600, reserve_for_reply=100)
        assert prompt.token_count == cost(prompt.messages)
        assert prompt.token_count <= 500


def test_newest_history_is_kept_and_oldest_dropped(v2_card: Card) -> None:
    history = exchange(100)
    prompt = assemble(v2_card, history, context_window=800, reserve_for_reply=100)
    assert 0 < prompt.included_history < 100 and not prompt.greeting_included
    chat = [m["content"] for m in prompt.messages if m["role"] in ("user", "assistant")]
    expected = [turn.content for turn in history[-prompt.included_history :]]
    assert chat == expected


def test_post_history_instructions_stay_last_when_history_is_trimmed(v2_card: Card) -> None:
    prompt = assemble(v2_card, exchange(300), context_window=700, reserve_for_reply=100)
    assert prompt.included_history < 300
    assert prompt.messages[-1]["content"] == "Reply in at most three paragraphs."


def test_examples_are_dropped_last_block_first_as_history_grows() -> None:
    examples = "".join(
        f"<START>\n{{{{user}}}}: q{i} a b c\n{{{{char}}}}: e{i} d e f\n" for i in range(4)
    )
    card = make_card(description="A guide.", mes_example=examples)
    dropped = []
    for turns in range(30):
        prompt = assemble(card, exchange(turns, 3), context_window=200, reserve_for_reply=20)
        dropped.append(prompt.dropped_examples)
        system = prompt.messages[0]["content"]
        kept = 4 - prompt.dropped_examples
        for i in range(4):
            assert (f"e{i} d e f" in system) is (i < kept)
        assert prompt.token_count <= 180
    assert set(dropped) == {0, 1, 2, 3, 4}  # one block at a time, not all at once
    assert dropped == sorted(dropped)


def test_history_wins_over_examples() -> None:
    card = make_card(mes_example="<START>\n" + "ex " * 50)
    prompt = assemble(card, exchange(6), context_window=160, reserve_for_reply=20)
    assert prompt.included_history == 6 and prompt.dropped_examples == 1


def test_stable_prefix_is_identical_across_turns(v3_card: Card) -> None:
    history = [ChatTurn("user", "Hello there"), ChatTurn("assistant", "Irasshai!")]
    turn1 = assemble(v3_card, history, memories=["likes miso"], emotion_line="Mood: happy")
    history += [ChatTurn("user", "One shoyu please"), ChatTurn("assistant", "Coming up.")]
    turn2 = assemble(v3_card, history, memories=["likes shoyu now"], emotion_line="Mood: busy")
    assert turn1.prefix_messages == turn2.prefix_messages == 1
    prefix1 = turn1.messages[: turn1.prefix_messages]
    prefix2 = turn2.messages[: turn2.prefix_messages]
    assert prefix1[0]["content"].encode() == prefix2[0]["content"].encode()
    assert turn1.messages[1] != turn2.messages[1]  # the per-turn context differs
    assert turn2.messages[2:5] == turn1.messages[2:5]  # earlier chat turns are unchanged too


def test_fired_lore_changes_the_prefix_only_when_firing_changes() -> None:
    book = make_book({"keys": ["dragon"], "content": "Dragons sleep.", "position": "after_char"})
    card = make_card(description="Desc.", book=book)
    calm = assemble(card, [ChatTurn("user", "hello")])
    calm_again = assemble(card, [ChatTurn("user", "hello"), ChatTurn("user", "anyone?")])
    fiery = assemble(card, [ChatTurn("user", "a dragon!")])
    assert calm.messages[0] == calm_again.messages[0]
    assert fiery.messages[0]["content"].endswith("Desc.\n\nDragons sleep.")


def test_lore_positions_before_after_and_at_depth() -> None:
    book = make_book(
        {"keys": ["x"], "content": "BEFORE", "position": "before_char", "insertion_order": 1},
        {"keys": ["x"], "content": "AFTER", "position": "after_char", "insertion_order": 2},
        {"keys": ["x"], "content": "@@depth 1\nDEPTH", "insertion_order": 3},
        scan_depth=4,
    )
    card = make_card(description="DESC", scenario="SCEN", book=book)
    history = [ChatTurn("user", "x one"), ChatTurn("assistant", "two"), ChatTurn("user", "three")]
    prompt = assemble(card, history, greeting_index=None)
    system = prompt.messages[0]["content"]
    assert system.index("BEFORE") < system.index("DESC") < system.index("SCEN")
    assert system.index("SCEN") < system.index("AFTER")
    contents = [m["content"] for m in prompt.messages[1:]]
    assert contents == ["x one", "two", "DEPTH", "three"]
    assert prompt.messages[3]["role"] == "system"


def test_lore_shrinks_before_the_request_fails() -> None:
    book = make_book({"constant": True, "content": "lore " * 50}, token_budget=500)
    card = make_card(description="short", book=book)
    roomy = assemble(card, [ChatTurn("user", "hi")], context_window=400, reserve_for_reply=100)
    tight = assemble(card, [ChatTurn("user", "hi")], context_window=60, reserve_for_reply=10)
    assert len(roomy.fired_lore) == 1 and tight.fired_lore == []
    assert tight.token_count <= 50


def test_too_small_a_window_is_a_clear_error() -> None:
    card = make_card(description="word " * 100)
    with pytest.raises(ContextLengthExceeded, match="only 50 fit"):
        assemble(card, [ChatTurn("user", "hi")], context_window=100, reserve_for_reply=50)
    with pytest.raises(InvalidRequest, match="must be larger than reserve_for_reply"):
        assemble(card, [], context_window=100, reserve_for_reply=100)
    with pytest.raises(InvalidRequest, match="must not be negative"):
        assemble(card, [], context_window=100, reserve_for_reply=-1)


def test_newest_message_that_cannot_fit_is_an_error() -> None:
    card = make_card(description="tiny")
    with pytest.raises(ContextLengthExceeded):
        assemble(card, [ChatTurn("user", "w " * 500)], context_window=300, reserve_for_reply=10)


def test_no_context_message_without_memories_or_emotion() -> None:
    prompt = assemble(make_card(first_mes="Hi"), [ChatTurn("user", "yo")], memories=["  "])
    assert [m["role"] for m in prompt.messages] == ["system", "assistant", "user"]


def test_sections_count_each_part_of_the_prompt(v2_card: Card) -> None:
    history = [ChatTurn("user", "Is the glade magic?"), ChatTurn("assistant", "It is.")]
    prompt = assemble(v2_card, history, memories=["Ann likes tea"], emotion_line="Mood: calm")
    sections = {section.name: section.tokens for section in prompt.sections}
    assert list(sections) == [
        "system",
        "lore",
        "examples",
        "memories",
        "mood",
        "history",
        "post_history",
    ]
    assert sections["lore"] == sum(item.tokens for item in prompt.fired_lore) > 0
    assert sections["memories"] == words("What Seraphina remembers:\n- Ann likes tea")
    assert sections["mood"] == words("Mood: calm")
    chat = prompt.messages[2:-1]
    assert sections["history"] == sum(words(message["content"]) for message in chat)
    assert sections["post_history"] == words("Reply in at most three paragraphs.")
    # Every word of the prompt is in one section (this counter splits on whitespace only).
    assert sum(sections.values()) == sum(words(m["content"]) for m in prompt.messages)

    roomy = assemble(v2_card, history)
    window = roomy.token_count - 5 + 100
    tight = assemble(v2_card, history, context_window=window, reserve_for_reply=100)
    dropped = {section.name: section.tokens for section in tight.sections}
    assert tight.dropped_examples > 0 and dropped["examples"] < sections["examples"]
    assert dropped["memories"] == dropped["mood"] == 0
