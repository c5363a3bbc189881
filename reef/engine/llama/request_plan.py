"""Turns a `ChatRequest` into what the engine runs, rejecting what it cannot honour up front."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from reef.engine.llama.chat_format import ChatFormatter
from reef.engine.llama.output import OutputShaper, PlainText, StructuredText, ToolAnswer
from reef.engine.llama.sampling import SamplingParams
from reef.engine.llama.structured import response_format_grammar, tool_grammar
from reef.engine.llama.tools import ToolPlan, parse_tools, plan_tools, tool_instructions
from reef.engine.protocol import ChatRequest
from reef.errors import ContextLengthExceeded, InvalidRequest
from reef.settings import EngineSettings

OutputKind = Literal["text", "structured", "tool"]
_MAX_LOGIT_BIAS = 100.0
_MAX_PENALTY = 2.0
_MAX_TEMPERATURE = 2.0


@dataclass(frozen=True)
class GenerationPlan:
    prompt: list[int]
    max_tokens: int
    sampling: SamplingParams
    grammar: str | None
    output_kind: OutputKind
    stops: tuple[str, ...]
    request_id: str | None

    def make_output(self) -> OutputShaper:
        if self.output_kind == "tool":
            return ToolAnswer()
        if self.output_kind == "structured":
            return StructuredText()
        return PlainText(list(self.stops))


@dataclass(frozen=True)
class PromptLimits:
    context_length: int
    default_max_tokens: int


def plan_generation(
    request: ChatRequest,
    *,
    formatter: ChatFormatter,
    tokenize: Callable[[str], list[int]],
    settings: EngineSettings,
    limits: PromptLimits,
) -> GenerationPlan:
    extras = {k: v for k, v in (request.model_extra or {}).items() if v is not None}
    _reject_unsupported(extras)
    text, tool_plan = render_chat(formatter, request.messages, request.tools, request.tool_choice)
    grammar = response_format_grammar(request.response_format)
    kind: OutputKind = "text" if grammar is None else "structured"
    if tool_plan is not None:
        if grammar is not None:
            raise InvalidRequest(
                "response_format json_object/json_schema cannot be combined with tools; "
                'set tool_choice to "none" or drop response_format',
                param="response_format",
            )
        grammar = tool_grammar(tool_plan)
        kind = "tool"
    prompt = tokenize(text)
    return GenerationPlan(
        prompt=prompt,
        max_tokens=_max_tokens(request, extras, len(prompt), limits),
        sampling=_sampling(request, extras, settings),
        grammar=grammar,
        output_kind=kind,
        stops=tuple(s for s in request.stop if s),
        request_id=_request_id(extras),
    )


def render_chat(
    formatter: ChatFormatter,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    tool_choice: str | dict[str, Any] | None,
) -> tuple[str, ToolPlan | None]:
    """Prompt text for these messages; with tools in play, the system prompt describes them."""
    tool_plan = plan_tools(tools, tool_choice)
    if tool_plan is None:
        return formatter.render(messages), None
    instructions = tool_instructions(tool_plan, parse_tools(tools or []))
    return formatter.render(messages, system_suffix=instructions, tools=tools), tool_plan


def _reject_unsupported(extras: dict[str, Any]) -> None:
    n = extras.get("n", 1)
    if n != 1:
        raise InvalidRequest("Only n=1 is supported by this model", param="n")
    if extras.get("logprobs") or extras.get("top_logprobs"):
        raise InvalidRequest("logprobs are not supported by this model", param="logprobs")


def _request_id(extras: dict[str, Any]) -> str | None:
    value = extras.get("request_id")
    return str(value) if value is not None else None


def _max_tokens(
    request: ChatRequest, extras: dict[str, Any], prompt_len: int, limits: PromptLimits
) -> int:
    room = limits.context_length - prompt_len
    if room < 1:
        raise ContextLengthExceeded(
            f"This model's maximum context length is {limits.context_length} tokens. However, "
            f"your messages resulted in {prompt_len} tokens, leaving no room for a completion. "
            "Please shorten the messages.",
            param="messages",
        )
    requested = request.max_tokens
    if requested is None:
        requested = extras.get("max_completion_tokens")
    if requested is None:
        requested = limits.default_max_tokens
    if not isinstance(requested, int) or requested < 1:
        raise InvalidRequest("max_tokens must be a positive integer", param="max_tokens")
    return min(requested, room)


def _sampling(
    request: ChatRequest, extras: dict[str, Any], settings: EngineSettings
) -> SamplingParams:
    temperature = _number(
        request.temperature, settings.default_temperature, "temperature", 0.0, _MAX_TEMPERATURE
    )
    top_p = _number(request.top_p, settings.default_top_p, "top_p", 0.0, 1.0)
    min_p = _number(extras.get("min_p"), settings.default_min_p, "min_p", 0.0, 1.0)
    top_k = settings.default_top_k if request.top_k is None else request.top_k
    if top_k < 0:
        raise InvalidRequest("top_k must be >= 0", param="top_k")
    return SamplingParams(
        temperature=temperature,
        top_p=top_p if top_p > 0 else 1.0,
        top_k=top_k,
        min_p=min_p,
        seed=request.seed,
        frequency_penalty=_number(
            extras.get("frequency_penalty"), 0.0, "frequency_penalty", -_MAX_PENALTY, _MAX_PENALTY
        ),
        presence_penalty=_number(
            extras.get("presence_penalty"), 0.0, "presence_penalty", -_MAX_PENALTY, _MAX_PENALTY
        ),
        penalty_last_n=settings.penalty_last_n,
        logit_bias=_logit_bias(extras.get("logit_bias")),
        ignore_eos=bool(extras.get("ignore_eos", False)),
    )


def _number(value: Any, default: float, name: str, low: float, high: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequest(f"{name} must be a number", param=name)
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}", param=name)
    return float(value)


def _logit_bias(raw: Any) -> dict[int, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidRequest("logit_bias must map token ids to numbers", param="logit_bias")
    bias: dict[int, float] = {}
    for key, value in raw.items():
        try:
            token = int(key)
        except (TypeError, ValueError) as exc:
            raise InvalidRequest(
                f"logit_bias key {key!r} is not a token id", param="logit_bias"
            ) from exc
        bias[token] = _number(value, 0.0, "logit_bias", -_MAX_LOGIT_BIAS, _MAX_LOGIT_BIAS)
    return bias
