"""MiniMax-compatible text chat. Routes tagged `minimax` answer errors as HTTP 200 with
`base_resp`, the way MiniMax's clients expect."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reef.gateway.chat.responses import MiniMaxChatCompletion, streamed
from reef.gateway.chat.runner import ChatRunner
from reef.gateway.chat.schemas import MiniMaxChatBody
from reef.http.deps import Caller, Meter
from reef.http.errors import MINIMAX_TAG

router = APIRouter(tags=[MINIMAX_TAG])


@router.post(
    "/v1/text/chatcompletion_v2",
    name="text.chatcompletion_v2",
    response_model=None,
    responses=streamed(
        MiniMaxChatCompletion, "the completion (errors too, as `base_resp`), or SSE chunks"
    ),
)
async def minimax_chat_completion(
    request: Request, body: MiniMaxChatBody, meter: Meter, principal: Caller
) -> Response:
    return await ChatRunner(request, meter, minimax=True).run(body, principal)
