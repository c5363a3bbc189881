"""A/B of two Reef checkouts as gateways in front of the instant fake upstream.

Both servers run at once and take turns, round after round (order alternating), with the
same closed-loop load, so a burst of unrelated load on a shared machine hits both alike: a
change's cost shows as the ratio of B to A rather than as noise between separate runs.

    .venv/bin/python bench/ab_gateway.py --a /path/to/base-checkout --b . \
        [--rounds 6] [--requests 400] [--concurrency 50 8 1] [--out docs/benchmarks/NAME.md]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import Endpoint, chat_body, failures, make_client, run_closed_loop
from procs import ProcessSupervisor, log
from servers import PROXY_MODEL, start_fake_upstream, start_reef
from stats import percentile

from reef.sysinfo import describe_machine

WARMUP = 50
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far: its cost, whatever else the machine
    runs (latency under contention is noisy; CPU per request is not)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _body(endpoint: Endpoint) -> Any:
    def make(index: int) -> dict[str, Any]:
        messages = [{"role": "user", "content": f"ping {index}: say hello"}]
        return chat_body(endpoint, messages, max_tokens=16)

    return make


async def run(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    samples: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], float] = {}
    pids: dict[str, int] = {}
    walls: dict[tuple[str, int], float] = {}
    errors: dict[str, list[str]] = {}
    with ProcessSupervisor(work_dir, nice=None) as supervisor:
        fake = await start_fake_upstream(supervisor)
        targets: dict[str, Endpoint] = {"direct": fake.endpoint}
        pids["direct"] = fake.process.popen.pid
        for label, checkout in (("A", args.a), ("B", args.b)):
            reef = await start_reef(
                supervisor,
                work_dir,
                2,
                fake.endpoint.base_url,
                name=f"reef-{label}",
                extra_env={"PYTHONPATH": str(Path(checkout).resolve())},
            )
            targets[label] = dataclasses.replace(reef.endpoint, model=PROXY_MODEL)
            pids[label] = reef.process.popen.pid
        for concurrency in args.concurrency:
            async with make_client(concurrency) as client:
                for endpoint in targets.values():
                    await run_closed_loop(
                        endpoint, _body(endpoint), concurrency, WARMUP, False, client
                    )
                for round_index in range(args.rounds):
                    order = list(targets) if round_index % 2 == 0 else list(reversed(targets))
                    for name in order:
                        endpoint = targets[name]
                        key = (name, concurrency)
                        before = _cpu_s(pids[name])
                        results, wall = await run_closed_loop(
                            endpoint, _body(endpoint), concurrency, args.requests, False, client
                        )
                        cpu[key] = cpu.get(key, 0.0) + _cpu_s(pids[name]) - before
                        samples.setdefault(key, []).extend(r.total_s for r in results if r.ok)
                        walls[key] = walls.get(key, 0.0) + wall
                        errors.setdefault(name, []).extend(failures(results))
                    log(f"concurrency {concurrency}: round {round_index + 1}/{args.rounds}")
    rows = []
    for (name, concurrency), values in sorted(samples.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rows.append(
            {
                "target": name,
                "concurrency": concurrency,
                "requests": len(values),
                "p50_ms": round(percentile(values, 50) * 1000, 2),
                "p99_ms": round(percentile(values, 99) * 1000, 2),
                "mean_ms": round(sum(values) / len(values) * 1000, 2),
                "req_per_s": round(len(values) / walls[(name, concurrency)], 1),
                "server_cpu_ms_per_request": round(
                    cpu[(name, concurrency)] / len(values) * 1000, 3
                ),
            }
        )
    return {"rows": rows, "errors": {k: v[:3] for k, v in errors.items()}}


def render(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        f"A = `{args.a_label}`, B = `{args.b_label}`; {args.rounds} interleaved rounds of "
        f"{args.requests} non-streamed requests per target and concurrency; load average before: "
        f"{results['load_before']}; {results['date']}.",
        "",
        "| concurrency | target | p50 ms | p99 ms | mean ms | req/s | server CPU ms/request |",
        "|---|---|---|---|---|---|---|",
    ]
    by_key = {(r["target"], r["concurrency"]): r for r in results["rows"]}
    for r in results["rows"]:
        lines.append(
            f"| {r['concurrency']} | {r['target']} | {r['p50_ms']} | {r['p99_ms']} | "
            f"{r['mean_ms']} | {r['req_per_s']} | {r['server_cpu_ms_per_request']} |"
        )
    lines += [
        "",
        "| concurrency | B/A p50 | B/A p99 | B/A req/s | B-A added p50 ms | B/A CPU per request |",
        "|---|---|---|---|---|---|",
    ]
    for concurrency in args.concurrency:
        a, b = by_key[("A", concurrency)], by_key[("B", concurrency)]
        p50, p99 = b["p50_ms"] / a["p50_ms"], b["p99_ms"] / a["p99_ms"]
        rate = b["req_per_s"] / a["req_per_s"]
        added = b["p50_ms"] - a["p50_ms"]
        cost = b["server_cpu_ms_per_request"] / a["server_cpu_ms_per_request"]
        lines.append(
            f"| {concurrency} | {p50:.3f} | {p99:.3f} | {rate:.3f} | {added:.2f} | {cost:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--a", required=True, help="checkout of the baseline")
    parser.add_argument("--b", required=True, help="checkout of the change")
    parser.add_argument("--a-label", default="A")
    parser.add_argument("--b-label", default="B")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 8, 1])
    parser.add_argument("--out", type=Path, default=None, help="also write markdown + json here")
    args = parser.parse_args()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    results = asyncio.run(run(args, Path(tempfile.mkdtemp(prefix="reef-ab-"))))
    results["load_before"] = load_before
    results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["machine"] = describe_machine()
    markdown = render(results, args)
    print(markdown)
    if args.out:
        args.out.write_text(markdown)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
