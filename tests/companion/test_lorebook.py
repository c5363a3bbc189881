from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from reef.companion.cards.model import CharacterBook
from reef.companion.lore.book import LoreChat, LoreScan, scan_lorebook
from reef.companion.lore.decorators import resolve_rules, split_decorators
from reef.settings import CompanionSettings
from tests.companion.support import make_book, words


def chat(*messages: str, **facts: Any) -> LoreChat:
    return LoreChat(messages=list(messages), char_name="Sera", user_name="Ann", **facts)


def scan(book: CharacterBook, *messages: str, **kwargs: Any) -> LoreScan:
    facts = {k: kwargs.pop(k) for k in ("assistant_messages", "greeting_index") if k in kwargs}
    return scan_lorebook(book, chat(*messages, **facts), count_tokens=words, **kwargs)


def fired(result: LoreScan) -> list[str]:
    return [item.content for item in result.fired]


def one(keys: Sequence[str], content: str = "LORE", **entry: Any) -> CharacterBook:
    return make_book({"keys": list(keys), "content": content, **entry}, scan_depth=5)


# --- keys --------------------------------------------------------------------------------


def test_entry_fires_when_a_key_appears() -> None:
    book = one(["dragon", "wyrm"])
    assert fired(scan(book, "I saw a wyrm.")) == ["LORE"]
    assert fired(scan(book, "Nothing here.")) == []


def test_single_word_keys_match_whole_words_only() -> None:
    book = one(["cat"])
    assert fired(scan(book, "concatenate the strings")) == []
    assert fired(scan(book, "the cat, sat.")) == ["LORE"]
    assert fired(scan(book, "Cat!")) == ["LORE"]


def test_whole_word_matching_can_be_turned_off_per_entry() -> None:
    book = one(["cat"], extensions={"match_whole_words": False})
    assert fired(scan(book, "concatenate")) == ["LORE"]


def test_multi_word_keys_match_as_substrings() -> None:
    book = one(["old oak"])
    assert fired(scan(book, "by the old oaks")) == ["LORE"]


def test_cjk_keys_match_inside_running_text() -> None:
    book = one(["魔法"])
    assert fired(scan(book, "彼女は魔法使いです")) == ["LORE"]


def test_keys_are_case_insensitive_by_default() -> None:
    assert fired(scan(one(["Dragon"]), "a DRAGON appears")) == ["LORE"]


def test_case_sensitive_entry_needs_the_exact_case() -> None:
    book = one(["Dragon"], case_sensitive=True)
    assert fired(scan(book, "a dragon appears")) == []
    assert fired(scan(book, "a Dragon appears")) == ["LORE"]


def test_book_wide_case_default_applies_to_entries_that_set_none() -> None:
    book = make_book(
        {"keys": ["Dragon"], "content": "A"},
        {"keys": ["Dragon"], "content": "B", "case_sensitive": False},
    )
    assert fired(scan(book, "a dragon", case_sensitive=True)) == ["B"]
    assert fired(scan(book, "a dragon")) == ["A", "B"]
    strict = CompanionSettings(lore_case_sensitive=True)
    assert fired(scan(book, "a dragon", settings=strict)) == ["B"]


def test_sillytavern_case_sensitive_extension_is_honoured() -> None:
    book = one(["Dragon"], extensions={"case_sensitive": True})
    assert fired(scan(book, "a dragon")) == []


def test_keys_expand_macros() -> None:
    book = one(["{{user}}'s sword"])
    assert fired(scan(book, "Ann's sword glints")) == ["LORE"]


# --- selective, constant, disabled -----------------------------------------------------


def test_selective_entry_needs_a_secondary_key_too() -> None:
    book = one(["sword"], selective=True, secondary_keys=["broken", "rusty"])
    assert fired(scan(book, "a sword")) == []
    assert fired(scan(book, "a rusty sword")) == ["LORE"]


def test_selective_without_secondary_keys_fires_on_the_primary_key() -> None:
    assert fired(scan(one(["sword"], selective=True, secondary_keys=[]), "a sword")) == ["LORE"]


def test_secondary_keys_are_ignored_when_not_selective() -> None:
    book = one(["sword"], selective=False, secondary_keys=["rusty"])
    assert fired(scan(book, "a sword")) == ["LORE"]


@pytest.mark.parametrize(
    ("logic", "text", "fires"),
    [
        (1, "sword broken rusty", False),  # NOT ALL
        (1, "sword broken", True),
        (2, "sword broken", False),  # NOT ANY
        (2, "sword", True),
        (3, "sword broken", False),  # AND ALL
        (3, "sword rusty broken", True),
    ],
)
def test_sillytavern_selective_logic(logic: int, text: str, fires: bool) -> None:
    book = one(
        ["sword"],
        selective=True,
        secondary_keys=["broken", "rusty"],
        extensions={"selectiveLogic": logic},
    )
    assert bool(fired(scan(book, text))) is fires


