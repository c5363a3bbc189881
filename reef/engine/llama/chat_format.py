"""Chat messages -> prompt text, with the GGUF's own Jinja template (sandboxed).

Rendering is append-only across turns for ordinary templates: turn N+1's prompt starts with turn
N's prompt plus its answer, which is what lets the engine reuse the KV cache of earlier turns.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

from reef.engine.llama.tools import history_tool_calls_text
from reef.errors import InvalidRequest

logger = logging.getLogger("reef.engine.llama")

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_ROLES = {"system", "developer", "user", "assistant", "tool"}
_PROBE_TOOL_RESULT = "reef-probe-tool-result"


class _TemplateRaised(Exception):
    """`raise_exception(...)` called from inside a chat template."""


def _raise_exception(message: str) -> None:
    raise _TemplateRaised(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


class ChatFormatter:
    """Renders OpenAI messages with one model's chat template."""

    def __init__(self, template_source: str | None, *, bos_token: str, eos_token: str) -> None:
        self._bos_token = bos_token
        self._eos_token = eos_token
        env = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]
        )
        env.filters["tojson"] = _tojson
        env.globals["raise_exception"] = _raise_exception
        env.globals["strftime_now"] = _strftime_now
        self._template = self._compile(env, template_source)
        self.native_tools = template_source is not None and "tools" in template_source
        self.renders_tool_role = self._probe_tool_role()

    @staticmethod
    def _compile(env: ImmutableSandboxedEnvironment, source: str | None) -> jinja2.Template:
        if source:
            try:
                return env.from_string(source)
            except jinja2.TemplateError as exc:
                logger.warning("chat template does not compile (%s); using ChatML", exc)
        return env.from_string(CHATML_TEMPLATE)

    def _probe_tool_role(self) -> bool:
        probe = [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
            {"role": "tool", "content": _PROBE_TOOL_RESULT},
        ]
        try:
            return _PROBE_TOOL_RESULT in self._render_raw(probe, None, add_generation_prompt=True)
        except (jinja2.TemplateError, _TemplateRaised, TypeError, ValueError):
            return False

    def render(
        self,
        messages: list[dict[str, Any]],
        *,
        system_suffix: str | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> str:
        """Prompt text ending with the assistant's turn opener.

        `system_suffix` (tool instructions) is appended to the system message, creating one when
        there is none, so it sits in the stable prefix every turn shares."""
        normalized = self._normalize(messages)
        if system_suffix:
            if normalized and normalized[0]["role"] == "system":
                first = dict(normalized[0])
                first["content"] = f"{first['content']}\n\n{system_suffix}"
                normalized[0] = first
            else:
                normalized.insert(0, {"role": "system", "content": system_suffix})
        try:
            return self._render_raw(
                normalized, tools if self.native_tools else None, add_generation_prompt=True
            )
        except _TemplateRaised as exc:
            raise InvalidRequest(f"messages rejected by the chat template: {exc}") from exc
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            raise InvalidRequest(f"messages could not be rendered: {exc}") from exc

    def _render_raw(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        *,
        add_generation_prompt: bool,
    ) -> str:
        return self._template.render(
            messages=messages,
            tools=tools,
            bos_token=self._bos_token,
            eos_token=self._eos_token,
            add_generation_prompt=add_generation_prompt,
        )

    def _normalize(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not messages:
            raise InvalidRequest("messages must not be empty", param="messages")
        call_names: dict[str, str] = {}
        normalized: list[dict[str, Any]] = []
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                raise InvalidRequest(f"messages[{index}] must be an object", param="messages")
            role = message.get("role")
            if role not in _ROLES:
                raise InvalidRequest(
                    f"messages[{index}].role {role!r} is not one of {sorted(_ROLES)}",
                    param="messages",
                )
            content = _content_text(message.get("content"), index)
            if role == "developer":
                role = "system"
            if role == "assistant" and message.get("tool_calls"):
                normalized.append(self._assistant_with_calls(message, content, call_names))
            elif role == "tool":
                normalized.append(self._tool_result(message, content, call_names))
            else:
                normalized.append({"role": role, "content": content})
        return normalized

    def _assistant_with_calls(
        self, message: dict[str, Any], content: str, call_names: dict[str, str]
    ) -> dict[str, Any]:
        tool_calls = message["tool_calls"]
        if not isinstance(tool_calls, list):
            raise InvalidRequest("assistant tool_calls must be a list", param="messages")
        calls_text = history_tool_calls_text(tool_calls)
        for call in tool_calls:
            if isinstance(call.get("id"), str):
                call_names[call["id"]] = call["function"]["name"]
        if self.native_tools:
            return {"role": "assistant", "content": content, "tool_calls": tool_calls}
        text = f"{content}\n{calls_text}" if content else calls_text
        return {"role": "assistant", "content": text}

    def _tool_result(
        self, message: dict[str, Any], content: str, call_names: dict[str, str]
    ) -> dict[str, Any]:
        call_id = message.get("tool_call_id")
        name = message.get("name") or call_names.get(str(call_id), "")
        if self.native_tools:
            return {"role": "tool", "content": content, "tool_call_id": call_id, "name": name}
        label = f"Result of tool {name}" if name else "Tool result"
        if self.renders_tool_role:
            return {"role": "tool", "content": f"{label}:\n{content}"}
        return {"role": "user", "content": f"[{label}]\n{content}"}


def _content_text(content: Any, index: int) -> str:
    """Message content as text: a string, null, or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            else:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise InvalidRequest(
                    f"messages[{index}]: content part of type {kind!r} is not supported "
                    "by this model (text only)",
                    param="messages",
                )
        return "\n".join(texts)
    raise InvalidRequest(
        f"messages[{index}].content must be a string or a list of text parts", param="messages"
    )
