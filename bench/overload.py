"""Overload: Reef at 10x its engine's capacity answers the excess quickly with 429/503 and
Retry-After, keeps memory bounded, and serves normally again once the load drops.

Phases against one `reef serve` (default settings, the bundled model, `--threads` engine threads):
1. capacity: closed loop, `--concurrency` clients back to back -> completions/s the engine serves;
2. overload: open loop at `--factor` x capacity (requests sent on a fixed schedule whatever
   the answers) for `--seconds`;
3. recovery: open loop at half the capacity for `--seconds`.
The server's resident memory is sampled all along. Results: docs/benchmarks/overload.{md,json}.

    .venv/bin/python bench/overload.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe
from model_vocab import bundled_model_path
from procs import ProcessSupervisor, log
from servers import CHAT_MODEL, start_reef
from stats import percentile

REPO = Path(__file__).resolve().parents[1]
MAX_TOKENS = 16
CLIENT_TIMEOUT_S = 300.0


@dataclass
class Sample:
    sent_at: float
    status: int
    latency_s: float
    retry_after: str | None


@dataclass
class Phase:
    name: str
    offered_per_s: float
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    rss_peak_mib: float = 0.0

    def summary(self) -> dict[str, Any]:
        ok = [s for s in self.samples if s.status == 200]
        rejected = [s for s in self.samples if s.status in (429, 503)]
        other = [s for s in self.samples if s.status not in (200, 429, 503)]
        return {
            "phase": self.name,
            "offered_per_s": round(self.offered_per_s, 2),
            "sent": len(self.samples),
            "served": len(ok),
            "served_per_s": round(len(ok) / self.seconds, 2),
            "rejected": len(rejected),
            "rejected_by_status": {
                str(code): sum(1 for s in rejected if s.status == code) for code in (429, 503)
            },
            "rejected_with_retry_after": sum(1 for s in rejected if s.retry_after),
            "other_errors": len(other),
            "other_statuses": sorted({f"{s.status} {s.retry_after or ''}".strip() for s in other}),
            "served_p50_ms": _ms(percentile([s.latency_s for s in ok], 50)),
            "served_p99_ms": _ms(percentile([s.latency_s for s in ok], 99)),
            "rejected_p50_ms": _ms(percentile([s.latency_s for s in rejected], 50)),
            "rejected_p99_ms": _ms(percentile([s.latency_s for s in rejected], 99)),
            "rss_peak_mib": round(self.rss_peak_mib, 1),
        }


def _ms(value: float) -> float | None:
    return None if math.isnan(value) else round(value * 1000, 1)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _one(client: httpx.AsyncClient, index: int) -> Sample:
    body = {
        "model": CHAT_MODEL,
        "messages": [{"role": "user", "content": f"Say something about the number {index}."}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }
    started = time.perf_counter()
    try:
        response = await client.post("/chat/completions", json=body)
        status, retry = response.status_code, response.headers.get("retry-after")
    except httpx.HTTPError as exc:
        status, retry = -1, type(exc).__name__
    return Sample(started, status, time.perf_counter() - started, retry)


async def _watch_rss(pid: int, phase: Phase, stop: asyncio.Event) -> None:
    while not stop.is_set():
        phase.rss_peak_mib = max(phase.rss_peak_mib, _rss_mib(pid))
        await asyncio.sleep(0.2)


async def closed_loop(client: httpx.AsyncClient, pid: int, clients: int, seconds: float) -> Phase:
    phase = Phase("capacity", 0.0, seconds)
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch_rss(pid, phase, stop))
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        while time.perf_counter() < deadline:
            phase.samples.append(await _one(client, next(counter)))

    await asyncio.gather(*(worker() for _ in range(clients)))
    stop.set()
    await watcher
    phase.offered_per_s = len(phase.samples) / seconds
    return phase


async def open_loop(
    client: httpx.AsyncClient, pid: int, name: str, rate: float, seconds: float
) -> Phase:
    """Send `rate` requests/s on a fixed schedule for `seconds`, then wait for the answers."""
    phase = Phase(name, rate, seconds)
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch_rss(pid, phase, stop))
    total = int(rate * seconds)
    start = time.perf_counter()
    tasks = []
    for index in range(total):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(client, index)))
    phase.samples = list(await asyncio.gather(*tasks))
    stop.set()
    await watcher
    return phase


def render(results: dict[str, Any]) -> str:
    machine = results["machine"]
    dirty = " (uncommitted changes)" if machine.get("git_dirty") else ""
    lines = [
        "# Overload benchmark",
        "",
        f"Generated by `bench/overload.py` on {results['date']}. Commit "
        f"{machine.get('git_commit')}{dirty}.",
        "",
        f"Machine: {machine.get('cpu_model')} ({machine.get('usable_cpus')} usable cores), "
        f"{machine.get('ram_gib')} GiB RAM; load average before "
        f"the run: {results['load_before']}. Reef with default settings (engine: "
        f"`n_seq_max` 16, `max_queue` 64), the bundled SmolLM2-135M, "
        f"{results['config']['threads']} engine thread(s); "
        f"non-streamed chat completions with `max_tokens` {MAX_TOKENS}.",
        "",
        "| phase | offered req/s | sent | served | served req/s | rejected (429/503) | "
        "with Retry-After | other errors | served p50/p99 ms | rejected p50/p99 ms | "
        "server RSS peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in results["phases"]:
        lines.append(
            f"| {p['phase']} | {p['offered_per_s']} | {p['sent']} | {p['served']} | "
            f"{p['served_per_s']} | {p['rejected']} ({p['rejected_by_status']['429']}/"
            f"{p['rejected_by_status']['503']}) | {p['rejected_with_retry_after']} | "
            f"{p['other_errors']} | {p['served_p50_ms']}/{p['served_p99_ms']} | "
            f"{p['rejected_p50_ms']}/{p['rejected_p99_ms']} | {p['rss_peak_mib']} |"
        )
    lines += ["", *results["notes"], ""]
    return "\n".join(lines)


async def run(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    with ProcessSupervisor(work_dir, nice=None) as supervisor:
        reef = await start_reef(supervisor, work_dir, args.threads, None, name="reef-overload")
        pid = reef.process.popen.pid
        limits = httpx.Limits(max_connections=4000, max_keepalive_connections=200)
        async with httpx.AsyncClient(
            base_url=reef.endpoint.base_url,
            headers={"authorization": f"Bearer {reef.endpoint.api_key}"},
            timeout=CLIENT_TIMEOUT_S,
            limits=limits,
        ) as client:
            await closed_loop(client, pid, 4, 3)  # warm-up: weights loaded, caches filled
            log("capacity")
            capacity = await closed_loop(client, pid, args.concurrency, args.seconds)
            served_per_s = capacity.summary()["served_per_s"]
            log(f"capacity {served_per_s} req/s; overload at {args.factor}x")
            overload = await open_loop(
                client, pid, "overload", served_per_s * args.factor, args.seconds
            )
            log("recovery")
            recovery = await open_loop(client, pid, "recovery", served_per_s / 2, args.seconds)
        reef.process.stop()
    phases = [capacity.summary(), overload.summary(), recovery.summary()]
    notes = []
    over, rec = phases[1], phases[2]
    notes.append(
        f"At {args.factor}x capacity {over['rejected']} of {over['sent']} requests were refused "
        f"(p99 {over['rejected_p99_ms']} ms), {over['rejected_with_retry_after']} of them with "
        f"Retry-After; {over['served']} were served. In recovery {rec['served']} of "
        f"{rec['sent']} were served (p99 {rec['served_p99_ms']} ms vs "
        f"{phases[0]['served_p99_ms']} ms at capacity)."
    )
    return {"phases": phases, "notes": notes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s phases, output to a temp dir")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--factor", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="engine threads; 1 on a shared 2-core machine, where llama.cpp threads that spin "
        "against other processes make every step several times slower",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.seconds = 5.0
    work_dir = Path(tempfile.mkdtemp(prefix="reef-overload-"))
    out_dir = args.out or (work_dir if args.quick else REPO / "docs" / "benchmarks")
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    results = asyncio.run(run(args, work_dir))
    results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["load_before"] = " ".join(load_before)
    results["machine"] = describe(REPO, bundled_model_path(CHAT_MODEL))
    results["config"] = {k: str(v) for k, v in vars(args).items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "overload.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = render(results)
    (out_dir / "overload.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
