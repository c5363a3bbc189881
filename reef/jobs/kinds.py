"""Job kinds: a named list of steps a product registers once, at import time.

A kind is registered before the runtime starts in every process that may run it (servers and
`reef worker`s import the modules in `settings.jobs.modules`), because a worker resuming a
crashed job must find the same steps under the same names.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reef.errors import InvalidRequest
from reef.jobs.types import JobFile


@dataclass
class StepContext:
    """What a running step sees: its job, the job's input, earlier steps' outputs, and ways to
    report progress and write result files."""

    job_id: str
    org_id: int
    params: dict[str, Any]
    outputs: dict[str, Any]
    files_dir: Path
    report: Callable[[float, str], None]
    files: list[JobFile] = field(default_factory=list)

    def progress(self, fraction: float, message: str = "") -> None:
        """How far this step is (0..1), shown as part of the job's overall percent."""
        self.report(min(max(fraction, 0.0), 1.0), message)

    def write_file(self, name: str, data: bytes) -> JobFile:
        """Write a result file atomically (a re-run step replaces it, never half-writes it)."""
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"bad result file name {name!r}")
        self.files_dir.mkdir(parents=True, exist_ok=True)
        target = self.files_dir / name
        fd, temporary = tempfile.mkstemp(dir=self.files_dir, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
        made = JobFile(name, str(target), len(data))
        self.files.append(made)
        return made


StepFunction = Callable[[StepContext], Any]


@dataclass(frozen=True)
class Step:
    """One checkpointed unit of a job. Its return value (JSON-able) is stored when it
    finishes; after a crash the job resumes after the last finished step, re-running the one
    that was interrupted, so a step's visible effects must be idempotent (`write_file` is).
    `attempts` > 1 retries a failing step, waiting `backoff_s`, then twice that, and so on."""

    name: str
    run: StepFunction
    attempts: int = 1
    backoff_s: float = 1.0


@dataclass(frozen=True)
class JobKind:
    name: str
    steps: tuple[Step, ...]
    description: str = ""


_KINDS: dict[str, JobKind] = {}
_on_register: list[Callable[[JobKind], None]] = []


def register_kind(kind: JobKind) -> JobKind:
    """Make `kind` runnable; registering the same name twice is a programming error."""
    if not kind.steps:
        raise ValueError(f"job kind {kind.name!r} has no steps")
    names = [s.name for s in kind.steps]
    if len(set(names)) != len(names):
        raise ValueError(f"job kind {kind.name!r} repeats a step name")
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"job kind {kind.name!r} is already registered")
    if kind.name not in _KINDS:
        _KINDS[kind.name] = kind
        for hook in _on_register:
            hook(kind)
    return kind


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise InvalidRequest(f"unknown job kind {name!r}", param="kind") from None


def all_kinds() -> list[JobKind]:
    return list(_KINDS.values())


def on_register(hook: Callable[[JobKind], None]) -> None:
    """Call `hook` for every kind registered so far and from now on (the engine binding)."""
    _on_register.append(hook)
    for kind in list(_KINDS.values()):
        hook(kind)
