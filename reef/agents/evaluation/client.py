"""Reef's OpenAI-compatible API as the tool evaluation uses it: one `chat.completions.create`
with `tools` per question, through the `openai` SDK, exactly as BFCL's OpenAI handler sends it
(no `tool_choice`: the model decides), plus a fixed seed and a reply cap. Not streamed: the
latency measured is the whole answer's, at the client."""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import openai

from reef.agents.evaluation.scoring import ToolCall
from reef.errors import ReefError


class EvalError(ReefError):
    """The server refused a step the whole run depends on."""

    status = 502
    type = "server_error"
    code = "eval_step_failed"


@dataclass(frozen=True)
class GenerationParams:
    """What every answer is generated with (temperature 0 and a seed: reproducible)."""

    max_tokens: int
    temperature: float
    seed: int


@dataclass(frozen=True)
class Answer:
    calls: list[ToolCall]
    content: str | None
    finish_reason: str | None
    latency_s: float
    prompt_tokens: int | None
    completion_tokens: int | None
    error: str | None = None


def _status_error(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return f"HTTP {exc.status_code}: {inner['message']}"
    return f"HTTP {exc.status_code}: {exc.message}"


class ToolClient:
    """`with ToolClient(base_url, api_key, timeout_s) as api: api.ask(...)`"""

    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self._sdk = openai.OpenAI(
            base_url=base_url.rstrip("/").removesuffix("/v1") + "/v1",
            api_key=api_key,
            timeout=timeout_s,
            max_retries=0,
        )

    def __enter__(self) -> ToolClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._sdk.close()

    def check_model(self, model: str) -> None:
        """A clear error now, rather than one failed request per question, when the server
        lacks the model or refuses the key."""
        try:
            self._sdk.models.retrieve(model)
        except openai.APIStatusError as exc:
            raise EvalError(f"looking up model {model!r} failed: {_status_error(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise EvalError(f"cannot reach {self._sdk.base_url}: {exc}") from exc

    def ask(
        self,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        params: GenerationParams,
    ) -> Answer:
        started = time.perf_counter()
        try:
            response = self._sdk.chat.completions.create(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                tools=tools,  # type: ignore[arg-type]
                temperature=params.temperature,
                seed=params.seed,
                max_tokens=params.max_tokens,
            )
        except openai.APIStatusError as exc:
            return self._failed(started, _status_error(exc))
        except openai.APIError as exc:  # connection errors and timeouts
            return self._failed(started, f"{type(exc).__name__}: {exc}")
        latency = time.perf_counter() - started
        choice = response.choices[0]
        calls = [
            ToolCall(call.function.name, call.function.arguments)
            for call in choice.message.tool_calls or []
            if call.type == "function"
        ]
        usage = response.usage
        return Answer(
            calls=calls,
            content=choice.message.content,
            finish_reason=choice.finish_reason,
            latency_s=latency,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
        )

    @staticmethod
    def _failed(started: float, error: str) -> Answer:
        return Answer([], None, None, time.perf_counter() - started, None, None, error)
