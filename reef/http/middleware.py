"""One pure-ASGI middleware for what every request needs: an id, a body-size cap, an access log
line and the request metrics. Pure ASGI (not BaseHTTPMiddleware) so the request id context
variable is visible to everything the request runs, streaming bodies included."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping

from opentelemetry import trace
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reef.errors import ReefError
from reef.http.errors import RequestTooLarge, error_response, render_error
from reef.http.logging import request_id_var
from reef.http.metrics import Metrics

log = logging.getLogger("reef.access")
INTERNAL_ERROR = ReefError("The server had an error processing your request.")

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def _request_id(scope: Scope) -> str:
    """Honour a caller's id when it is safe to log and store; otherwise mint one."""
    incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if incoming and _VALID_REQUEST_ID.match(incoming):
        return incoming
    return new_request_id()


def _endpoint_label(scope: Scope) -> str:
    """The route template, so metrics labels stay few (`unmatched` for unknown URLs)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: Metrics,
        upload_limits: Mapping[str, int] | None = None,
    ) -> None:
        """`upload_limits` gives exact paths (file uploads) a cap of their own."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_limits = dict(upload_limits or {})
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        trace.get_current_span().set_attribute("reef.request_id", request_id)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        status_sent = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            try:
                buffered = await self._buffer_body(scope, receive)
            except RequestTooLarge as exc:
                await render_error(Request(scope), exc)(scope, receive, send_with_id)
                return
            try:
                await self.app(scope, buffered, send_with_id)
            except Exception:
                if status_sent:
                    raise
                # Answered here, inside this middleware, so even a crash gets a request id.
                log.exception("unhandled error on %s %s", scope["method"], scope["path"])
                response = await error_response(Request(scope), INTERNAL_ERROR)
                await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            endpoint = _endpoint_label(scope)
            model = str(scope["state"].get("model") or "")
            self.metrics.observe_request(endpoint, model, status, elapsed)
            log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed * 1000)
            request_id_var.reset(token)

    async def _buffer_body(self, scope: Scope, receive: Receive) -> Receive:
        """Read the whole body up to the cap, then replay it; reject early on Content-Length."""
        if scope["method"] not in _METHODS_WITH_BODY:
            return receive
        limit = self.upload_limits.get(scope["path"], self.max_body_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                pending = [message]
                break
            body: bytes = message.get("body", b"")
            size += len(body)
            if size > limit:
                raise _too_large(limit)
            chunks.append(body)
            if not message.get("more_body", False):
                pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
                break

        async def replay() -> Message:
            if pending:
                return pending.pop()
            return await receive()

        return replay


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"Request body is larger than the {limit} bytes this server accepts.")