def test_constant_entries_always_fire() -> None:
    book = one([], constant=True)
    result = scan(book, "unrelated")
    assert fired(result) == ["LORE"] and result.fired[0].trigger == "constant"
    assert fired(scan(book)) == ["LORE"]


def test_disabled_entries_never_fire() -> None:
    assert fired(scan(one(["dragon"], enabled=False, constant=True), "dragon")) == []


def test_entries_with_empty_content_never_fire() -> None:
    assert scan(one(["dragon"], content="  "), "dragon").fired == []


# --- scan depth ---------------------------------------------------------------------------


def test_only_the_last_scan_depth_messages_are_scanned() -> None:
    messages = ("the dragon wakes", "hello", "how are you")
    shallow = make_book({"keys": ["dragon"], "content": "L"}, scan_depth=2)
    deep = make_book({"keys": ["dragon"], "content": "L"}, scan_depth=3)
    assert fired(scan(shallow, *messages)) == []
    assert fired(scan(deep, *messages)) == ["L"]


def test_default_scan_depth_comes_from_settings() -> None:
    book = make_book({"keys": ["dragon"], "content": "L"})
    assert fired(scan(book, "dragon", "a", "b")) == []
    assert fired(scan(book, "dragon", "a", "b", settings=CompanionSettings(lore_scan_depth=3)))


def test_scan_depth_zero_fires_only_constants() -> None:
    book = make_book(
        {"keys": ["dragon"], "content": "K"}, {"constant": True, "content": "C"}, scan_depth=0
    )
    assert fired(scan(book, "dragon")) == ["C"]


def test_entry_scan_depth_decorator_overrides_the_book() -> None:
    book = make_book({"keys": ["dragon"], "content": "@@scan_depth 3\nL"}, scan_depth=1)
    assert fired(scan(book, "dragon", "x", "y")) == ["L"]


# --- recursion ---------------------------------------------------------------------------


def _chain(length: int, **book: Any) -> CharacterBook:
    entries = [
        {"keys": [f"k{i}"], "content": f"c{i} mentions k{i + 1}", "insertion_order": i}
        for i in range(length)
    ]
    return make_book(*entries, scan_depth=2, **book)


def test_fired_content_triggers_more_entries_when_recursive() -> None:
    result = scan(_chain(3, recursive_scanning=True), "talk about k0")
    assert [item.trigger for item in result.fired] == ["key", "recursion", "recursion"]
    assert len(scan(_chain(3, recursive_scanning=False), "talk about k0").fired) == 1


def test_recursion_is_bounded() -> None:
    settings = CompanionSettings(lore_max_recursion_steps=2)
    result = scan(_chain(10, recursive_scanning=True), "k0", settings=settings)
    assert fired(result) == ["c0 mentions k1", "c1 mentions k2", "c2 mentions k3"]


def test_recursion_default_comes_from_settings() -> None:
    on = CompanionSettings(lore_recursive_scanning=True)
    assert len(scan(_chain(3), "k0", settings=on).fired) == 3
    assert len(scan(_chain(3), "k0").fired) == 1


def test_sillytavern_recursion_extensions() -> None:
    prevent = make_book(
        {"keys": ["a"], "content": "mentions b", "extensions": {"prevent_recursion": True}},
        {"keys": ["b"], "content": "B"},
        recursive_scanning=True,
    )
    assert fired(scan(prevent, "a")) == ["mentions b"]
    exclude = make_book(
        {"keys": ["a"], "content": "mentions b"},
        {"keys": ["b"], "content": "B", "extensions": {"exclude_recursion": True}},
        recursive_scanning=True,
    )
    assert fired(scan(exclude, "a")) == ["mentions b"]
    assert fired(scan(exclude, "a b")) == ["mentions b", "B"]


# --- budget and order ---------------------------------------------------------------------


def test_fired_entries_are_ordered_by_insertion_order() -> None:
    book = make_book(
        {"keys": ["x"], "content": "third", "insertion_order": 30},
        {"keys": ["x"], "content": "first", "insertion_order": -5},
        {"keys": ["x"], "content": "second", "insertion_order": 10},
    )
    assert fired(scan(book, "x")) == ["first", "second", "third"]


def test_budget_keeps_higher_priority_entries() -> None:
    book = make_book(
        {"keys": ["x"], "content": "one two three", "insertion_order": 1, "priority": 1},
        {"keys": ["x"], "content": "four five six", "insertion_order": 2, "priority": 9},
        {"keys": ["x"], "content": "seven eight nine", "insertion_order": 3, "priority": 5},
        token_budget=6,
    )
    result = scan(book, "x")
    assert fired(result) == ["four five six", "seven eight nine"]
    assert [item.content for item in result.over_budget] == ["one two three"]
    assert result.tokens == 6


