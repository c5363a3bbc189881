"""Every failure leaves the API in one of three wire shapes: OpenAI's `error` object, MiniMax's
`base_resp`, or Anthropic's `{"type": "error", "error": {...}}` on routes tagged `anthropic`.
Handlers here convert `ReefError`, FastAPI's validation errors and Starlette's HTTP errors so
that no other shape ever reaches a client."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from reef.errors import InvalidRequest, NotFound, ReefError

MINIMAX_TAG = "minimax"
ANTHROPIC_TAG = "anthropic"

# Anthropic's error `type` for each HTTP status it uses.
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


class RequestTooLarge(InvalidRequest):
    status = 413
    code = "request_too_large"


class MethodNotAllowed(InvalidRequest):
    status = 405
    code = "method_not_allowed"


def openai_error_body(exc: ReefError) -> dict[str, Any]:
    return {
        "error": {
            "message": exc.message,
            "type": exc.type,
            "param": exc.param,
            "code": exc.code,
        }
    }


def minimax_error_body(exc: ReefError) -> dict[str, Any]:
    return {
        "input_sensitive": False,
        "output_sensitive": False,
        "base_resp": {"status_code": exc.minimax_code, "status_msg": exc.message},
    }


def anthropic_error_type(status: int) -> str:
    return _ANTHROPIC_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def anthropic_error_body(exc: ReefError) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": anthropic_error_type(exc.status), "message": exc.message},
    }


def error_headers(exc: ReefError) -> dict[str, str]:
    if exc.retry_after is None:
        return {}
    return {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}


def _route_tags(request: Request) -> tuple[str, ...]:
    """The matched route's tags; before routing (a body rejected by the middleware) the route
    is looked up by path."""
    route = request.scope.get("route")
    if route is None:
        route = next(
            (r for r in request.app.routes if r.matches(request.scope)[0] != Match.NONE), None
        )
    return tuple(getattr(route, "tags", ()))


def render_error(request: Request, exc: ReefError) -> JSONResponse:
    tags = _route_tags(request)
    headers = error_headers(exc)
    if MINIMAX_TAG in tags:
        return JSONResponse(minimax_error_body(exc), status_code=200, headers=headers)
    if ANTHROPIC_TAG in tags:
        return JSONResponse(anthropic_error_body(exc), status_code=exc.status, headers=headers)
    return JSONResponse(openai_error_body(exc), status_code=exc.status, headers=headers)


async def error_response(request: Request, exc: ReefError) -> JSONResponse:
    """Record the failure against the request's meter (if any) and render it."""
    meter = getattr(request.state, "meter", None)
    if meter is not None:
        await meter.fail(exc.status)
    return render_error(request, exc)


def _param_from_loc(loc: Sequence[int | str]) -> str | None:
    """`("body", "messages", 0, "content")` -> `messages[0].content`."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.startswith("function-") and part not in ("str", "list[str]"):
            text += f".{part}" if text else part
    return text or None


_CODE_BY_PYDANTIC_TYPE = {
    "missing": "missing_required_parameter",
    "extra_forbidden": "unknown_parameter",
}


def validation_error(exc: RequestValidationError) -> ReefError:
    """Pick the first problem FastAPI found and phrase it the way OpenAI does."""
    errors = exc.errors()
    if not errors:
        return InvalidRequest("The request is invalid.")
    first = errors[0]
    kind = str(first.get("type", ""))
    if kind == "json_invalid":
        return InvalidRequest(
            "We could not parse the JSON body of your request. The body must be valid JSON.",
            code="invalid_json",
        )
    param = _param_from_loc(first.get("loc", ()))
    reason = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "missing":
        message = f"Missing required parameter: '{param}'."
    elif kind == "extra_forbidden":
        message = f"Unrecognized request argument supplied: {param}"
    elif param is None:
        message = f"Invalid request body: {reason}"
    else:
        message = f"Invalid value for '{param}': {reason}"
    return InvalidRequest(
        message, param=param, code=_CODE_BY_PYDANTIC_TYPE.get(kind, "invalid_value")
    )


def http_error(request: Request, exc: StarletteHTTPException) -> ReefError:
    if exc.status_code == 404:
        return NotFound(f"Invalid URL ({request.method} {request.url.path})", code="unknown_url")
    if exc.status_code == 405:
        return MethodNotAllowed(f"Method {request.method} is not allowed on {request.url.path}")
    error = ReefError(str(exc.detail))
    error.status = exc.status_code
    error.type = "invalid_request_error" if exc.status_code < 500 else "server_error"
    return error


def install_error_handlers(app: FastAPI) -> None:
    async def on_reef_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ReefError)
        return await error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return await error_response(request, validation_error(exc))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return await error_response(request, http_error(request, exc))

    app.add_exception_handler(ReefError, on_reef_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
