"""Tool search on BFCL's public function catalogue: recall@1/5/10 and per-query latency of
plain BM25, plain MiniLM embeddings and Reef's hybrid search.

    pip install --no-deps bfcl-eval          # its data files only
    python bench/tool_search.py              # writes docs/benchmarks/tool-search.{md,json}
    python bench/tool_search.py --split tuning --out /tmp/x   # the split parameters were chosen on

The questions are split once with a fixed seed: 20% for choosing parameters (tuning), 80% for
the reported numbers (test). Nothing is fitted to the test split. The catalogue's vectors are
cached under bench/.cache (they take minutes to compute on two cores); `--fresh` recomputes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from tool_search_data import (
    CATALOGUE_CATEGORIES,
    QUESTION_CATEGORIES,
    SPLIT_SEED,
    TUNING_SHARE,
    Question,
    data_dir,
    load_catalogue,
    load_questions,
    split,
)
from tool_search_eval import CACHE_DIR, KS, VectorCache, percentile, recall
from tool_search_report import render

from reef.agents.toolsearch.embedding import FittedEmbedder
from reef.agents.toolsearch.index import SearchParams, ToolIndex
from reef.agents.toolsearch.text import embedding_text
from reef.agents.toolsearch.tools import ToolDoc
from reef.engine.catalogue import Catalogue
from reef.engine.embeddings import SentenceTransformerBackend
from reef.sysinfo import describe_machine, installed_version, load_average

REPO = Path(__file__).resolve().parents[1]
EMBEDDING_MODEL = "all-minilm-l6-v2"
TOP = 10


def distinct(names: Sequence[str], k: int) -> list[str]:
    """The first `k` distinct names (the catalogue holds variants of one name)."""
    return list(dict.fromkeys(names))[:k]


def naive_bm25(catalogue: Sequence[ToolDoc]) -> Callable[[str], list[str]]:
    """The reference setup: bm25s's own tokenizer (English stopwords, no stemming, no
    identifier splitting) over name, description and parameters' names and descriptions."""

    def text(tool: ToolDoc) -> str:
        props = tool.parameters.get("properties") or {}
        parts = [tool.name, tool.description]
        for name, prop in props.items():
            parts.append(str(name))
            if isinstance(prop, dict) and isinstance(prop.get("description"), str):
                parts.append(prop["description"])
        return " ".join(parts)

    retriever = bm25s.BM25()
    corpus = bm25s.tokenize(
        [text(t) for t in catalogue], stopwords="en", return_ids=False, show_progress=False
    )
    retriever.index(corpus, show_progress=False)
    names = [t.name for t in catalogue]

    def rank(query: str) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)
        words = [w for w in tokens[0] if w in retriever.vocab_dict]
        if not words:
            return []
        scores = retriever.get_scores(words)
        order = np.argsort(-scores, kind="stable")
        return distinct([names[i] for i in order if scores[i] > 0][: TOP * 4], TOP)

    return rank


def cosine_ranker(
    catalogue: Sequence[ToolDoc], doc_vectors: np.ndarray, query_vectors: np.ndarray
) -> Callable[[int], list[str]]:
    docs = doc_vectors / np.linalg.norm(doc_vectors, axis=1, keepdims=True)
    names = [t.name for t in catalogue]

    def rank(i: int) -> list[str]:
        scores = docs @ query_vectors[i]
        order = np.argsort(-scores, kind="stable")[: TOP * 4]
        return distinct([names[j] for j in order], TOP)

    return rank


