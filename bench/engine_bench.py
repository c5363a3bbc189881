"""Engine benchmark: Reef's embedded engine next to raw llama.cpp and llama_cpp.server.

    .venv/bin/python bench/engine_bench.py                 # full run, writes docs/benchmarks/
    .venv/bin/python bench/engine_bench.py --quick         # smoke test, writes to a temp dir

In one run, on the same GGUF and thread count: the raw llama.cpp ceiling (a plain low-level
loop, before and after the servers), Reef over HTTP (fixed- and natural-length streams, a cold
prompt on an empty cache and after a burst, with and without parking idle prefixes) and
llama_cpp.server; then speculative decoding in-process on held-out prompts. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import scenario_speculative  # noqa: E402
import spec_workloads  # noqa: E402
from cpu_meter import CpuMeter, wait_for_quiet  # noqa: E402
from engine_report import render  # noqa: E402
from machine import describe  # noqa: E402
from model_vocab import ModelVocab, bundled_model_path  # noqa: E402
from procs import ProcessSupervisor, ServerFailed, log  # noqa: E402
from raw_llama import RawLlama  # noqa: E402
from scenario_engine import cold_after_burst, streams  # noqa: E402
from scenario_prefix import build_system_prompt  # noqa: E402
from scenario_throughput import stream_prompt  # noqa: E402
from servers import CHAT_MODEL, start_llama_cpp_server, start_reef  # noqa: E402

from reef.sysinfo import load_average  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Config:
    threads: int = 2
    streams: int = 8
    rounds: int = 3
    fixed_tokens: int = 128
    natural_tokens: int = 96
    natural_temperature: float = 0.8
    cold_tokens: int = 1500
    burst_conversations: int = 8
    burst_tokens: int = 1250
    spec_max_tokens: int = 128
    spec_repeats: int = 2
    spec_set: str = "held_out"
    quiet_wait_s: float = 300
    quiet_max_foreign_cores: float = 0.3
    llama_n_ctx: int = 4096
    llama_n_batch: int = 1024


QUICK = Config(rounds=1, fixed_tokens=32, natural_tokens=32, burst_conversations=2, spec_repeats=1)


class EngineBench:
    def __init__(self, cfg: Config, supervisor: ProcessSupervisor, work_dir: Path) -> None:
        self.cfg = cfg
        self.supervisor = supervisor
        self.work_dir = work_dir
        self.model_path = bundled_model_path(CHAT_MODEL)
        self.vocab = ModelVocab(self.model_path)
        self.eos_bias = self.vocab.end_of_turn_bias()
        self.results: dict[str, Any] = {"config": dataclasses.asdict(cfg), "load": {}}

    async def _phase(self, name: str) -> CpuMeter:
        quiet = await wait_for_quiet(
            self.supervisor.process_groups, self.cfg.quiet_max_foreign_cores, self.cfg.quiet_wait_s
        )
        self.results["load"][name] = {"before": quiet, "loadavg_before": load_average()}
        return CpuMeter(self.supervisor.process_groups)

    def _end_phase(self, name: str, meter: CpuMeter) -> None:
        during = meter.read()
        self.results["load"][name].update(during=during, loadavg_after=load_average())
        log(f"{name}: other processes used {during['foreign_cores']} cores")

    async def raw(self, name: str) -> None:
        cfg = self.cfg
        meter = await self._phase(name)
        raw = RawLlama(self.model_path, cfg.threads, 8192, cfg.llama_n_batch, 16)
        try:
            prompts = [stream_prompt(i) for i in range(cfg.streams)]
            many = [raw.generate(prompts, cfg.fixed_tokens) for _ in range(cfg.rounds)]
            one = [raw.generate(prompts[:1], cfg.fixed_tokens) for _ in range(cfg.rounds)]
            handbook = build_system_prompt(self.vocab.count, cfg.cold_tokens)
            tokens = raw.tokenize(handbook)
            prefill = [raw.prefill(tokens, 256) for _ in range(2)]
        finally:
            raw.close()
        row = {
            "streams_tok_s": _total_rate(many),
            "single_tok_s": _total_rate(one),
            "prefill_tok_s": max(p["tokens_per_s"] for p in prefill),
            "prefill_tokens": len(tokens),
        }
        log(
            f"{name}: x{cfg.streams} {row['streams_tok_s']:.1f} tok/s, x1 "
            f"{row['single_tok_s']:.1f} tok/s, prefill {row['prefill_tok_s']:.0f} tok/s"
        )
        self.results[name] = row
        self._end_phase(name, meter)

    async def reef(self, name: str, extra_env: dict[str, str], full: bool) -> None:
        cfg = self.cfg
        running = await start_reef(
            self.supervisor, self.work_dir, cfg.threads, None, name=name, extra_env=extra_env
        )
        try:
            meter = await self._phase(name)
            row: dict[str, Any] = {"env": extra_env}
            row["cold_after_burst"] = await cold_after_burst(
                running.endpoint,
                self.vocab.count,
                cfg.cold_tokens,
                cfg.burst_conversations,
                cfg.burst_tokens,
            )
            if full:
                await self._streams(running.endpoint, row)
            self.results[name] = row
            self._end_phase(name, meter)
        finally:
            running.process.stop()

    async def llama_server(self, name: str) -> None:
        cfg = self.cfg
        running = await start_llama_cpp_server(
            self.supervisor, self.model_path, cfg.threads, cfg.llama_n_ctx, cfg.llama_n_batch
        )
        try:
            meter = await self._phase(name)
            row: dict[str, Any] = {}
            await self._streams(running.endpoint, row)
            self.results[name] = row
            self._end_phase(name, meter)
        finally:
            running.process.stop()

    async def _streams(self, endpoint: Any, row: dict[str, Any]) -> None:
        cfg = self.cfg
        fixed = {"temperature": 0.0, "eos_bias": self.eos_bias}
        await streams(endpoint, 1, 1, 8, temperature=0.0, eos_bias=None, offset=900)  # warm-up
        row["fixed_single"] = await streams(
            endpoint, 1, cfg.rounds, cfg.fixed_tokens, offset=0, **fixed
        )
        row["fixed_streams"] = await streams(
            endpoint, cfg.streams, cfg.rounds, cfg.fixed_tokens, offset=100, **fixed
        )
        row["natural_streams"] = await streams(
            endpoint,
            cfg.streams,
            cfg.rounds,
            cfg.natural_tokens,
            temperature=cfg.natural_temperature,
            eos_bias=None,
            offset=200,
        )

    async def speculative(self) -> None:
        cfg = self.cfg
        workloads = spec_workloads.HELD_OUT if cfg.spec_set == "held_out" else spec_workloads.DEV
        meter = await self._phase("speculative")
        log(f"speculative decoding, {cfg.spec_set} prompts, temperature 0")
        greedy = await asyncio.to_thread(
            scenario_speculative.run,
            workloads,
            cfg.threads,
            cfg.spec_max_tokens,
            0.0,
            cfg.spec_repeats,
        )
        self.results["speculative"] = {"set": cfg.spec_set, "temperature_0": greedy}
        self._end_phase("speculative", meter)


def _total_rate(runs: list[dict[str, float]]) -> float:
    return sum(r["tokens"] for r in runs) / sum(r["wall_s"] for r in runs)


async def run(bench: EngineBench, parts: set[str]) -> dict[str, Any]:
    if "raw" in parts:
        await bench.raw("raw_before")
    if "reef" in parts:
        await bench.reef("reef", {}, full=True)
        await bench.reef("reef_no_stash", {"REEF_ENGINE__PREFIX_STASH": "false"}, full=False)
    if "llama_cpp" in parts:
        await bench.llama_server("llama_cpp_server")
    if "raw" in parts:
        await bench.raw("raw_after")
    if "speculative" in parts:
        await bench.speculative()
    return bench.results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--parts", default="raw,reef,llama_cpp,speculative")
    parser.add_argument("--spec-set", choices=("dev", "held_out"), default=None)
    parser.add_argument("--quiet-wait", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--nice",
        type=int,
        default=None,
        help="scheduling priority (process and session) for the benchmark and its servers, "
        "e.g. -10 on a shared machine (needs root); see bench/README.md",
    )
    args = parser.parse_args()
    cfg = QUICK if args.quick else Config()
    changes: dict[str, Any] = {}
    if args.threads:
        changes["threads"] = args.threads
    if args.spec_set:
        changes["spec_set"] = args.spec_set
    if args.quiet_wait is not None:
        changes["quiet_wait_s"] = args.quiet_wait
    cfg = dataclasses.replace(cfg, **changes)
    work_dir = Path(tempfile.mkdtemp(prefix="reef-engine-bench-"))
    out_dir = args.out or (work_dir if args.quick else REPO / "docs" / "benchmarks")
    log(f"work dir (server logs): {work_dir}")
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    with ProcessSupervisor(work_dir, nice=args.nice) as supervisor:
        try:
            bench = EngineBench(cfg, supervisor, work_dir)
            results = asyncio.run(run(bench, parts))
        except ServerFailed as exc:
            log(f"benchmark aborted: {exc}")
            return 1
    results["machine"] = describe(REPO, bench.model_path)
    results["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results["mode"] = "quick" if args.quick else "full"
    results["nice"] = os.getpriority(os.PRIO_PROCESS, 0)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "engine" if os.environ.get("REEF_BENCH_STEM") is None else os.environ["REEF_BENCH_STEM"]
    results["json_name"] = f"{stem}.json"
    (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = render(results)
    (out_dir / f"{stem}.md").write_text(markdown)
    print(markdown)
    log(f"wrote {out_dir / (stem + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
