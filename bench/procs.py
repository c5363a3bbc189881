"""Child processes for the servers under test, and the guarantee that they all stop.

Each server runs in its own session (process group) so that stopping it also stops anything it
spawned (uvicorn workers, LiteLLM's helpers). Only groups started here are ever signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

STOP_GRACE_S = 15.0


def log(message: str) -> None:
    """Progress line on stderr, so stdout carries only the result tables."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


class ServerFailed(RuntimeError):
    """A server under test exited, never became ready or answered wrongly; the benchmark stops
    (and stops every server) with this message."""


@dataclass
class ServerProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the server's own process group, then SIGKILL it after a grace period."""
        if not self.alive():
            return
        log(f"stopping {self.name} (pid {self.popen.pid})")
        self._signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.popen.wait(timeout=STOP_GRACE_S)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    async def wait_http(self, url: str, timeout_s: float = 180.0) -> None:
        """Poll `url` until the server answers HTTP at all (any status below 500)."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise ServerFailed(f"{self.name} exited early:\n{self.log_tail()}")
                try:
                    response = await client.get(url)
                    if response.status_code < 500:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.5)
        raise ServerFailed(f"{self.name} not ready after {timeout_s:.0f}s:\n{self.log_tail()}")


def raise_priority(pid: int, nice: int) -> None:
    """Give `pid` (0: this process) scheduling priority `nice`. Linux shares CPU time between
    sessions first ("autogroups"), so the session's group gets the same nice value; a process
    nice value alone would only rank it within its own session."""
    os.setpriority(os.PRIO_PROCESS, pid, nice)
    autogroup = Path(f"/proc/{pid or 'self'}/autogroup")
    with contextlib.suppress(OSError):
        autogroup.write_text(f"{nice}\n")


class ProcessSupervisor:
    """Owns every process the benchmark starts; leaving the `with` block stops them all."""

    def __init__(self, log_dir: Path, nice: int | None = None) -> None:
        self.log_dir = log_dir
        self.nice = nice
        self.processes: list[ServerProcess] = []
        if nice is not None:
            raise_priority(0, nice)

    def start(
        self,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ServerProcess:
        """Start `command` with `env` on top of this environment minus any inherited REEF_*
        settings, so a developer's own configuration cannot leak into a measurement."""
        log_path = self.log_dir / f"{name}.log"
        full_env = child_env(env)
        log(f"starting {name}: {' '.join(command)}")
        with log_path.open("wb") as sink:
            popen = subprocess.Popen(
                list(command),
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=full_env,
                cwd=cwd,
                start_new_session=True,
            )
        if self.nice is not None:
            raise_priority(popen.pid, self.nice)
        process = ServerProcess(name=name, popen=popen, log_path=log_path)
        self.processes.append(process)
        return process

    def process_groups(self) -> set[int]:
        """The benchmark's own group and those of its running servers (for CPU accounting)."""
        return {os.getpgrp(), *(p.popen.pid for p in self.processes if p.alive())}

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def __enter__(self) -> ProcessSupervisor:
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into the same unwinding as Ctrl-C, so `finally` blocks stop the servers."""
    raise KeyboardInterrupt(f"signal {signum}")


def child_env(overrides: Mapping[str, str] | None) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("REEF_")}
    return {**inherited, **(overrides or {})}


def run_command(
    command: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> str:
    """Run a short helper command (e.g. `reef keys create`) and return its stdout."""
    completed = subprocess.run(
        list(command),
        env=child_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise ServerFailed(
            f"{' '.join(command)} failed ({completed.returncode}):\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    return completed.stdout