async def measure_latency(
    index: ToolIndex, embedder: FittedEmbedder, questions: Sequence[Question]
) -> dict[str, Any]:
    """Per query, one at a time as a server would answer them: the query's embedding through
    the engine's MiniLM backend, then each search over the whole catalogue."""
    embed_ms, hybrid_ms, bm25_ms, embedding_ms, fusion_ms = [], [], [], [], []
    await embedder.embed(["warm up"])
    for question in questions:
        started = time.perf_counter()
        vector = (await embedder.embed([question.text])).vectors[0]
        embedded = time.perf_counter()
        index.search(question.text, TOP, "hybrid", vector)
        searched = time.perf_counter()
        index.search(question.text, TOP, "bm25")
        lexical = time.perf_counter()
        index.search(question.text, TOP, "embedding", vector)
        semantic = time.perf_counter()
        embed_ms.append((embedded - started) * 1000)
        hybrid_ms.append((searched - started) * 1000)
        fusion_ms.append((searched - embedded) * 1000)
        bm25_ms.append((lexical - searched) * 1000)
        embedding_ms.append((embedded - started + semantic - lexical) * 1000)

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "p50": round(percentile(values, 50), 2),
            "p95": round(percentile(values, 95), 2),
            "p99": round(percentile(values, 99), 2),
            "mean": round(float(np.mean(values)), 2),
        }

    return {
        "bm25": summary(bm25_ms),
        "embedding": summary(embedding_ms),
        "hybrid": summary(hybrid_ms),
        "query_embedding_only": summary(embed_ms),
        "hybrid_search_without_embedding": summary(fusion_ms),
    }


