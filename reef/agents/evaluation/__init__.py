"""`reef eval tools`: tool calling measured on BFCL's AST categories through Reef's API.

BFCL's questions and accepted answers come from the `bfcl-eval` wheel's data files and each
answer is judged by BFCL's own AST checker, so the numbers compare with BFCL's leaderboard
(for the categories run). `bfcl-eval` declares every vendor SDK its model handlers use (and
pins numpy 1.x); none of that is needed here, so install it without them:
`pip install --no-deps bfcl-eval==2026.3.23` (pyproject's `eval` extra names it). The command
explains how when it is missing.
"""

from reef.agents.evaluation.client import GenerationParams
from reef.agents.evaluation.report import report_document, results_markdown
from reef.agents.evaluation.results import summarise
from reef.agents.evaluation.run import ToolEvalConfig, ToolEvalPlan, dump_json, execute, plan_run

__all__ = [
    "GenerationParams",
    "ToolEvalConfig",
    "ToolEvalPlan",
    "dump_json",
    "execute",
    "plan_run",
    "report_document",
    "results_markdown",
    "summarise",
]
