"""Which job workers are alive, so a live one can take over the jobs of a dead one.

DBOS resumes a crashed process's workflows only when a process with the same executor id
starts again (or a paid control plane tells another to). Reef gives each process its own id
and a lock it holds for its lifetime: a PostgreSQL session advisory lock (released by the
server the moment the process's connection dies), or, on one machine with SQLite, an
exclusive `flock` on a file (released by the kernel when the process dies). A lock anyone
can take belongs to a dead worker. (A live worker that loses its database connection loses
its lock too; DBOS then parks the older of the two executions at its next checkpoint.)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, text

from reef.store.db import make_engine


class Liveness(Protocol):
    def hold(self, executor_id: str) -> None: ...

    def is_dead(self, executor_id: str) -> bool: ...

    def close(self) -> None: ...


def _lock_key(executor_id: str) -> int:
    return int.from_bytes(hashlib.sha256(executor_id.encode()).digest()[:8], "big", signed=True)


class PostgresLiveness:
    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)
        self._held: Connection | None = None

    def hold(self, executor_id: str) -> None:
        self._held = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._held.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(executor_id)})

    def is_dead(self, executor_id: str) -> bool:
        key = _lock_key(executor_id)
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            taken = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            if taken:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            return taken

    def close(self) -> None:
        if self._held is not None:
            with contextlib.suppress(Exception):
                self._held.close()
        self._engine.dispose()


class FileLiveness:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._held: Any = None

    def _path(self, executor_id: str) -> Path:
        return self._dir / f"{hashlib.sha256(executor_id.encode()).hexdigest()[:24]}.lock"

    def hold(self, executor_id: str) -> None:
        self._held = self._path(executor_id).open("a+")
        fcntl.flock(self._held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def is_dead(self, executor_id: str) -> bool:
        path = self._path(executor_id)
        try:
            handle = path.open("a+")
        except OSError:
            return True
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            with contextlib.suppress(OSError):
                os.unlink(path)
            return True

    def close(self) -> None:
        if self._held is not None:
            self._held.close()
