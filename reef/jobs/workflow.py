"""A job as one DBOS workflow: each job step is a DBOS step, checkpointed when it finishes.

DBOS records every finished step's output in its system database; a workflow resumed after a
crash replays the recorded outputs and re-runs only the step that was interrupted. Progress
is a DBOS event (`progress`) the workflow and its steps overwrite as they go; cancellation
takes effect at the next step boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dbos import DBOS
from dbos._error import DBOSException, DBOSMaxStepRetriesExceeded

from reef.jobs.kinds import JobKind, Step, StepContext, get_kind, on_register
from reef.jobs.types import JobProgress

WORKFLOW_NAME = "reef.job"
PROGRESS_EVENT = "progress"
# Bumped when the workflow's step sequence changes incompatibly: only workers of the same
# version resume a crashed job (DBOS matches recovered workflows by application version).
APPLICATION_VERSION = "reef-jobs-1"


class JobStepFailed(Exception):
    """A job's step gave up; the message names the step and its last error."""


_steps: dict[tuple[str, str], Callable[..., dict[str, Any]]] = {}
_files_root: list[Path] = [Path("data") / "jobs"]


def set_files_root(root: Path) -> None:
    """Where this process's steps write result files (`<root>/<job id>/<name>`)."""
    _files_root[0] = root


def _publish(progress: JobProgress) -> None:
    DBOS.set_event(PROGRESS_EVENT, progress.to_dict())


def _as_engine_step(kind: JobKind, step: Step) -> Callable[..., dict[str, Any]]:
    def run(
        job_id: str, org_id: int, params: dict[str, Any], outputs: dict[str, Any], index: int
    ) -> dict[str, Any]:
        total = len(kind.steps)

        def report(fraction: float, message: str) -> None:
            percent = 100.0 * (index + fraction) / total
            _publish(JobProgress(percent, step.name, message, index + 1, total))

        context = StepContext(
            job_id, org_id, params, dict(outputs), _files_root[0] / job_id, report
        )
        value = step.run(context)
        return {"output": value, "files": [f.to_dict() for f in context.files]}

    run.__qualname__ = run.__name__ = f"{kind.name}:{step.name}"
    return DBOS.step(
        name=f"{kind.name}:{step.name}",
        retries_allowed=step.attempts > 1,
        max_attempts=max(step.attempts, 1),
        interval_seconds=step.backoff_s,
        backoff_rate=2.0,
    )(run)


def _bind(kind: JobKind) -> None:
    for step in kind.steps:
        _steps[(kind.name, step.name)] = _as_engine_step(kind, step)


on_register(_bind)


@DBOS.workflow(name=WORKFLOW_NAME)
def run_job(kind_name: str, org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """Run the kind's steps in order; the result names every file the steps wrote."""
    kind = get_kind(kind_name)
    job_id = DBOS.workflow_id
    assert job_id is not None
    total = len(kind.steps)
    outputs: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    for index, step in enumerate(kind.steps):
        _publish(JobProgress(100.0 * index / total, step.name, "", index + 1, total))
        try:
            done = _steps[(kind.name, step.name)](job_id, org_id, params, outputs, index)
        except DBOSMaxStepRetriesExceeded as exc:
            last = exc.errors[-1] if exc.errors else exc
            raise JobStepFailed(
                f"step {step.name!r} failed {step.attempts} times: {last}"
            ) from None
        except DBOSException:
            raise  # cancellation and the engine's own errors pass through untouched
        except Exception as exc:
            raise JobStepFailed(f"step {step.name!r} failed: {exc}") from None
        outputs[step.name] = done["output"]
        files.extend(done["files"])
    _publish(JobProgress(100.0, "done", "", total, total))
    return {"outputs": outputs, "files": files}
