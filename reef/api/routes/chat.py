"""`POST /v1/chat/completions` (OpenAI)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from reef.api.chat_runner import ChatRunner
from reef.api.deps import authenticated
from reef.api.deps import metered as metered_by
from reef.api.metering import RequestMeter
from reef.api.schemas import ChatCompletionBody
from reef.platform.types import Principal

router = APIRouter(tags=["openai"])


@router.post("/v1/chat/completions", response_model=None)
async def create_chat_completion(
    request: Request,
    body: ChatCompletionBody,
    meter: RequestMeter = Depends(metered_by("chat.completions")),
    principal: Principal = Depends(authenticated),
) -> Response:
    return await ChatRunner(request, meter, minimax=False).run(body, principal)
