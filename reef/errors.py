"""The one error type every part raises; the API turns it into OpenAI or MiniMax shapes."""

from __future__ import annotations


class ReefError(Exception):
    """An error a client should see: HTTP status, OpenAI `type`/`code`/`param`, MiniMax code."""

    status: int = 500
    type: str = "server_error"
    code: str | None = None
    minimax_code: int = 1000

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.retry_after = retry_after


class InvalidRequest(ReefError):
    status = 400
    type = "invalid_request_error"
    minimax_code = 2013


class ContextLengthExceeded(InvalidRequest):
    code = "context_length_exceeded"


class AuthenticationFailed(ReefError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"
    minimax_code = 2049


class PermissionDenied(ReefError):
    status = 403
    type = "permission_error"
    code = "model_not_allowed"
    minimax_code = 1004


class NotFound(ReefError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"
    minimax_code = 2013


class RateLimited(ReefError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"
    minimax_code = 1002


class BudgetExceeded(ReefError):
    status = 429
    type = "insufficient_quota"
    code = "insufficient_quota"
    minimax_code = 1008


class Overloaded(ReefError):
    """The engine's queue is full: try again shortly."""

    status = 503
    type = "server_error"
    code = "engine_overloaded"
    minimax_code = 1002


class UpstreamError(ReefError):
    status = 502
    type = "server_error"
    code = "upstream_error"
    minimax_code = 1000


class UpstreamTimeout(UpstreamError):
    status = 504
    code = "upstream_timeout"
    minimax_code = 1001
