"""`/v1/messages` and `/v1/messages/count_tokens`: the Anthropic Messages API, also under
`/anthropic` as MiniMax serves it. Errors leave in Anthropic's shape (routes tagged
`anthropic`); the key comes as `x-api-key` or Bearer."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reef.agents.engine_call import CHARS_PER_TOKEN, EngineCall
from reef.agents.messages import translate
from reef.agents.messages.run import MessageRun
from reef.agents.messages.schemas import CountTokensBody, MessagesBody
from reef.agents.messages.views import ANTHROPIC_ERRORS, MessageObject, TokenCount
from reef.http.deps import Caller, Meter, State
from reef.http.errors import ANTHROPIC_TAG
from reef.http.sse import EventStreamResponse
from reef.platform.admission import check_model_allowed


def _router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[ANTHROPIC_TAG], responses=ANTHROPIC_ERRORS)

    @router.post(
        "/v1/messages",
        name="messages",
        response_model=None,
        responses={
            200: {
                "model": MessageObject,
                "description": "the message; with `stream: true`, its event stream",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        },
        include_in_schema=not prefix,
    )
    async def create_message(
        request: Request, body: MessagesBody, state: State, meter: Meter, principal: Caller
    ) -> Response:
        run = MessageRun(EngineCall(state, request, meter, principal), body)
        run.prepare()
        stream = await run.open()
        if body.stream:
            return EventStreamResponse(run.events(stream))
        return JSONResponse(await run.answer(stream))

    @router.post(
        "/v1/messages/count_tokens", response_model=TokenCount, include_in_schema=not prefix
    )
    async def count_tokens(
        body: CountTokensBody, state: State, principal: Caller
    ) -> dict[str, Any]:
        """Prompt tokens the message would take: exact for the embedded engine (its chat
        template and tokenizer), estimated for remote models."""
        spec = state.catalogue.get(body.model, kind="chat")
        check_model_allowed(principal, spec.name)
        plan = translate.plan_tools(body.tools)
        messages = translate.chat_messages(body)
        tools = plan.as_chat_tools()
        backend: Any = state.router.chat_backend(spec.name)
        render = getattr(backend, "render_prompt_tokens", None)
        if callable(render):
            tokens = await asyncio.to_thread(render, messages, tools=tools)
            return {"input_tokens": len(tokens)}
        chars = sum(len(str(m.get("content") or "")) for m in messages) + len(str(tools or ""))
        return {"input_tokens": math.ceil(chars / CHARS_PER_TOKEN)}

    return router


routers = [_router(""), _router("/anthropic")]
