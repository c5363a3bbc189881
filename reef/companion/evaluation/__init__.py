"""`reef eval companions`: a reproducible evaluation of companions end to end.

Scripted multi-session dialogues (data files in `scenarios/`) run through the real companion
HTTP API against a chosen catalogue model; rule-based scorers (`scorers.py`, `rubric.toml`)
judge memory recall, persona consistency and emotional consistency, and the run measures time
to first token with a long card and the tokens each turn sends to the model.
"""

from reef.companion.evaluation.client import GenerationParams
from reef.companion.evaluation.report import report_document, results_markdown
from reef.companion.evaluation.run import EvalConfig, EvalPlan, execute, plan_run
from reef.companion.evaluation.summary import summarise

__all__ = [
    "EvalConfig",
    "EvalPlan",
    "GenerationParams",
    "execute",
    "plan_run",
    "report_document",
    "results_markdown",
    "summarise",
]