def test_budget_without_priority_keeps_higher_insertion_order() -> None:
    book = make_book(
        {"keys": ["x"], "content": "a b", "insertion_order": 1},
        {"keys": ["x"], "content": "c d", "insertion_order": 2},
        token_budget=2,
    )
    assert fired(scan(book, "x")) == ["c d"]


def test_a_smaller_entry_still_fits_after_a_big_one_is_left_out() -> None:
    book = make_book(
        {"keys": ["x"], "content": "big " * 10, "priority": 9},
        {"keys": ["x"], "content": "small", "priority": 1},
        token_budget=5,
    )
    assert fired(scan(book, "x")) == ["small"]


def test_token_budget_argument_and_default() -> None:
    book = make_book({"keys": ["x"], "content": "a b c"})
    assert fired(scan(book, "x", token_budget=2)) == []
    assert scan(book, "x").token_budget == CompanionSettings().lore_token_budget
    assert fired(scan(book, "x", settings=CompanionSettings(lore_token_budget=2))) == []


def test_token_counter_sees_the_final_content() -> None:
    seen: list[str] = []

    def counter(text: str) -> int:
        seen.append(text)
        return 1

    book = make_book({"keys": ["x"], "content": "@@depth 1\n{{char}} knows {{user}}"})
    scan_lorebook(book, chat("x"), count_tokens=counter)
    assert seen == ["Sera knows Ann"]


# --- regex -------------------------------------------------------------------------------


def test_slash_regex_keys_use_their_own_flags() -> None:
    book = one(["/dra(g|k)on/i"])
    assert fired(scan(book, "DRAKON!")) == ["LORE"]
    assert fired(scan(one(["/Dragon/"]), "dragon")) == []


def test_use_regex_treats_every_key_as_a_pattern() -> None:
    book = one([r"sw(or|ea)d\b"], use_regex=True)
    assert fired(scan(book, "a SWEAD")) == ["LORE"]
    assert fired(scan(one([r"sw(or|ea)d"]), "sword")) == []  # literal without use_regex


def test_invalid_regex_never_matches() -> None:
    assert fired(scan(one(["(unclosed"], use_regex=True), "(unclosed")) == []
    assert fired(scan(one(["/(unclosed/"]), "(unclosed")) == []


def test_a_catastrophic_regex_key_gives_up_instead_of_stalling() -> None:
    book = one(["/(a|aa)+$/"])
    assert fired(scan(book, "a" * 200 + "!")) == []
    assert fired(scan(book, "aaaa")) == ["LORE"]


def test_javascript_named_groups_are_accepted() -> None:
    assert fired(scan(one(["/(?<beast>dragon)/i"]), "Dragon")) == ["LORE"]


# --- decorators and positions -------------------------------------------------------------


def test_decorators_are_parsed_and_stripped() -> None:
    decorators, body = split_decorators("@@depth 3\n@@role user\n@@unknown x\n\nThe body.\n")
    assert [(d.name, d.value) for d in decorators] == [
        ("depth", "3"),
        ("role", "user"),
        ("unknown", "x"),
    ]
    assert body == "The body."
    rules = resolve_rules(decorators)
    assert (rules.depth, rules.role, rules.unsupported) == (3, "user", ("unknown",))


def test_fallback_decorator_applies_when_the_first_is_unsupported() -> None:
    rules = resolve_rules(split_decorators("@@risu_only 4\n@@@depth 2\n@@@depth 9\nx")[0])
    assert rules.depth == 2 and rules.unsupported == ()
    assert resolve_rules(split_decorators("@@depth 1\n@@@depth 5\nx")[0]).depth == 1


def test_first_decorator_of_a_name_wins() -> None:
    assert resolve_rules(split_decorators("@@depth 1\n@@depth 7\nx")[0]).depth == 1


def test_depth_decorator_places_content_in_the_chat() -> None:
    book = one(["x"], content="@@depth 2\n@@role assistant\nDeep lore")
    item = scan(book, "x").fired[0]
    assert (item.position, item.depth, item.role, item.content) == (
        "at_depth",
        2,
        "assistant",
        "Deep lore",
    )


def test_position_field_and_decorator() -> None:
    before = scan(one(["x"], position="before_char"), "x").fired[0]
    after = scan(one(["x"], position="after_char"), "x").fired[0]
    assert (before.position, after.position) == ("before_char", "after_char")
    decorated = scan(one(["x"], content="@@position after_desc\n@@depth 3\nL"), "x").fired[0]
    assert (decorated.position, decorated.content) == ("after_char", "L")


