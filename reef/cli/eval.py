"""`reef eval ...`: reproducible evaluations; `reef eval companions` runs the companion one."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import typer

from reef.cli.main import app

eval_app = typer.Typer(help="Reproducible evaluations of a Reef deployment.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

DEFAULT_SEED = 7
DEFAULT_MAX_TOKENS = 64
QUICK_MAX_TOKENS = 32
DEFAULT_TIMEOUT_S = 600.0


def _command_line(options: list[tuple[str, object]]) -> str:
    """The command as a user would type it to repeat the run (options left at their defaults
    are omitted)."""
    words = ["reef", "eval", "companions"]
    for flag, value in options:
        if value is None or value is False or value == []:
            continue
        if value is True:
            words.append(flag)
        elif isinstance(value, list):
            for item in value:
                words += [flag, str(item)]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


@eval_app.command()
def companions(
    model: str | None = typer.Option(
        None, help="catalogue chat model to evaluate (default: companion.default_chat_model)"
    ),
    seed: int = typer.Option(DEFAULT_SEED, help="sampling seed of every reply"),
    temperature: float = typer.Option(0.0, min=0.0, max=2.0, help="0 = greedy, reproducible"),
    max_tokens: int | None = typer.Option(
        None,
        min=1,
        help=f"reply cap per turn (default {DEFAULT_MAX_TOKENS}, --quick {QUICK_MAX_TOKENS})",
    ),
    quick: bool = typer.Option(
        False, "--quick", help="a fast subset: one dialogue scenario, three long-card turns"
    ),
    scenario: list[str] | None = typer.Option(
        None, "--scenario", help="dialogue scenario to run (repeatable; default: all)"
    ),
    scenarios_dir: Path | None = typer.Option(
        None, "--scenarios", help="folder of scenario files (default: the built-in ones)"
    ),
    long_card_turns: int | None = typer.Option(
        None, help="turns of the long-card session (default: all; --quick 3)"
    ),
    json_path: Path | None = typer.Option(None, "--json", help="write the raw results here"),
    markdown_path: Path | None = typer.Option(
        None, "--markdown", help="write the full report (machine, method, tables) here"
    ),
    base_url: str | None = typer.Option(
        None, help="evaluate a running server instead of a private in-process one"
    ),
    api_key: str | None = typer.Option(None, envvar="REEF_API_KEY", help="API key for --base-url"),
    catalogue: Path | None = typer.Option(
        None, help="catalogue TOML for the private server (default: settings / REEF_CATALOGUE)"
    ),
    timeout: float = typer.Option(DEFAULT_TIMEOUT_S, min=1.0, help="seconds per request"),
) -> None:
    """Scripted multi-session dialogues against a model: memory recall, persona and emotional
    consistency, time to first token with a long card, tokens per turn. Prints markdown tables."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from reef.api.app import create_app
    from reef.companion.evaluation import (
        EvalConfig,
        GenerationParams,
        execute,
        plan_run,
        report_document,
        results_markdown,
        summarise,
    )
    from reef.companion.evaluation.scenario import SCENARIO_DIR
    from reef.errors import ReefError
    from reef.settings import Settings

    settings = Settings()
    chosen_model = model or settings.companion.default_chat_model
    command = _command_line(
        [
            ("--model", model),
            ("--seed", seed if seed != DEFAULT_SEED else None),
            ("--temperature", temperature or None),
            ("--max-tokens", max_tokens),
            ("--quick", quick),
            ("--scenario", scenario or []),
            ("--scenarios", scenarios_dir),
            ("--long-card-turns", long_card_turns),
            ("--json", json_path),
            ("--markdown", markdown_path),
            ("--base-url", base_url),
            ("--catalogue", catalogue),
        ]
    )
    config = EvalConfig(
        model=chosen_model,
        params=GenerationParams(
            max_tokens=max_tokens or (QUICK_MAX_TOKENS if quick else DEFAULT_MAX_TOKENS),
            temperature=temperature,
            seed=seed,
        ),
        scenarios_dir=scenarios_dir or SCENARIO_DIR,
        scenario_names=scenario or None,
        quick=quick,
        long_card_turns=long_card_turns,
        base_url=base_url,
        api_key=api_key if base_url else None,
        catalogue=catalogue,
        request_timeout_s=timeout,
        command=command,
        app_factory=create_app,
    )
    console = Console(stderr=True)
    try:
        plan = plan_run(config, settings)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(f"evaluating {chosen_model}", total=plan.total_turns)

            def advance(label: str) -> None:
                bar.update(task, advance=1, description=f"{chosen_model}: {label}")

            results = execute(plan, config, settings, advance)
    except ReefError as exc:
        console.print(f"error: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    summary = summarise(results)
    typer.echo(results_markdown(results, summary))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(results.to_dict(summary), indent=2, ensure_ascii=False)
        json_path.write_text(body + "\n", encoding="utf-8")
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(report_document(results, summary), encoding="utf-8")
