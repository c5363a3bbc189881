"""What a tool-calling run records per question, and the per-category summary.

Accuracy comes with a 95% Wilson interval: at 50 questions a category's accuracy is only
known to about +-10 points, and the report should say so rather than print two decimals.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from reef.agents.evaluation.scoring import OUTCOMES, Outcome

Z95 = 1.959964


@dataclass(frozen=True)
class CaseResult:
    id: str
    category: str
    question: str
    expected: list[dict[str, Any]]
    calls: list[dict[str, str]]
    content: str | None
    finish_reason: str | None
    outcome: Outcome
    bfcl_error_type: str | None
    detail: str | None
    latency_ms: float
    prompt_tokens: int | None
    completion_tokens: int | None


@dataclass
class ToolEvalResults:
    meta: dict[str, Any]
    cases: list[CaseResult] = field(default_factory=list)

    def to_dict(self, summary: dict[str, Any]) -> dict[str, Any]:
        return {"meta": self.meta, "summary": summary, "cases": [asdict(c) for c in self.cases]}


def wilson(hits: int, n: int) -> tuple[float, float] | None:
    """95% Wilson score interval of a proportion."""
    if n == 0:
        return None
    p = hits / n
    centre = p + Z95**2 / (2 * n)
    margin = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    denominator = 1 + Z95**2 / n
    return (max(0.0, (centre - margin) / denominator), min(1.0, (centre + margin) / denominator))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _mean(values: list[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _group(cases: list[CaseResult]) -> dict[str, Any]:
    n = len(cases)
    correct = sum(c.outcome == "correct" for c in cases)
    counts = Counter(c.outcome for c in cases)
    # Latency of answers the server gave; a refused request says nothing about speed.
    answered = [c.latency_ms for c in cases if c.outcome != "request_failed"]
    interval = wilson(correct, n)
    return {
        "n": n,
        "correct": correct,
        "accuracy": round(correct / n, 4) if n else None,
        "accuracy_ci95": None if interval is None else [round(v, 4) for v in interval],
        "outcomes": {outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
        "truncated": sum(c.finish_reason == "length" for c in cases),
        "latency_ms": {
            "mean": _rounded(statistics.fmean(answered) if answered else None),
            "p50": _rounded(_percentile(answered, 0.5)),
            "p95": _rounded(_percentile(answered, 0.95)),
        },
        "mean_prompt_tokens": _rounded(_mean([c.prompt_tokens for c in cases])),
        "mean_completion_tokens": _rounded(_mean([c.completion_tokens for c in cases])),
    }


def summarise(results: ToolEvalResults) -> dict[str, Any]:
    """Per category, all questions together, and the unweighted mean of the categories'
    accuracies (how BFCL averages its AST categories into one number)."""
    categories = list(dict.fromkeys(c.category for c in results.cases))
    per_category = {
        name: _group([c for c in results.cases if c.category == name]) for name in categories
    }
    accuracies = [row["accuracy"] for row in per_category.values() if row["accuracy"] is not None]
    return {
        "categories": per_category,
        "overall": _group(results.cases),
        "mean_category_accuracy": round(statistics.fmean(accuracies), 4) if accuracies else None,
    }
