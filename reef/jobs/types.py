"""Values the job runtime hands out: a job as seen by its organisation, its progress, its files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


# The engine's workflow states, as a job's status.
ENGINE_STATUS = {
    "ENQUEUED": JobStatus.QUEUED,
    "DELAYED": JobStatus.QUEUED,
    "PENDING": JobStatus.RUNNING,
    "SUCCESS": JobStatus.SUCCEEDED,
    "ERROR": JobStatus.FAILED,
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": JobStatus.FAILED,
    "CANCELLED": JobStatus.CANCELLED,
}


@dataclass(frozen=True)
class JobProgress:
    """Where a job is: overall percent, the step running (`stage`), and that step's message."""

    percent: float = 0.0
    stage: str = ""
    message: str = ""
    step: int = 0
    steps: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": round(self.percent, 1),
            "stage": self.stage,
            "message": self.message,
            "step": self.step,
            "steps": self.steps,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> JobProgress:
        if not raw:
            return cls()
        return cls(
            float(raw.get("percent", 0.0)),
            str(raw.get("stage", "")),
            str(raw.get("message", "")),
            int(raw.get("step", 0)),
            int(raw.get("steps", 0)),
        )


@dataclass(frozen=True)
class JobFile:
    """A result file a step wrote: jobs return references, never the bytes."""

    name: str
    path: str
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "bytes": self.bytes}


@dataclass(frozen=True)
class JobInfo:
    id: str
    org_id: int
    kind: str
    status: JobStatus
    progress: JobProgress
    created_at: datetime | None
    updated_at: datetime | None
    worker: str | None = None
    error: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    files: list[JobFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org_id": self.org_id,
            "kind": self.kind,
            "status": self.status.value,
            "progress": self.progress.to_dict(),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "worker": self.worker,
            "error": self.error,
            "outputs": self.outputs,
            "files": [f.to_dict() for f in self.files],
        }
