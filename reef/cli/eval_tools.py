"""`reef eval tools`: BFCL's AST categories through Reef's OpenAI-compatible API."""

from __future__ import annotations

from pathlib import Path

import typer

from reef.cli.eval import DEFAULT_SEED, _command_line, eval_app

DEFAULT_TOOL_MAX_TOKENS = 256
DEFAULT_TOOL_TIMEOUT_S = 300.0


@eval_app.command()
def tools(
    model: str | None = typer.Option(
        None, help="catalogue chat model (default: the catalogue's first; needed with --base-url)"
    ),
    categories: list[str] | None = typer.Option(
        None,
        "--categories",
        help="BFCL category (repeatable; default: simple_python, multiple, parallel, "
        "parallel_multiple; also live_simple, live_multiple, live_parallel, "
        "live_parallel_multiple)",
    ),
    limit: int | None = typer.Option(
        None, min=1, help="questions per category, spread evenly over it (default: all)"
    ),
    seed: int = typer.Option(DEFAULT_SEED, help="sampling seed of every answer"),
    temperature: float = typer.Option(0.0, min=0.0, max=2.0, help="0 = greedy, reproducible"),
    max_tokens: int = typer.Option(
        DEFAULT_TOOL_MAX_TOKENS, min=1, help="answer cap (truncated answers are counted)"
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
    timeout: float = typer.Option(DEFAULT_TOOL_TIMEOUT_S, min=1.0, help="seconds per request"),
) -> None:
    """Tool calling on BFCL's AST categories, scored by BFCL's own checker: accuracy, why
    answers failed, latency. Needs `pip install --no-deps bfcl-eval`. Prints markdown tables."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from reef.agents.evaluation import (
        GenerationParams,
        ToolEvalConfig,
        dump_json,
        execute,
        plan_run,
        report_document,
        results_markdown,
        summarise,
    )
    from reef.agents.evaluation.bfcl import DEFAULT_CATEGORIES
    from reef.agents.evaluation.results import CaseResult
    from reef.api.app import create_app
    from reef.errors import InvalidRequest, ReefError
    from reef.evals.target import first_chat_model
    from reef.settings import Settings

    settings = Settings()
    console = Console(stderr=True)
    command = _command_line(
        [
            ("--model", model),
            ("--categories", categories or []),
            ("--limit", limit),
            ("--seed", seed if seed != DEFAULT_SEED else None),
            ("--temperature", temperature or None),
            ("--max-tokens", max_tokens if max_tokens != DEFAULT_TOOL_MAX_TOKENS else None),
            ("--json", json_path),
            ("--markdown", markdown_path),
            ("--base-url", base_url),
            ("--catalogue", catalogue),
        ],
        evaluation="tools",
    )
    try:
        if model is None and base_url is not None:
            raise InvalidRequest("--base-url needs --model", param="model")
        chosen = model or first_chat_model(catalogue or settings.catalogue)
        config = ToolEvalConfig(
            model=chosen,
            params=GenerationParams(max_tokens=max_tokens, temperature=temperature, seed=seed),
            categories=categories or list(DEFAULT_CATEGORIES),
            limit=limit,
            base_url=base_url,
            api_key=api_key if base_url else None,
            catalogue=catalogue,
            request_timeout_s=timeout,
            command=command,
            app_factory=create_app,
        )
        plan = plan_run(config, settings)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            "eta",
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(f"{chosen}: starting", total=len(plan.cases))
            correct = 0

            def advance(result: CaseResult) -> None:
                nonlocal correct
                correct += result.outcome == "correct"
                done = bar.tasks[0].completed + 1
                label = f"{chosen}: {result.category}, {correct}/{done} correct"
                bar.update(task, advance=1, description=label)

            results = execute(plan, config, settings, advance)
    except ReefError as exc:
        console.print(f"error: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    summary = summarise(results)
    typer.echo(results_markdown(results, summary))
    if json_path is not None:
        dump_json(results, summary, json_path)
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(report_document(results, summary), encoding="utf-8")