def git_commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "reef", "bench"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def run(split_name: str, fresh: bool) -> dict[str, Any]:
    root = data_dir()
    catalogue = load_catalogue(root)
    tuning, test = split(load_questions(root))
    questions = test if split_name == "test" else tuning
    spec = Catalogue.load().get(EMBEDDING_MODEL, kind="embedding")
    backend = SentenceTransformerBackend(spec)
    embedder = FittedEmbedder(backend, spec.name)
    cache = VectorCache(embedder)
    if fresh:
        for path in CACHE_DIR.glob("*.npy"):
            path.unlink()

    load_before = load_average()
    started = time.perf_counter()
    doc_vectors = cache.vectors([embedding_text(t) for t in catalogue])
    catalogue_embed_s = time.perf_counter() - started
    naive_doc_vectors = cache.vectors([f"{t.name}: {t.description}" for t in catalogue])
    query_vectors = cache.vectors([q.text for q in questions])
    started = time.perf_counter()
    index = ToolIndex(catalogue, doc_vectors, SearchParams())
    build_s = time.perf_counter() - started

    naive = naive_bm25(catalogue)
    methods: dict[str, Callable[[int], list[str]]] = {
        "bm25_naive": lambda i: naive(questions[i].text),
        "bm25": lambda i: [h.name for h in index.search(questions[i].text, TOP, "bm25")],
        "embedding_naive": cosine_ranker(catalogue, naive_doc_vectors, query_vectors),
        "embedding": lambda i: [
            h.name for h in index.search(questions[i].text, TOP, "embedding", query_vectors[i])
        ],
        "hybrid": lambda i: [
            h.name for h in index.search(questions[i].text, TOP, "hybrid", query_vectors[i])
        ],
    }
    results = {}
    ranked: dict[str, list[list[str]]] = {}
    for name, rank in methods.items():
        ranked[name] = [rank(i) for i in range(len(questions))]
        scores = recall(ranked[name].__getitem__, questions)
        results[name] = {f"recall@{k}": round(scores.recall[k], 4) for k in KS}
        print(f"{name:16s} {scores.line()}", flush=True)
    multi = [i for i, q in enumerate(questions) if len(q.gold) > 1]
    by_category: dict[str, dict[str, float]] = {}
    for category in QUESTION_CATEGORIES:
        members = [i for i, q in enumerate(questions) if q.category == category]
        if members:
            scores = recall(
                lambda j, m=members: ranked["hybrid"][m[j]], [questions[i] for i in members]
            )
            by_category[category] = {
                "questions": len(members),
                "recall@5": round(scores.recall[5], 4),
            }
    several = recall(lambda j: ranked["hybrid"][multi[j]], [questions[i] for i in multi])

    latency = asyncio.run(measure_latency(index, embedder, questions))
    asyncio.run(backend.close())
    print(json.dumps(latency), flush=True)
    return {
        "benchmark": "tool-search",
        "split": split_name,
        "machine": describe_machine(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "niceness": os.nice(0),
        "commit": git_commit(),
        "bfcl_eval_version": installed_version("bfcl-eval"),
        "bm25s_version": installed_version("bm25s"),
        "embedding_model": EMBEDDING_MODEL,
        "catalogue": {
            "tools": len(catalogue),
            "distinct_names": len({t.name for t in catalogue}),
            "categories": list(CATALOGUE_CATEGORIES),
        },
        "questions": {
            "split_seed": SPLIT_SEED,
            "tuning_share": TUNING_SHARE,
            "tuning": len(tuning),
            "test": len(test),
            "measured": len(questions),
            "with_several_gold_functions": len(multi),
        },
        "recall": results,
        "hybrid_recall@5_by_category": by_category,
        "hybrid_recall@5_several_gold": round(several.recall[5], 4),
        "latency_ms": latency,
        "latency_questions": len(questions),
        "index_build_s": round(build_s, 3),
        "catalogue_embedding_s": round(catalogue_embed_s, 1) if catalogue_embed_s > 1 else None,
        "params": json.loads(json.dumps(SearchParams(), default=lambda o: o.__dict__)),
    }


def wait_for_quiet(limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        load = load_average()
        if load is None or load[0] < 1.5:
            return
        time.sleep(10)


def latency_run(split_name: str, count: int) -> dict[str, Any]:
    """Latency again (on a quieter machine), over the first `count` questions."""
    root = data_dir()
    catalogue = load_catalogue(root)
    tuning, test = split(load_questions(root))
    questions = (test if split_name == "test" else tuning)[:count]
    spec = Catalogue.load().get(EMBEDDING_MODEL, kind="embedding")
    backend = SentenceTransformerBackend(spec)
    embedder = FittedEmbedder(backend, spec.name)
    doc_vectors = VectorCache(embedder).vectors([embedding_text(t) for t in catalogue])
    index = ToolIndex(catalogue, doc_vectors, SearchParams())
    before = load_average()
    latency = asyncio.run(measure_latency(index, embedder, questions))
    asyncio.run(backend.close())
    print(json.dumps(latency), flush=True)
    return {
        "latency_ms": latency,
        "latency_questions": len(questions),
        "latency_measured_utc": describe_machine()["date_utc"],
        "latency_load_average_before": before,
        "latency_load_average_after": load_average(),
        "latency_niceness": os.nice(0),
        "commit": git_commit(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["test", "tuning"], default="test")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks")
    parser.add_argument("--fresh", action="store_true", help="recompute cached vectors")
    parser.add_argument("--render", type=Path, help="only write the markdown of this JSON")
    parser.add_argument(
        "--latency-only",
        type=int,
        metavar="N",
        help="re-measure latency on the first N questions of the split into the existing JSON",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        metavar="S",
        help="first wait up to S seconds for the 1-minute load average to drop below 1.5",
    )
    parser.add_argument(
        "--nice", type=int, default=0, help="niceness to run at (negative needs root)"
    )
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)
    if args.quiet_wait:
        wait_for_quiet(args.quiet_wait)
    if args.render:
        result = json.loads(args.render.read_text())
    elif args.latency_only:
        path = args.out / "tool-search.json"
        result = json.loads(path.read_text())
        previous = {
            "latency_ms": result["latency_ms"],
            "questions": result.get("latency_questions"),
            "measured_utc": result.get("latency_measured_utc", result["machine"]["date_utc"]),
            "load_average_before": result.get(
                "latency_load_average_before", result["load_average_before"]
            ),
        }
        result.setdefault("latency_previous_runs", []).append(previous)
        result.update(latency_run(args.split, args.latency_only))
        path.write_text(json.dumps(result, indent=2) + "\n")
    else:
        result = run(args.split, args.fresh)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "tool-search.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "tool-search.md").write_text(render(result) + "\n")
    print(f"wrote {args.out / 'tool-search.md'}")


if __name__ == "__main__":
    main()
