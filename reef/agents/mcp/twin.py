"""Calling a tool's HTTP twin in-process: the same route, the same middleware, the caller's own
key, over `httpx.ASGITransport` on the running app. Keys, limits, budgets, metering (under the
route's own endpoint name) and isolation between organisations are therefore the route's, not
a copy of them; a twin's error becomes the tool's error, never a crash of the MCP server."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from mcp.server.mcpserver.exceptions import ToolError

from reef.agents.mcp.auth import caller
from reef.agents.mcp.leaving import LeavesWithItsCaller
from reef.http.middleware import REQUEST_ID_HEADER

log = logging.getLogger(__name__)

# The app answers in-process; the host only fills the URL the route sees.
BASE_URL = "http://reef.mcp"


class TwinError(ToolError):
    """The HTTP twin refused or failed: its status and message, as the tool's error."""

    def __init__(self, status: int, message: str, request_id: str) -> None:
        super().__init__(f"HTTP {status}: {message} (request {request_id})")
        self.status = status
        self.request_id = request_id


@dataclass(frozen=True)
class TwinAnswer:
    request_id: str
    response: httpx.Response

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = self.response.json()
        return body


def new_request_id() -> str:
    """Minted per tool call, so the call's ledger row is found by the id the tool returns."""
    return f"req_mcp_{uuid.uuid4().hex}"


async def call_twin(
    method: str,
    path: str,
    *,
    json: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> TwinAnswer:
    """Send one request to the route at `path` as the MCP caller; TwinError unless it is 2xx."""
    who = caller()
    request_id = new_request_id()
    headers = {"authorization": who.authorization, REQUEST_ID_HEADER: request_id}
    app = LeavesWithItsCaller(who.app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=None) as client:
        response = await client.request(
            method,
            path,
            json=json,
            params=without_unset(params or {}),
            headers=headers,
        )
    request_id = response.headers.get(REQUEST_ID_HEADER, request_id)
    # Logged under the MCP request's id: one line ties it to the twin's own request id.
    log.info("MCP tool called %s %s as %s: %d", method, path, request_id, response.status_code)
    if response.is_success:
        return TwinAnswer(request_id, response)
    raise TwinError(response.status_code, error_message(response), request_id)


def error_message(response: httpx.Response) -> str:
    """The message of an OpenAI-shaped error body, else the body's text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return response.text[:500]


def without_unset(body: dict[str, Any]) -> dict[str, Any]:
    """Leave unset options out, so the route applies its own defaults."""
    return {k: v for k, v in body.items() if v is not None}
