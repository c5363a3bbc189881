"""Job kinds the job tests run, in-process and in `reef worker` subprocesses (imported through
`REEF_JOBS__MODULES`). Steps leave visible traces in a log file so tests can tell which ran,
how often, and in which process."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from reef.jobs import JobKind, Step, StepContext, register_kind


def _trace(ctx: StepContext, line: str) -> None:
    with Path(ctx.params["log"]).open("a") as out:
        out.write(f"{ctx.job_id} {line} {os.getpid()} {time.time():.3f}\n")
        out.flush()
        os.fsync(out.fileno())


def _stage(name: str) -> Any:
    def run(ctx: StepContext) -> dict[str, Any]:
        _trace(ctx, f"start {name}")
        pause = float(ctx.params.get("step_s", 0.0))
        for tick in range(4):
            time.sleep(pause / 4)
            ctx.progress((tick + 1) / 4, f"{name} {tick + 1}/4")
        made = ctx.write_file(f"{name}.txt", f"{name} of {ctx.job_id}".encode())
        _trace(ctx, f"done {name}")
        return {"stage": name, "seen": sorted(ctx.outputs), "bytes": made.bytes}

    return run


def _flaky(ctx: StepContext) -> str:
    """Fails its first `fail_times` attempts (counted in the log), then succeeds."""
    _trace(ctx, "attempt flaky")
    attempts = Path(ctx.params["log"]).read_text().count(f"{ctx.job_id} attempt flaky")
    if attempts <= int(ctx.params.get("fail_times", 0)):
        raise RuntimeError(f"flaky attempt {attempts} failed")
    return f"ok after {attempts}"


PIPELINE = register_kind(
    JobKind(
        "test.pipeline",
        tuple(Step(name, _stage(name)) for name in ("fetch", "render", "encode", "publish")),
        "four traced steps, each writing one result file",
    )
)
FLAKY = register_kind(
    JobKind("test.flaky", (Step("flaky", _flaky, attempts=3, backoff_s=0.2),), "retried step")
)
