"""One tool-calling run: choose the questions, reach a server (a private in-process one, or
the one at `base_url`), ask every question through the OpenAI-compatible API, score each
answer with BFCL's checker and collect the results."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reef.agents.evaluation.bfcl import BfclCase, check_categories, load_category, sample
from reef.agents.evaluation.client import Answer, GenerationParams, ToolClient
from reef.agents.evaluation.results import CaseResult, ToolEvalResults
from reef.agents.evaluation.scoring import Verdict, score
from reef.agents.evaluation.tools import openai_tools
from reef.errors import InvalidRequest
from reef.evals.local_server import AppFactory
from reef.evals.machine import describe_machine, load_average, source_revision
from reef.evals.target import check_local_chat_model, check_server_options, eval_target
from reef.settings import Settings
from reef.sysinfo import installed_version

EVAL_ORG_NAME = "tools-eval"

Progress = Callable[[CaseResult], None]
"""Called after every question with its result."""


@dataclass(frozen=True)
class ToolEvalConfig:
    model: str
    params: GenerationParams
    categories: list[str]
    limit: int | None
    base_url: str | None
    api_key: str | None
    catalogue: Path | None
    request_timeout_s: float
    command: str
    app_factory: AppFactory


@dataclass(frozen=True)
class ToolEvalPlan:
    cases: list[BfclCase]
    available: dict[str, int]
    """Questions each chosen category has in BFCL (the run may ask fewer: `--limit`)."""


def plan_run(config: ToolEvalConfig, settings: Settings) -> ToolEvalPlan:
    """The questions a run will ask; bad options, categories, a missing `bfcl-eval` or a model
    the private server would not have fail here, before any work."""
    check_server_options(config.base_url, config.api_key, config.catalogue)
    if config.limit is not None and config.limit < 1:
        raise InvalidRequest("--limit must be at least 1", param="limit")
    if not config.categories:
        raise InvalidRequest("choose at least one category", param="categories")
    categories = check_categories(config.categories)
    if config.base_url is None:
        check_local_chat_model(config.model, config.catalogue or settings.catalogue)
    cases: list[BfclCase] = []
    available: dict[str, int] = {}
    for name in categories:
        everything = load_category(name)
        available[name] = len(everything)
        cases += sample(everything, config.limit)
    return ToolEvalPlan(cases, available)


def _question(case: BfclCase) -> str:
    users = [str(m.get("content", "")) for m in case.messages if m.get("role") == "user"]
    return users[-1] if users else ""


def record(case: BfclCase, answer: Answer, verdict: Verdict) -> CaseResult:
    return CaseResult(
        id=case.id,
        category=case.category,
        question=_question(case),
        expected=case.ground_truth,
        calls=[{"name": c.name, "arguments": c.arguments} for c in answer.calls],
        content=answer.content,
        finish_reason=answer.finish_reason,
        outcome=verdict.outcome,
        bfcl_error_type=verdict.bfcl_error_type,
        detail=verdict.detail,
        latency_ms=round(answer.latency_s * 1000, 1),
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
    )


def ask_and_score(
    api: ToolClient, case: BfclCase, model: str, params: GenerationParams
) -> CaseResult:
    answer = api.ask(model, case.messages, openai_tools(case.functions), params)
    if answer.error is not None:
        verdict = Verdict("request_failed", None, answer.error)
    else:
        verdict = score(case, answer.calls)
    return record(case, answer, verdict)


def execute(
    plan: ToolEvalPlan, config: ToolEvalConfig, settings: Settings, progress: Progress
) -> ToolEvalResults:
    started = time.monotonic()
    load_start = load_average()
    machine = describe_machine()
    source = source_revision()  # before the run: the code that answers is the code named
    results = ToolEvalResults(meta={})
    with (
        eval_target(
            settings,
            config.app_factory,
            base_url=config.base_url,
            api_key=config.api_key,
            catalogue=config.catalogue,
            org_name=EVAL_ORG_NAME,
        ) as target,
        ToolClient(target.base_url, target.api_key, config.request_timeout_s) as api,
    ):
        api.check_model(config.model)
        for case in plan.cases:
            result = ask_and_score(api, case, config.model, config.params)
            results.cases.append(result)
            progress(result)
    results.meta = {
        "command": config.command,
        "model": config.model,
        "seed": config.params.seed,
        "temperature": config.params.temperature,
        "max_tokens": config.params.max_tokens,
        "categories": list(plan.available),
        "limit": config.limit,
        "available": plan.available,
        "bfcl_eval": installed_version("bfcl-eval"),
        "server": target.described,
        "source": source,
        "machine": machine,
        "load_average": {"start": load_start, "end": load_average()},
        "duration_s": round(time.monotonic() - started, 1),
    }
    return results


def dump_json(results: ToolEvalResults, summary: dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(results.to_dict(summary), indent=2, ensure_ascii=False)
    path.write_text(body + "\n", encoding="utf-8")
