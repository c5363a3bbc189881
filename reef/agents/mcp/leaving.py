"""A tool call's MCP client can leave mid-call (the SDK then cancels the handler). Over HTTP a
route learns that from `http.disconnect`: it stops the work and records what was done (status
499). `httpx.ASGITransport` runs the app inline, so a cancelled tool call would cancel the route
instead; this wrapper runs the app in its own task and turns the cancellation into the
disconnect the route knows, then waits for the route to finish its bookkeeping."""

from __future__ import annotations

import asyncio

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DISCONNECT: Message = {"type": "http.disconnect"}


class LeavesWithItsCaller:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        left = anyio.Event()

        async def receive_unless_left() -> Message:
            message = DISCONNECT
            async with anyio.create_task_group() as race:

                async def take() -> None:
                    nonlocal message
                    message = await receive()
                    race.cancel_scope.cancel()

                async def leave() -> None:
                    await left.wait()
                    race.cancel_scope.cancel()

                race.start_soon(take)
                race.start_soon(leave)
            return message

        task = asyncio.ensure_future(self.app(scope, receive_unless_left, send))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            left.set()
            with anyio.CancelScope(shield=True):
                await asyncio.wait({task})
            raise
