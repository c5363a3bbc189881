from __future__ import annotations

from reef.companion.cards.macros import apply_macros


def test_char_and_user_are_replaced_case_insensitively() -> None:
    text = "{{char}} greets {{user}}; {{CHAR}} and {{User}} again."
    assert apply_macros(text, char="Sera", user="Ann") == "Sera greets Ann; Sera and Ann again."


def test_legacy_angle_macros_are_replaced() -> None:
    text = "<BOT> waves at <USER>, <bot> smiles at <user>, <char> nods."
    expected = "Sera waves at Ann, Sera smiles at Ann, Sera nods."
    assert apply_macros(text, char="Sera", user="Ann") == expected


def test_unknown_macros_are_left_intact() -> None:
    text = "{{random:a,b}} {{time}} {{ char }} <START> {{original}}"
    assert apply_macros(text, char="Sera", user="Ann") == text


def test_names_containing_macros_are_not_expanded_twice() -> None:
    assert apply_macros("{{user}} / {{char}}", char="{{user}}", user="<BOT>") == "<BOT> / {{user}}"


def test_original_is_replaced_only_when_given() -> None:
    assert apply_macros("A {{original}} B", char="c", user="u", original="X") == "A X B"
    assert apply_macros("{{Original}}", char="c", user="u", original="") == ""


def test_v3_comment_macros_are_removed() -> None:
    text = "Hi{{// author note}} there{{comment: hidden}}{{hidden_key:secret}}."
    assert apply_macros(text, char="c", user="u") == "Hi there."
