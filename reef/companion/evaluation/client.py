"""The companion HTTP API as the evaluation uses it: every turn is streamed (SSE) so the time
to the first generated text can be measured where a user would feel it, at the client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from reef.errors import ReefError


class EvalError(ReefError):
    """The server refused or failed a step of the evaluation."""

    status = 502
    type = "server_error"
    code = "eval_step_failed"


@dataclass(frozen=True)
class GenerationParams:
    """What every evaluated reply is generated with (temperature 0 and a seed: reproducible)."""

    max_tokens: int
    temperature: float
    seed: int


@dataclass(frozen=True)
class StreamedTurn:
    """One turn as observed from the client: the `turn.done` body and its timings."""

    turn: dict[str, Any]
    ttft_s: float | None
    total_s: float

    @property
    def reply(self) -> str:
        return str(self.turn["message"]["content"])

    @property
    def usage(self) -> dict[str, int]:
        return {key: int(value or 0) for key, value in self.turn["usage"].items()}


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:300]


def _checked(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise EvalError(f"{what} failed ({response.status_code}): {_error_text(response)}")
    body: dict[str, Any] = response.json()
    return body


def _sse_payloads(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if line.startswith("data: "):
            yield line.removeprefix("data: ")


class CompanionClient:
    """`with CompanionClient(base_url, api_key, timeout_s) as api: ...`"""

    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/").removesuffix("/v1") + "/v1",
            headers={"authorization": f"Bearer {api_key}"},
            timeout=timeout_s,
        )

    def __enter__(self) -> CompanionClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._http.close()

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise EvalError(f"{what} failed: cannot reach {self._http.base_url} ({exc})") from exc
        return _checked(response, what)

    def check_model(self, model: str) -> None:
        """A clear error now, rather than midway, when the server lacks the model."""
        self._request("GET", f"/models/{model}", f"looking up model {model!r}")

    def create_character(self, fields: dict[str, Any], user: str) -> str:
        body = {**fields, "user": user}
        created = self._request(
            "POST", "/companion/characters", f"creating character {fields.get('name')!r}", json=body
        )
        return str(created["id"])

    def create_session(self, user: str, character_id: str, model: str) -> dict[str, Any]:
        body = {"user": user, "character_id": character_id, "model": model}
        return self._request("POST", "/companion/sessions", "creating a session", json=body)

    def session(self, session_id: str, user: str) -> dict[str, Any]:
        return self._request(
            "GET", f"/companion/sessions/{session_id}", "reading a session", params={"user": user}
        )

    def memories(self, user: str, character_id: str | None) -> list[dict[str, Any]]:
        params = {"user": user, **({"character_id": character_id} if character_id else {})}
        listing = self._request("GET", "/companion/memories", "listing memories", params=params)
        return list(listing["data"])

    def delete_user(self, user: str) -> None:
        self._request("DELETE", f"/companion/users/{user}", f"deleting end user {user!r}")

    def send(
        self, session_id: str, user: str, content: str, params: GenerationParams
    ) -> StreamedTurn:
        """Send one user message and read the streamed reply to its end."""
        body = {
            "user": user,
            "content": content,
            "stream": True,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
        }
        what = f"a turn of session {session_id}"
        started = time.perf_counter()
        first: float | None = None
        done: dict[str, Any] | None = None
        try:
            with self._http.stream(
                "POST", f"/companion/sessions/{session_id}/messages", json=body
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise EvalError(
                        f"{what} failed ({response.status_code}): {_error_text(response)}"
                    )
                for payload in _sse_payloads(response.iter_lines()):
                    if payload == "[DONE]":
                        break
                    event = json.loads(payload)
                    kind = event.get("type")
                    if kind == "delta" and first is None and event.get("content"):
                        first = time.perf_counter()
                    elif kind == "turn.done":
                        done = event
                    elif kind == "error":
                        raise EvalError(f"{what} failed midway: {event['error']['message']}")
        except httpx.HTTPError as exc:
            raise EvalError(f"{what} failed: {exc}") from exc
        total = time.perf_counter() - started
        if done is None:
            raise EvalError(f"{what} ended without a turn.done event")
        return StreamedTurn(done, None if first is None else first - started, total)
