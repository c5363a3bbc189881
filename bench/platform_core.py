"""Platform-core benchmark: Reef against llama-cpp-python's server and LiteLLM's proxy.

    .venv/bin/python bench/platform_core.py            # full run, writes docs/benchmarks/
    .venv/bin/python bench/platform_core.py --quick    # smoke test, writes to a temp dir

Needs `scripts/bench-setup.sh` once (the comparison servers live in .venv-bench). Every server
runs on 127.0.0.1, is started and stopped here, and the two chat servers never run together.
See bench/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

from cpu_meter import CpuMeter, wait_for_quiet  # noqa: E402
from loadgen import Endpoint  # noqa: E402
from machine import describe  # noqa: E402
from model_vocab import ModelVocab, bundled_model_path  # noqa: E402
from procs import ProcessSupervisor, ServerFailed, log  # noqa: E402
from report import (  # noqa: E402
    DIRECT,
    LITELLM,
    LLAMA,
    REEF,
    evaluate_targets,
    failure_notes,
    render_markdown,
)
from scenario_overhead import gateway_comparison, overhead_vs_direct  # noqa: E402
from scenario_prefix import build_system_prompt, prefix_cache_trials  # noqa: E402
from scenario_throughput import throughput_sweep  # noqa: E402
from servers import (  # noqa: E402
    CHAT_MODEL,
    PROXY_MODEL,
    start_fake_upstream,
    start_litellm,
    start_llama_cpp_server,
    start_reef,
)

SERVER_CHOICES = ("reef", "llama_cpp", "litellm")


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    levels: list[int]
    requests_per_stream: int
    max_tokens: int
    prefix_target_tokens: int
    prefix_trials: int
    prefix_max_tokens: int
    gateway_requests: int
    gateway_concurrency: int
    gateway_warmup: int
    gateway_rounds: int
    threads: int
    llama_n_ctx: int
    llama_n_batch: int
    quiet_wait_s: float
    quiet_max_foreign_cores: float


FULL = BenchConfig(
    levels=[1, 4, 8, 16],
    requests_per_stream=3,
    max_tokens=128,
    prefix_target_tokens=1500,
    prefix_trials=3,
    prefix_max_tokens=8,
    gateway_requests=1000,
    gateway_concurrency=50,
    gateway_warmup=100,
    gateway_rounds=4,
    threads=2,
    llama_n_ctx=4096,
    llama_n_batch=1024,
    quiet_wait_s=600,
    quiet_max_foreign_cores=0.3,
)
QUICK = dataclasses.replace(
    FULL,
    levels=[1, 8],
    requests_per_stream=1,
    max_tokens=32,
    prefix_trials=1,
    gateway_requests=200,
    gateway_warmup=20,
    gateway_rounds=2,
    quiet_wait_s=0,
)


class Benchmark:
    """Runs the phases in order, one chat server at a time, collecting raw results."""

    def __init__(
        self, cfg: BenchConfig, servers: set[str], work_dir: Path, supervisor: ProcessSupervisor
    ) -> None:
        self.cfg = cfg
        self.servers = servers
        self.work_dir = work_dir
        self.supervisor = supervisor
        self.model_path = bundled_model_path(CHAT_MODEL)
        vocab = ModelVocab(self.model_path)
        self.eos_bias = vocab.end_of_turn_bias()
        self.system_prompt = build_system_prompt(vocab.count, cfg.prefix_target_tokens)
        self.results: dict[str, Any] = {
            "config": dataclasses.asdict(cfg),
            "throughput": {},
            "prefix_cache": {"system_prompt_tokens": vocab.count(self.system_prompt)},
            "gateway": {},
            "cpu": {},
            "notes": [],
        }

    async def _quiet_meter(self, phase: str) -> CpuMeter:
        """Wait (bounded) for other processes to leave the CPU, then start accounting."""
        quiet = await wait_for_quiet(
            self.supervisor.process_groups,
            self.cfg.quiet_max_foreign_cores,
            self.cfg.quiet_wait_s,
        )
        self.results["cpu"][phase] = {"before": quiet}
        return CpuMeter(self.supervisor.process_groups)

    def _record_cpu(self, phase: str, meter: CpuMeter) -> None:
        during = meter.read()
        self.results["cpu"][phase]["during"] = during
        log(f"{phase}: other processes used {during['foreign_cores']} cores on average")
        if during["foreign_cores"] > self.cfg.quiet_max_foreign_cores:
            self.results["notes"].append(
                f"While measuring {phase}, processes outside the benchmark used "
                f"{during['foreign_cores']} of the CPU cores on average: its numbers are "
                "pessimistic and noisy."
            )

    async def run(self) -> dict[str, Any]:
        fake = await start_fake_upstream(self.supervisor)
        upstream = fake.endpoint.base_url
        if "reef" in self.servers:
            await self._chat_phase(REEF)
        if "llama_cpp" in self.servers:
            await self._chat_phase(LLAMA)
        await self._gateway_phase(fake.endpoint, upstream)
        fake.process.stop()
        return self.results

    async def _chat_phase(self, server: str) -> None:
        if server == REEF:
            running = await start_reef(
                self.supervisor, self.work_dir, self.cfg.threads, None, name="reef-chat"
            )
        else:
            running = await start_llama_cpp_server(
                self.supervisor,
                self.model_path,
                self.cfg.threads,
                self.cfg.llama_n_ctx,
                self.cfg.llama_n_batch,
            )
        try:
            meter = await self._quiet_meter(server)
            self.results["throughput"][server] = await throughput_sweep(
                running.endpoint,
                self.cfg.levels,
                self.cfg.requests_per_stream,
                self.cfg.max_tokens,
                self.eos_bias,
            )
            log(f"{server}: prefix cache, {self.cfg.prefix_trials} cold/warm pairs")
            self.results["prefix_cache"][server] = await prefix_cache_trials(
                running.endpoint,
                self.system_prompt,
                self.cfg.prefix_trials,
                self.cfg.prefix_max_tokens,
            )
            self._record_cpu(server, meter)
        finally:
            running.process.stop()

    async def _gateway_phase(self, direct: Endpoint, upstream: str) -> None:
        targets = {DIRECT: direct}
        running = []
        if "reef" in self.servers:
            reef = await start_reef(
                self.supervisor, self.work_dir, self.cfg.threads, upstream, name="reef-gateway"
            )
            targets[REEF] = dataclasses.replace(reef.endpoint, model=PROXY_MODEL)
            running.append(reef)
        if "litellm" in self.servers:
            litellm = await start_litellm(self.supervisor, self.work_dir, upstream)
            targets[LITELLM] = litellm.endpoint
            running.append(litellm)
        try:
            meter = await self._quiet_meter("gateway")
            summary = await gateway_comparison(
                targets,
                self.cfg.gateway_concurrency,
                self.cfg.gateway_requests,
                self.cfg.gateway_warmup,
                self.cfg.gateway_rounds,
            )
            self._record_cpu("gateway", meter)
        finally:
            for server in running:
                server.process.stop()
        self.results["gateway"] = {**summary, "overhead": overhead_vs_direct(summary)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="reduced run for smoke-testing")
    parser.add_argument(
        "--servers",
        default=",".join(SERVER_CHOICES),
        help=f"comma-separated subset of {', '.join(SERVER_CHOICES)}",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=None,
        help="seconds to wait per phase for other processes to leave the CPU "
        "(default 600, or 0 with --quick)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=None,
        help="scheduling priority (process and session nice) for the benchmark and every "
        "server it starts, e.g. -10 so other work on a shared machine skews the numbers less; "
        "needs root",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: docs/benchmarks, or a temp dir with --quick)",
    )
    return parser.parse_args()


def write_outputs(results: dict[str, Any], out_dir: Path, stem: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    results["json_name"] = json_path.name
    markdown = render_markdown(results)
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown)
    print(markdown)
    return md_path


def main() -> int:
    args = parse_args()
    servers = {s.strip() for s in args.servers.split(",") if s.strip()}
    unknown = servers - set(SERVER_CHOICES)
    if unknown:
        raise SystemExit(f"unknown --servers {sorted(unknown)}; choose from {SERVER_CHOICES}")
    cfg = QUICK if args.quick else FULL
    if args.quiet_wait is not None:
        cfg = dataclasses.replace(cfg, quiet_wait_s=args.quiet_wait)
    work_dir = Path(tempfile.mkdtemp(prefix="reef-bench-"))
    out_dir = args.out or (work_dir if args.quick else REPO / "docs" / "benchmarks")
    log(f"work dir (server logs): {work_dir}")
    with ProcessSupervisor(work_dir, nice=args.nice) as supervisor:
        try:
            bench = Benchmark(cfg, servers, work_dir, supervisor)
            results = asyncio.run(bench.run())
        except ServerFailed as exc:
            log(f"benchmark aborted: {exc}")
            return 1
    results["mode"] = "quick" if args.quick else "full"
    results["servers"] = sorted(servers)
    results["nice"] = os.getpriority(os.PRIO_PROCESS, 0)
    results["machine"] = describe(REPO, bench.model_path)
    results["targets"] = evaluate_targets(results)
    results["notes"] += failure_notes(results)
    md_path = write_outputs(results, out_dir, "platform-core")
    log(f"wrote {md_path} and {md_path.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
