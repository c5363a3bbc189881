"""Markdown for docs/benchmarks/engine.md from the engine benchmark's raw results."""

from __future__ import annotations

from typing import Any


def _f(value: Any, fmt: str = "{:.1f}") -> str:
    return "n/a" if value is None else fmt.format(value)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "n/a"


def _raw_mean(results: dict[str, Any], key: str) -> float | None:
    values = [results[p][key] for p in ("raw_before", "raw_after") if p in results]
    return sum(values) / len(values) if values else None


def render(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    cfg = results["config"]
    out = [
        "# Engine benchmark",
        "",
        f"Measured {machine.get('date_utc', '?')} on commit `{machine.get('git_commit', '?')}`"
        f"{' (uncommitted changes)' if machine.get('git_dirty') else ''}: "
        f"{machine.get('cpu_model', '?')}, {machine.get('usable_cpus', '?')} usable CPUs, "
        f"{machine.get('ram_gib', '?')} GiB RAM, {machine.get('kernel', '?')}, "
        f"Python {machine.get('python', '?')}, model {machine.get('model_file', '?')}. "
        f"Every engine uses {cfg['threads']} thread{'s' if cfg['threads'] != 1 else ''}, "
        f"priority nice {results.get('nice', '?')}. Produced by `bench/engine_bench.py` "
        f"({results.get('mode', '?')} run); raw numbers in `{results.get('json_name', '?')}`.",
        "",
    ]
    out += _throughput(results)
    out += _prefill(results)
    out += _speculative(results)
    out += _load(results)
    return "\n".join(out) + "\n"


def _throughput(results: dict[str, Any]) -> list[str]:
    cfg = results["config"]
    reef, peer = results.get("reef", {}), results.get("llama_cpp_server", {})
    raw_streams = _raw_mean(results, "streams_tok_s")
    raw_single = _raw_mean(results, "single_tok_s")
    n = cfg["streams"]
    lines = [
        "## Decode throughput",
        "",
        f"Fixed length: every answer is exactly {cfg['fixed_tokens']} tokens (end of turn "
        f"banned), greedy, {cfg['rounds']} rounds per stream. Raw llama.cpp is the ceiling: the "
        "same GGUF and thread count in a plain low-level loop, no HTTP (mean of a run before "
        "and one after the servers).",
        "",
        "| workload | raw llama.cpp tok/s | Reef tok/s | Reef / raw | llama_cpp.server tok/s |",
        "|---|---|---|---|---|",
    ]
    for label, key, raw in (
        (f"{n} streams", "fixed_streams", raw_streams),
        ("1 stream", "fixed_single", raw_single),
    ):
        mine = reef.get(key, {}).get("tokens_per_s")
        theirs = peer.get(key, {}).get("tokens_per_s")
        lines.append(f"| {label} | {_f(raw)} | {_f(mine)} | {_ratio(mine, raw)} | {_f(theirs)} |")
    nat, nat_peer = reef.get("natural_streams", {}), peer.get("natural_streams", {})
    spread = [
        f"{p.removeprefix('raw_')} {results[p]['streams_tok_s']:.1f} / "
        f"{results[p]['single_tok_s']:.1f}"
        for p in ("raw_before", "raw_after")
        if p in results
    ]
    if spread:
        lines += [
            "",
            f"Raw llama.cpp {n} streams / 1 stream, {', '.join(spread)} tok/s: the spread "
            "between the two is how much the machine's load moved during the run; a ratio "
            "above 1 means Reef ran in a quieter moment than the raw loops, not that it beats "
            "llama.cpp.",
        ]
    lines += [
        "",
        f"Natural length: {n} streams, max_tokens {cfg['natural_tokens']}, temperature "
        f"{cfg['natural_temperature']}, answers end where the model ends them (what users "
        f"send), {cfg['rounds']} rounds.",
        "",
        "| server | tok/s | tokens/request | TTFT p50 ms | TTFT p95 ms |",
        "|---|---|---|---|---|",
    ]
    for label, row in (("Reef", nat), ("llama_cpp.server", nat_peer)):
        lines.append(
            f"| {label} | {_f(row.get('tokens_per_s'))} | {_f(row.get('tokens_per_request'))} "
            f"| {_f(row.get('ttft_p50_ms'), '{:.0f}')} | {_f(row.get('ttft_p95_ms'), '{:.0f}')} |"
        )
    lines += [
        "",
        f"Reef / llama_cpp.server: {_ratio(nat.get('tokens_per_s'), nat_peer.get('tokens_per_s'))}"
        f" tok/s, TTFT p95 {_ratio(nat.get('ttft_p95_ms'), nat_peer.get('ttft_p95_ms'))}.",
        "",
    ]
    return lines


def _prefill(results: dict[str, Any]) -> list[str]:
    raw = _raw_mean(results, "prefill_tok_s")
    lines = [
        "## Prefill and idle prefix cache",
        "",
        "A cold ~1,500-token prompt (fresh session tag, nothing reusable) on an empty cache, "
        "then again after a burst of conversations left their prompts and answers in the "
        "prefix cache; then every burst conversation's second turn (share of its prompt served "
        "from the cache). *Parked* is Reef's default (idle prefixes move to host memory when "
        "other work arrives); *resident* keeps them in the KV cache (`prefix_stash = false`).",
        "",
        "| Reef | idle tokens | empty-cache TTFT ms | after-burst TTFT ms | after / empty | "
        "prefill tok/s | turn-2 cached share |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, key in (("parked (default)", "reef"), ("resident", "reef_no_stash")):
        row = results.get(key, {}).get("cold_after_burst")
        if not row:
            continue
        lines.append(
            f"| {label} | {row['idle_tokens_after_burst']} | {row['empty_cache_ttft_ms']:.0f} | "
            f"{row['after_burst_ttft_ms']:.0f} | {row['after_over_empty']:.2f}x | "
            f"{row['prefill_tok_s']:.0f} | {row['turn2_cached_share_mean']:.2f} "
            f"(min {row['turn2_cached_share_min']:.2f}) |"
        )
    lines += [
        "",
        f"Raw llama.cpp prefill of the same prompt (256-token chunks): {_f(raw, '{:.0f}')} tok/s.",
        "",
    ]
    return lines


def _speculative(results: dict[str, Any]) -> list[str]:
    spec = results.get("speculative")
    if not spec:
        return []
    greedy = spec["temperature_0"]
    summary = greedy["summary"]
    lines = [
        "## Speculative decoding (prompt lookup)",
        "",
        f"Single stream, in-process, temperature 0, {results['config']['spec_max_tokens']} "
        f"tokens at most, `{spec['set']}` prompts (see bench/spec_workloads.py). Decode "
        "tok/s (first to last token), median of runs alternating with and without drafts.",
        "",
        "| kind | prompt | tokens | off tok/s | on tok/s | speed-up | same text |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in greedy["rows"]:
        lines.append(
            f"| {row['kind']} | {row['name']} | {row['tokens']} | {row['off_tok_s']:.1f} | "
            f"{row['on_tok_s']:.1f} | {row['speedup']:.2f}x | {row['same_text']} |"
        )
    by_kind = ", ".join(f"{k} {v:.2f}x" for k, v in summary["by_kind"].items())
    lines += [
        "",
        f"Geometric mean: where it should help {summary['helps']:.2f}x, free prose "
        f"{summary['neutral']:.2f}x ({by_kind}). Identical text in every pair: "
        f"{summary['all_same_text']}.",
        "",
    ]
    return lines


def _load(results: dict[str, Any]) -> list[str]:
    lines = [
        "## Load while measuring",
        "",
        "Two cores shared with other work: cores used by processes outside the benchmark "
        "during each phase, and the load average before and after it.",
        "",
        "| phase | other processes (cores) | load before | load after |",
        "|---|---|---|---|",
    ]
    for phase, load in results.get("load", {}).items():
        during = load.get("during", {})
        lines.append(
            f"| {phase} | {during.get('foreign_cores', 'n/a')} | "
            f"{load.get('loadavg_before')} | {load.get('loadavg_after')} |"
        )
    lines += ["", f"`uptime` at the end: {results.get('uptime', '?')}", ""]
    return lines
