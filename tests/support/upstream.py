"""A local OpenAI-compatible server standing in for a cloud provider (tests and benchmarks).

Behaviour is chosen by the requested model name, so one server can play a healthy upstream,
a broken one and a slow one at once:

- `echo` (and any unknown name): streams "echo: <last user message>" word by word
- `fail-500`: answers HTTP 500 with an OpenAI-style error body
- `slow`: waits `slow_s` seconds before answering anything
- `gated`: streams the first word, then waits until `gate` is set before the rest
- `midfail`: streams the first word, then an error event
- `too-long`: answers HTTP 400 with code `context_length_exceeded`
- `tool-caller`: with tools, calls one (the tool search tool first when offered, then the
  first other tool, with arguments made from the last user word); after a tool's answer,
  says "The tool said: <answer>"; without tools, echoes

Usage it reports: prompt tokens = words in all messages, cached tokens = words in system
messages, completion tokens = words streamed. Run standalone for benchmarks:
`python -m tests.support.upstream --port 9100 --token-delay 0.01`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

DEFAULT_KEY = "fake-upstream-key"


def _words(text: Any) -> list[str]:
    return str(text or "").split()


def _usage(messages: list[dict[str, Any]], completion: int) -> dict[str, Any]:
    prompt = sum(len(_words(m.get("content"))) for m in messages)
    cached = sum(len(_words(m.get("content"))) for m in messages if m.get("role") == "system")
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def reply_words(messages: list[dict[str, Any]]) -> list[str]:
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    return ["echo:", *_words(last_user.get("content"))]


class FakeUpstream:
    def __init__(
        self, api_key: str = DEFAULT_KEY, slow_s: float = 5.0, token_delay_s: float = 0.0
    ) -> None:
        self.api_key = api_key
        self.slow_s = slow_s
        self.token_delay_s = token_delay_s
        self.gate = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self.disconnects = 0
        self.app = self._build_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            names = ["echo", "fail-500", "slow", "gated", "midfail", "too-long"]
            return {"object": "list", "data": [{"id": n, "object": "model"} for n in names]}

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            body = await request.json()
            self.requests.append(
                {"body": body, "authorization": request.headers.get("authorization")}
            )
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return _error(401, "Incorrect API key provided to the fake upstream.")
            model = body.get("model", "echo")
            if model == "fail-500":
                return _error(500, "The fake upstream is broken on purpose.")
            if model == "too-long":
                return _error(
                    400,
                    "This model's maximum context length is 8 tokens.",
                    code="context_length_exceeded",
                )
            if model == "slow":
                await asyncio.sleep(self.slow_s)
            words = reply_words(body.get("messages", []))
            if model == "tool-caller":
                call = tool_call_for(body)
                if call is not None:
                    return _tool_call_answer(model, body, call)
                words = tool_reply_words(body.get("messages", []))
            if not body.get("stream"):
                return JSONResponse(_completion(model, body["messages"], words))
            return StreamingResponse(
                self._stream(request, model, body, words), media_type="text/event-stream"
            )

        return app

    async def _stream(
        self, request: Request, model: str, body: dict[str, Any], words: list[str]
    ) -> AsyncIterator[str]:
        completion_id = f"chatcmpl-fake-{uuid.uuid4().hex[:12]}"
        sent = 0
        try:
            for index, word in enumerate(words):
                if index == 1 and model == "gated":
                    while not self.gate.is_set():
                        await asyncio.sleep(0.01)
                if index == 1 and model == "midfail":
                    yield _sse(
                        {
                            "error": {
                                "message": "The fake upstream died mid-answer.",
                                "type": "server_error",
                            }
                        }
                    )
                    return
                text = word if index == 0 else f" {word}"
                delta = {"role": "assistant", "content": text} if index == 0 else {"content": text}
                yield _sse(_chunk(completion_id, model, delta, None))
                sent += 1
                if self.token_delay_s:
                    await asyncio.sleep(self.token_delay_s)
            yield _sse(_chunk(completion_id, model, {}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage_chunk = _chunk(completion_id, model, None, None)
                usage_chunk["usage"] = _usage(body["messages"], sent)
                yield _sse(usage_chunk)
            yield "data: [DONE]\n\n"
        except asyncio.CancelledError:
            self.disconnects += 1
            raise

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound_port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake upstream did not start")
            time.sleep(0.01)
        self.base_url = f"http://{host}:{bound_port}/v1"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


SEARCH_PREFIX = "tool_search_tool"


def _arguments(tool: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    word = (_words(last_user.get("content")) or ["nothing"])[-1].strip("?!.,")
    if tool["function"]["name"].startswith(SEARCH_PREFIX):  # a search reads the whole request
        word = str(last_user.get("content") or "")
    samples = {"string": word, "integer": 1, "number": 1, "boolean": True}
    properties = (tool["function"].get("parameters") or {}).get("properties") or {}
    return json.dumps({k: samples.get(v.get("type"), word) for k, v in properties.items()})


def tool_call_for(body: dict[str, Any]) -> dict[str, Any] | None:
    """The call `tool-caller` makes for this request, or None when it answers in words."""
    tools = body.get("tools") or []
    messages = body.get("messages", [])
    if not tools or body.get("tool_choice") == "none":
        return None
    last = messages[-1] if messages else {}
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        named = choice["function"]["name"]
        tool = next(t for t in tools if t["function"]["name"] == named)
    elif last.get("role") == "tool":
        searched = any(
            c["function"]["name"].startswith(SEARCH_PREFIX)
            for m in messages
            if m.get("role") == "assistant"
            for c in m.get("tool_calls") or []
        )
        others = [t for t in tools if not t["function"]["name"].startswith(SEARCH_PREFIX)]
        called = {
            c["function"]["name"]
            for m in messages
            if m.get("role") == "assistant"
            for c in m.get("tool_calls") or []
        }
        fresh = [t for t in others if t["function"]["name"] not in called]
        if not (searched and fresh):
            return None
        tool = fresh[0]
    else:
        search = [t for t in tools if t["function"]["name"].startswith(SEARCH_PREFIX)]
        tool = (search or tools)[0]
    return {
        "id": f"call_{uuid.uuid4().hex[:12]}",
        "type": "function",
        "function": {"name": tool["function"]["name"], "arguments": _arguments(tool, messages)},
    }


def tool_reply_words(messages: list[dict[str, Any]]) -> list[str]:
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        return ["The", "tool", "said:", *_words(last.get("content"))]
    return reply_words(messages)


def _tool_call_answer(model: str, body: dict[str, Any], call: dict[str, Any]) -> Response:
    messages = body.get("messages", [])
    if not body.get("stream"):
        completion = _completion(model, messages, [])
        completion["choices"][0]["message"] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [call],
        }
        completion["choices"][0]["finish_reason"] = "tool_calls"
        return JSONResponse(completion)

    async def events() -> AsyncIterator[str]:
        completion_id = f"chatcmpl-fake-{uuid.uuid4().hex[:12]}"
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        first = {
            **call,
            "index": 0,
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        yield _sse(_chunk(completion_id, model, {"role": "assistant", "tool_calls": [first]}, None))
        for piece in (arguments[:half], arguments[half:]):
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            yield _sse(_chunk(completion_id, model, delta, None))
        yield _sse(_chunk(completion_id, model, {}, "tool_calls"))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage_chunk = _chunk(completion_id, model, None, None)
            usage_chunk["usage"] = _usage(messages, 3)
            yield _sse(usage_chunk)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def _sse(body: dict[str, Any]) -> str:
    return f"data: {json.dumps(body)}\n\n"


def _chunk(
    completion_id: str, model: str, delta: dict[str, Any] | None, finish: str | None
) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
    }


def _completion(model: str, messages: list[dict[str, Any]], words: list[str]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": " ".join(words)},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(messages, len(words)),
    }


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    error = {
        "message": message,
        "type": "server_error" if status >= 500 else "invalid_request_error",
        "param": None,
        "code": code,
    }
    return JSONResponse({"error": error}, status_code=status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--api-key", default=DEFAULT_KEY)
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between words")
    args = parser.parse_args()
    upstream = FakeUpstream(api_key=args.api_key, token_delay_s=args.token_delay)
    upstream.gate.set()
    uvicorn.run(upstream.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
