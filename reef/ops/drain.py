"""Graceful shutdown: on SIGTERM/SIGINT the app is marked draining (`/readyz` answers 503) and
uvicorn stops accepting connections, then gives in-flight requests, streams included,
`shutdown_grace_s` to finish before cancelling them (a cancelled stream is metered as aborted)."""

from __future__ import annotations

from types import FrameType

import uvicorn
from fastapi import FastAPI


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app
        app.state.draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._app.state.draining = True
        super().handle_exit(sig, frame)
