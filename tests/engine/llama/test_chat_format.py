"""Prompt rendering with chat templates, including ones without tool support."""

from __future__ import annotations

import pytest

from reef.engine.llama.chat_format import ChatFormatter
from reef.errors import InvalidRequest

# A template in the Llama-2 style: only user/assistant/system, anything else is an error.
STRICT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('unknown role ' + m['role']) }}{% endif %}"
    "[{{ m['role'] }}] {{ m['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}"
)
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "lookup", "arguments": '{"q": "tides"}'},
}


def test_missing_template_falls_back_to_chatml() -> None:
    formatter = ChatFormatter(None, bos_token="", eos_token="")
    prompt = formatter.render([{"role": "user", "content": "hi"}])
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_broken_template_falls_back_to_chatml() -> None:
    formatter = ChatFormatter("{% for %}", bos_token="", eos_token="")
    assert formatter.render([{"role": "user", "content": "hi"}]).endswith("assistant\n")


def test_tool_messages_become_user_turns_when_the_template_rejects_them() -> None:
    formatter = ChatFormatter(STRICT_TEMPLATE, bos_token="", eos_token="")
    assert not formatter.renders_tool_role
    prompt = formatter.render(
        [
            {"role": "user", "content": "When is high tide?"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "at 6pm"},
        ]
    )
    assert '[assistant] {"tool_call": {"name": "lookup", "arguments": {"q": "tides"}}}' in prompt
    assert "[user] [Result of tool lookup]\nat 6pm" in prompt


def test_chatml_renders_the_tool_role() -> None:
    formatter = ChatFormatter(None, bos_token="", eos_token="")
    assert formatter.renders_tool_role
    prompt = formatter.render(
        [
            {"role": "user", "content": "q"},
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "r"},
        ]
    )
    assert "<|im_start|>tool\nResult of tool lookup:\nr<|im_end|>" in prompt


def test_system_suffix_joins_the_system_message_or_creates_one() -> None:
    formatter = ChatFormatter(None, bos_token="", eos_token="")
    with_system = formatter.render(
        [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        system_suffix="TOOLS",
    )
    assert with_system.startswith("<|im_start|>system\nBe brief.\n\nTOOLS<|im_end|>")
    without = formatter.render([{"role": "user", "content": "hi"}], system_suffix="TOOLS")
    assert without.startswith("<|im_start|>system\nTOOLS<|im_end|>")


def test_text_parts_are_joined() -> None:
    formatter = ChatFormatter(None, bos_token="", eos_token="")
    parts = [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
    assert "one\ntwo" in formatter.render([{"role": "user", "content": parts}])


def test_template_exceptions_become_invalid_requests() -> None:
    formatter = ChatFormatter(
        "{{ raise_exception('Conversation roles must alternate') }}", bos_token="", eos_token=""
    )
    with pytest.raises(InvalidRequest, match="alternate"):
        formatter.render([{"role": "user", "content": "hi"}])