def test_sillytavern_at_depth_extension() -> None:
    book = one(["x"], extensions={"position": 4, "depth": 1, "role": 1})
    item = scan(book, "x").fired[0]
    assert (item.position, item.depth, item.role) == ("at_depth", 1, "user")


def test_activate_and_dont_activate_decorators() -> None:
    assert fired(scan(one(["nope"], content="@@activate\nL"), "x")) == ["L"]
    assert fired(scan(one(["x"], content="@@dont_activate\nL"), "x")) == []
    assert fired(scan(one(["x"], content="@@dont_activate\n@@activate\nL"), "x")) == ["L"]


def test_additional_and_exclude_keys_decorators() -> None:
    book = one(["x"], content="@@additional_keys alpha,beta\n@@exclude_keys omega\nL")
    assert fired(scan(book, "x")) == []
    assert fired(scan(book, "x beta")) == ["L"]
    assert fired(scan(book, "x beta omega")) == []


def test_activate_only_after_and_every_count_assistant_messages() -> None:
    after = one(["x"], content="@@activate_only_after 2\nL")
    assert fired(scan(after, "x", assistant_messages=1)) == []
    assert fired(scan(after, "x", assistant_messages=2)) == ["L"]
    every = one(["x"], content="@@activate_only_every 3\nL")
    assert fired(scan(every, "x", assistant_messages=4)) == []
    assert fired(scan(every, "x", assistant_messages=6)) == ["L"]


def test_is_greeting_decorator_matches_the_active_greeting() -> None:
    book = one([], content="@@is_greeting 1\n@@activate\nL")
    assert fired(scan(book, greeting_index=1)) == ["L"]
    assert fired(scan(book, greeting_index=0)) == []


def test_ignore_on_max_context_entries_go_first_when_over_budget() -> None:
    book = make_book(
        {"keys": ["x"], "content": "@@ignore_on_max_context\na b", "priority": 99},
        {"keys": ["x"], "content": "c d", "priority": 1},
        token_budget=2,
    )
    assert fired(scan(book, "x")) == ["c d"]


def test_lore_content_gets_macros() -> None:
    assert fired(scan(one(["x"], content="{{char}} and <USER>"), "x")) == ["Sera and Ann"]


def test_no_book_fires_nothing() -> None:
    assert scan_lorebook(None, chat("x"), count_tokens=words).fired == []


def test_rich_cards_books_fire_as_written(v2_card: Any, v3_card: Any) -> None:
    v2_book = v2_card.data.character_book
    assert fired(scan(v2_book, "the glade")) == []  # selective: needs "magic"
    assert fired(scan(v2_book, "the glade has magic")) == ["The glade is hidden by old magic."]
    v3_book = v3_card.data.character_book
    result = scan(v3_book, "we walked to Namba")
    assert [(i.content, i.position, i.depth) for i in result.fired] == [
        ("Dotonbori glows with neon signs over the canal.", "at_depth", 2),
        ("The broth simmers for twelve hours.", "before_char", 0),
    ]


# --- what an inspection shows ------------------------------------------------------------------


def test_fired_entries_name_the_keys_that_matched() -> None:
    book = make_book(
        {
            "id": "d",
            "comment": "Dragons",
            "keys": ["dragon", "/wy[a-z]+/i", "ghost"],
            "content": "D",
        },
        {
            "keys": ["harbour"],
            "content": "H",
            "selective": True,
            "secondary_keys": ["winter", "ice"],
        },
        {
            "keys": ["harbour"],
            "content": "N",
            "selective": True,
            "secondary_keys": ["summer"],
            "extensions": {"selectiveLogic": 2},  # NOT ANY: secondary keys must be absent
        },
        {"keys": [], "content": "C", "constant": True},
        {"keys": ["D"], "content": "R", "extensions": {"match_whole_words": True}},
        scan_depth=5,
        recursive_scanning=True,
    )
    result = scan(book, "A Dragon and a WYRM sleep by the harbour in winter.")
    hits = {item.content: item for item in result.fired}
    assert set(hits) == {"D", "H", "N", "C", "R"}
    assert hits["D"].matched_keys == ("dragon", "/wy[a-z]+/i")
    assert (hits["D"].entry_id, hits["D"].comment, hits["D"].trigger) == ("d", "Dragons", "key")
    assert hits["H"].matched_keys == ("harbour", "winter")
    assert hits["N"].matched_keys == ("harbour",)
    assert (hits["C"].trigger, hits["C"].matched_keys) == ("constant", ())
    assert (hits["R"].trigger, hits["R"].matched_keys) == ("recursion", ("D",))
