"""An OpenAI-compatible upstream that answers instantly, for measuring proxy overhead.

A bare ASGI app (no framework) so that its own latency is as small as possible; the benchmark
measures it directly and subtracts it from what the proxies add. Run it as a separate process:

    python bench/fake_upstream.py --port 9100
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REPLY_PIECES = ("Hello", " from", " the", " fake", " upstream.")
JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


def _usage(request: dict[str, Any]) -> dict[str, Any]:
    words = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
    completion = len(REPLY_PIECES)
    return {
        "prompt_tokens": words,
        "completion_tokens": completion,
        "total_tokens": words + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
    }


def completion_body(request: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(REPLY_PIECES)},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(request),
        }
    ).encode()


def stream_body(request: dict[str, Any]) -> bytes:
    """The whole SSE stream at once: role, content pieces, finish, usage (if asked), [DONE]."""
    base = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
    }
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": piece} for piece in REPLY_PIECES]
    events = [
        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        for delta in deltas
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if (request.get("stream_options") or {}).get("include_usage"):
        events.append({**base, "choices": [], "usage": _usage(request)})
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, headers: list[Any], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path.endswith("/chat/completions") and scope["method"] == "POST":
        request = json.loads(await _read_body(receive) or b"{}")
        if request.get("stream"):
            await _respond(send, 200, SSE_HEADERS, stream_body(request))
        else:
            await _respond(send, 200, JSON_HEADERS, completion_body(request))
    elif path.endswith("/models"):
        models = {"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "x"}]}
        await _respond(send, 200, JSON_HEADERS, json.dumps(models).encode())
    else:
        await _respond(send, 404, JSON_HEADERS, b'{"error":{"message":"not found"}}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
