"""A Server-Sent Events response that notices a client leaving and stops the producer at once.

The producer is an async generator whose `finally` does the bookkeeping (closing the engine
stream, metering). This response always closes it explicitly, shielded from cancellation, so
that bookkeeping runs exactly once, right away, however the response ends.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def sse_event(data: str) -> str:
    return f"data: {data}\n\n"


class EventStreamResponse(StreamingResponse):
    """Starlette's streaming response with our own send loop (see the module docstring)."""

    def __init__(self, events: AsyncGenerator[str, None], headers: dict[str, str] | None = None):
        super().__init__(
            events, headers={**SSE_HEADERS, **(headers or {})}, media_type="text/event-stream"
        )
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:

            async def cancel_on_disconnect() -> None:
                while True:
                    message: Message = await receive()
                    if message["type"] == "http.disconnect":
                        group.cancel_scope.cancel()
                        return

            group.start_soon(cancel_on_disconnect)
            try:
                await send(
                    {
                        "type": "http.response.start",
                        "status": self.status_code,
                        "headers": self.raw_headers,
                    }
                )
                async for event in self.events:
                    await send(
                        {"type": "http.response.body", "body": event.encode(), "more_body": True}
                    )
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass  # the server reports a vanished client this way (ASGI spec 2.4)
            finally:
                with anyio.CancelScope(shield=True):
                    await self.events.aclose()
                group.cancel_scope.cancel()
