"""BFCL's single-turn AST categories, read from the data files the `bfcl-eval` wheel ships.

Only BFCL's light modules are imported here (its category names and data folder); its model
handlers need a dozen vendor SDKs. The data are JSON lines: `BFCL_v4_<category>.json` holds
the questions and function docs, `possible_answer/BFCL_v4_<category>.json` the accepted
answers, matched by `id`.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reef.errors import InvalidRequest, ReefError

INSTALL_HINT = "pip install --no-deps bfcl-eval==2026.3.23"


class BfclUnavailable(ReefError):
    status = 500
    type = "server_error"
    code = "bfcl_unavailable"


@dataclass(frozen=True)
class Category:
    name: str
    summary: str


# Python AST categories (the Java and JavaScript ones need their own doc rewriting; not yet).
CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("simple_python", "one function offered, one call expected"),
        Category("multiple", "2-4 functions offered, one call to the right one"),
        Category("parallel", "one function offered, several calls in one answer"),
        Category("parallel_multiple", "several functions offered, several calls"),
        Category("live_simple", "user-contributed: one function, one call"),
        Category("live_multiple", "user-contributed: several functions, one call"),
        Category("live_parallel", "user-contributed: one function, several calls"),
        Category("live_parallel_multiple", "user-contributed: several functions and calls"),
    )
}
DEFAULT_CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple")


@dataclass(frozen=True)
class BfclCase:
    """One question: the messages to send, BFCL's function docs as published (the checker
    reads them; `tools.openai_tools` converts them for the request) and the accepted calls."""

    id: str
    category: str
    messages: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    ground_truth: list[dict[str, Any]]


def data_dir() -> Path:
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        raise BfclUnavailable(f"BFCL's data are not installed; install them: `{INSTALL_HINT}`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _version_prefix() -> str:
    from bfcl_eval.constants.category_mapping import VERSION_PREFIX

    return str(VERSION_PREFIX)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BfclUnavailable(f"cannot read BFCL data file {path}: {exc}") from exc
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def check_categories(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in CATEGORIES]
    if unknown:
        raise InvalidRequest(
            f"unknown BFCL categories {', '.join(unknown)}; choose from {', '.join(CATEGORIES)}",
            param="categories",
        )
    return list(dict.fromkeys(names))


def load_category(name: str) -> list[BfclCase]:
    check_categories([name])
    folder, prefix = data_dir(), _version_prefix()
    questions = _read_lines(folder / f"{prefix}_{name}.json")
    accepted = _read_lines(folder / "possible_answer" / f"{prefix}_{name}.json")
    answers = {a["id"]: a["ground_truth"] for a in accepted}
    missing = [q["id"] for q in questions if q["id"] not in answers]
    if missing:
        raise BfclUnavailable(f"BFCL {name}: no accepted answer for {', '.join(missing[:5])}")
    return [
        BfclCase(q["id"], name, list(q["question"][0]), list(q["function"]), answers[q["id"]])
        for q in questions
    ]


def sample(cases: list[BfclCase], limit: int | None) -> list[BfclCase]:
    """`limit` cases spread evenly over the category (BFCL groups questions by domain, so the
    first N would be one domain); all of them without a limit. Deterministic."""
    if limit is None or limit >= len(cases):
        return list(cases)
    step = len(cases) / limit
    return [cases[int(i * step)] for i in range(limit)]
