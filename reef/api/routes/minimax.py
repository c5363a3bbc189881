"""MiniMax-compatible text chat. Routes tagged `minimax` answer errors as HTTP 200 with
`base_resp`, the way MiniMax's clients expect."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from reef.api.chat_runner import ChatRunner
from reef.api.deps import authenticated
from reef.api.deps import metered as metered_by
from reef.api.errors import MINIMAX_TAG
from reef.api.metering import RequestMeter
from reef.api.schemas import MiniMaxChatBody
from reef.platform.types import Principal

router = APIRouter(tags=[MINIMAX_TAG])


@router.post("/v1/text/chatcompletion_v2", response_model=None)
async def minimax_chat_completion(
    request: Request,
    body: MiniMaxChatBody,
    meter: RequestMeter = Depends(metered_by("text.chatcompletion_v2")),
    principal: Principal = Depends(authenticated),
) -> Response:
    return await ChatRunner(request, meter, minimax=True).run(body, principal)
