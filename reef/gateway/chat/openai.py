"""`POST /v1/chat/completions` (OpenAI)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reef.gateway.chat.responses import ChatCompletion, streamed
from reef.gateway.chat.runner import ChatRunner
from reef.gateway.chat.schemas import ChatCompletionBody
from reef.http.deps import Caller, Meter
from reef.http.schemas import COMMON_ERRORS, error_responses

router = APIRouter(tags=["openai"], responses={**COMMON_ERRORS, **error_responses(503)})


@router.post(
    "/v1/chat/completions",
    name="chat.completions",
    response_model=None,
    responses=streamed(ChatCompletion, "the completion, or SSE chunks with `stream: true`"),
)
async def create_chat_completion(
    request: Request, body: ChatCompletionBody, meter: Meter, principal: Caller
) -> Response:
    return await ChatRunner(request, meter, minimax=False).run(body, principal)
