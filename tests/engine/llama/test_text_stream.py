"""Incremental text handling: split UTF-8, stop strings across pieces, streamed JSON strings."""

from __future__ import annotations

import json

from reef.engine.llama.output import ToolAnswer
from reef.engine.llama.text_stream import JsonStringDecoder, StopMatcher, Utf8Assembler


def test_utf8_split_across_pieces_waits_for_the_whole_character() -> None:
    text = "café 🙂 ok"
    assembler = Utf8Assembler()
    out = []
    for byte in text.encode():
        out.append(assembler.feed(bytes([byte])))
    out.append(assembler.flush())
    assert "".join(out) == text
    # The 4-byte emoji appears in one piece, never as replacement characters.
    assert "🙂" in out and "\ufffd" not in "".join(out)


def test_utf8_flush_replaces_a_truncated_character() -> None:
    assembler = Utf8Assembler()
    assert assembler.feed("é".encode()[:1]) == ""
    assert assembler.flush() == "\ufffd"


def test_stop_string_split_across_pieces() -> None:
    matcher = StopMatcher(["END"])
    assert matcher.feed("abcE") == ("abc", False)
    assert matcher.feed("N") == ("", False)
    assert matcher.feed("Dxyz") == ("", True)


def test_partial_match_that_fails_is_released() -> None:
    matcher = StopMatcher(["END", "STOP"])
    assert matcher.feed("xS") == ("x", False)
    assert matcher.feed("T") == ("", False)
    assert matcher.feed("x") == ("STx", False)
    assert matcher.feed("EN") == ("", False)
    assert matcher.flush() == "EN"


def test_earliest_stop_string_wins() -> None:
    matcher = StopMatcher(["b c", "a"])
    assert matcher.feed("xx b c a") == ("xx ", True)


def test_no_stop_strings_passes_text_through() -> None:
    matcher = StopMatcher(["", ""])
    assert matcher.feed("anything") == ("anything", False)


def test_json_string_decoder_handles_escapes_split_anywhere() -> None:
    original = 'he said "hi"\n\ttab \\ slash / é 😀 \u0001'
    literal = json.dumps(original)  # escapes quotes, control chars and the emoji pair
    for size in (1, 2, 3, 5):
        decoder = JsonStringDecoder()
        body = literal[1:] + ', "ignored": "x"}'
        out = "".join(decoder.feed(body[i : i + size]) for i in range(0, len(body), size))
        assert out == original
        assert decoder.closed


def test_tool_answer_streams_a_plain_response_as_content() -> None:
    shaper = ToolAnswer()
    raw = json.dumps({"response": 'Hello "world"!'})
    content = []
    for i in range(0, len(raw), 3):
        chunks, stop = shaper.feed(raw[i : i + 3])
        assert not stop
        content.extend(c.content or "" for c in chunks)
    assert "".join(content) == 'Hello "world"!'
    final = shaper.finish("stop")
    assert [c.finish_reason for c in final] == ["stop"]


def test_tool_answer_turns_a_call_into_an_openai_tool_call() -> None:
    shaper = ToolAnswer()
    chunks, _ = shaper.feed('{"tool_call": {"name": "f", "arguments": {"x": [1, 2]}}}')
    assert chunks == []
    final = shaper.finish("stop")
    call = final[0].tool_calls[0]  # type: ignore[index]
    assert call["function"] == {"name": "f", "arguments": '{"x": [1, 2]}'}
    assert final[-1].finish_reason == "tool_calls"


def test_tool_answer_cut_short_reports_length_without_a_call() -> None:
    shaper = ToolAnswer()
    shaper.feed('{"tool_call": {"name": "f", "argu')
    final = shaper.finish("length")
    assert [(c.tool_calls, c.finish_reason) for c in final] == [(None, "length")]
