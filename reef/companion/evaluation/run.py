"""One evaluation run: choose the scenarios, reach a server (a private in-process one, or the
one at `base_url`), run every scenario through it and collect the results."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from reef.companion.evaluation.client import CompanionClient, GenerationParams
from reef.companion.evaluation.results import EvalResults
from reef.companion.evaluation.runner import Progress, RunOptions, ScenarioRunner
from reef.companion.evaluation.scenario import (
    DialogueScenario,
    LongCardScenario,
    load_scenarios,
    select_dialogues,
)
from reef.companion.evaluation.scorers import load_rubric
from reef.errors import InvalidRequest
from reef.evals.local_server import AppFactory
from reef.evals.machine import describe_machine, load_average
from reef.evals.target import check_local_chat_model, check_server_options, eval_target
from reef.settings import Settings

QUICK_DIALOGUES = 1  # --quick: the first dialogue scenario only
QUICK_LONG_CARD_TURNS = 3  # --quick: turn 1 and two cached turns of the long card
EVAL_ORG_NAME = "companion-eval"


@dataclass(frozen=True)
class EvalConfig:
    model: str
    params: GenerationParams
    scenarios_dir: Path
    scenario_names: list[str] | None
    quick: bool
    long_card_turns: int | None
    base_url: str | None
    api_key: str | None
    catalogue: Path | None
    request_timeout_s: float
    command: str
    app_factory: AppFactory


@dataclass(frozen=True)
class EvalPlan:
    dialogues: list[DialogueScenario]
    long_card: LongCardScenario
    long_card_turns: int

    @property
    def total_turns(self) -> int:
        return sum(d.turn_count() for d in self.dialogues) + self.long_card_turns


def plan_run(config: EvalConfig, settings: Settings) -> EvalPlan:
    """The scenarios a run will play; bad options, scenario files or names, or a model the
    private server would not have, fail here, before any work."""
    check_server_options(config.base_url, config.api_key, config.catalogue)
    if config.base_url is None:
        check_local_chat_model(config.model, config.catalogue or settings.catalogue)
    dialogues, long_card = load_scenarios(config.scenarios_dir)
    chosen = select_dialogues(dialogues, config.scenario_names)
    if config.quick and not config.scenario_names:
        chosen = chosen[:QUICK_DIALOGUES]
    turns = config.long_card_turns
    if turns is None:
        turns = QUICK_LONG_CARD_TURNS if config.quick else len(long_card.turns)
    if not 2 <= turns <= len(long_card.turns):
        raise InvalidRequest(
            f"long-card turns must be between 2 and {len(long_card.turns)}, got {turns}",
            param="long_card_turns",
            code="invalid_value",
        )
    return EvalPlan(chosen, long_card, turns)


def execute(
    plan: EvalPlan, config: EvalConfig, settings: Settings, progress: Progress
) -> EvalResults:
    started = time.monotonic()
    load_start = load_average()
    machine = describe_machine()
    options = RunOptions(
        model=config.model,
        params=config.params,
        message_overhead_tokens=settings.companion.message_overhead_tokens,
        long_card_turns=plan.long_card_turns,
        default_user_name=settings.companion.default_user_name,
    )
    rubric = load_rubric()
    with (
        eval_target(
            settings,
            config.app_factory,
            base_url=config.base_url,
            api_key=config.api_key,
            catalogue=config.catalogue,
            org_name=EVAL_ORG_NAME,
        ) as target,
        CompanionClient(target.base_url, target.api_key, config.request_timeout_s) as api,
    ):
        api.check_model(config.model)
        runner = ScenarioRunner(api, rubric, options, uuid.uuid4().hex[:8], progress)
        characters = [runner.run_dialogue(scenario) for scenario in plan.dialogues]
        long_card = runner.run_long_card(plan.long_card)
    meta = {
        "command": config.command,
        "model": config.model,
        "seed": config.params.seed,
        "temperature": config.params.temperature,
        "max_tokens": config.params.max_tokens,
        "quick": config.quick,
        "scenarios": [s.id for s in plan.dialogues] + [plan.long_card.id],
        "server": target.described,
        "message_overhead_tokens": options.message_overhead_tokens,
        "machine": machine,
        "load_average": {"start": load_start, "end": load_average()},
        "duration_s": round(time.monotonic() - started, 1),
    }
    return EvalResults(meta, characters, long_card)
