"""`/v1/responses`: the OpenAI Responses API (what the OpenAI Agents SDK speaks)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reef.agents.engine_call import EngineCall
from reef.agents.responses import store
from reef.agents.responses.run import ResponseRun
from reef.agents.responses.schemas import ResponsesBody
from reef.agents.responses.views import ResponseDeleted, ResponseObject
from reef.http.deps import Caller, Meter, State
from reef.http.disconnect import CLIENT_CLOSED_REQUEST
from reef.http.schemas import COMMON_ERRORS, error_responses
from reef.http.sse import EventStreamResponse

router = APIRouter(tags=["responses"], responses=COMMON_ERRORS)


@router.post(
    "/v1/responses",
    name="responses",
    response_model=None,
    responses={
        200: {
            "model": ResponseObject,
            "description": "the response; with `stream: true`, its event stream",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **error_responses(503),
    },
)
async def create_response(
    request: Request, body: ResponsesBody, state: State, meter: Meter, principal: Caller
) -> Response:
    run = ResponseRun(EngineCall(state, request, meter, principal), body)
    stream = await run.prepare()
    if body.stream:
        return EventStreamResponse(run.events(stream))
    response = await run.answer(stream)
    if response is None:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    return JSONResponse(response)


@router.get("/v1/responses/{response_id}", response_model=ResponseObject)
async def get_response(response_id: str, state: State, principal: Caller) -> dict[str, Any]:
    body, _ = await asyncio.to_thread(store.load, state.db, principal.org_id, response_id)
    return body


@router.delete("/v1/responses/{response_id}", response_model=ResponseDeleted)
async def delete_response(response_id: str, state: State, principal: Caller) -> dict[str, Any]:
    await asyncio.to_thread(store.delete, state.db, principal.org_id, response_id)
    return {"id": response_id, "object": "response", "deleted": True}
