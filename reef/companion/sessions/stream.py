"""Driving a prepared turn to its end: collected into one answer, or streamed as SSE events.

Events (each `data: {json}`): `turn.start` (who answers, the reply's id), `delta` (text as it
is generated), then `turn.done` with the stored messages, usage, memory operations and audio;
`error` if generation fails midway; finally `[DONE]`. A client that leaves stops generation at
once, is charged for what was generated, and nothing of the turn is stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

import anyio

from reef.companion.http.schemas import inspection_view, message_view
from reef.companion.prompt.turn import SpeakerPrefixFilter
from reef.companion.sessions.turns import TurnRunner
from reef.companion.sessions.types import PreparedTurn, TurnResult
from reef.errors import ReefError

log = logging.getLogger(__name__)

DONE_EVENT = "data: [DONE]\n\n"


def turn_view(result: TurnResult) -> dict[str, Any]:
    usage = result.usage
    return {
        "object": "companion.turn",
        "session_id": result.session_id,
        "model": result.model,
        "user_message": message_view(result.user_message) if result.user_message else None,
        "message": message_view(result.message),
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
            "cached_tokens": usage.cached_tokens,
        },
        "memory_operations": result.memory_operations,
        "audio": result.audio,
        **({"inspection": inspection_view(result.message)} if result.inspect else {}),
    }


def event(body: dict[str, Any]) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False, separators=(',', ':'))}\n\n"


def error_body(exc: ReefError) -> dict[str, Any]:
    return {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}


async def _close_unfinished(turn: PreparedTurn, status: int) -> None:
    """Stop generation and charge what was generated; shielded so it runs on cancellation."""
    with anyio.CancelScope(shield=True):
        await turn.stream.aclose()
        await turn.meter.succeed(turn.stream.usage, turn.stream.model, aborted=True, status=status)


async def collect(runner: TurnRunner, turn: PreparedTurn) -> TurnResult:
    """The whole reply, then the finished turn."""
    parts: list[str] = []
    finish_reason: str | None = None
    try:
        async for chunk in turn.stream:
            if chunk.content:
                parts.append(chunk.content)
            if chunk.finish_reason:
                finish_reason = chunk.finish_reason
    except BaseException as exc:
        await _close_unfinished(turn, exc.status if isinstance(exc, ReefError) else 500)
        raise
    await turn.stream.aclose()
    return await runner.finish(turn, "".join(parts), finish_reason)


async def stream_events(runner: TurnRunner, turn: PreparedTurn) -> AsyncGenerator[str, None]:
    """SSE events of the turn (see the module docstring)."""
    speaker = turn.speaker
    generated = False
    status = 200
    try:
        yield event(
            {
                "type": "turn.start",
                "session_id": turn.session.id,
                "message_id": turn.target.id if turn.target else turn.message_id,
                "character_id": speaker.id,
                "name": speaker.card.display_name,
                "model": turn.stream.model,
            }
        )
        prefix = SpeakerPrefixFilter(speaker.card.display_name)
        parts: list[str] = []
        finish_reason: str | None = None
        async for chunk in turn.stream:
            if chunk.finish_reason:
                finish_reason = chunk.finish_reason
            text = prefix.feed(chunk.content) if chunk.content else ""
            if text:
                parts.append(text)
                yield event({"type": "delta", "content": text})
        tail = prefix.flush()
        if tail:
            parts.append(tail)
            yield event({"type": "delta", "content": tail})
        generated = True
        await turn.stream.aclose()
        result = await runner.finish(turn, "".join(parts), finish_reason)
        yield event({"type": "turn.done", **turn_view(result)})
        yield DONE_EVENT
    except Exception as exc:
        error = (
            exc
            if isinstance(exc, ReefError)
            else ReefError("The turn failed midway.", code="turn_failed")
        )
        if not isinstance(exc, ReefError):
            log.exception("companion turn of session %s failed", turn.session.id)
        status = error.status
        yield event({"type": "error", "error": error_body(error)})
        yield DONE_EVENT
    finally:
        if not generated:
            await _close_unfinished(turn, status)
