"""BFCL's public function catalogue and single-turn questions, read from the `bfcl-eval` wheel.

The catalogue is every distinct function definition (by full JSON) of the single-turn
categories, the irrelevance and relevance ones included (they add distractors): 2,802 tools.
`live_irrelevance` is left out (its functions are never anyone's answer and it would dominate
the catalogue), as are multi-turn, memory and web-search (their tools live in separate docs).
Questions are those with a gold answer; a question's gold is the set of function names its
answer calls. Several definitions share a name (variants of one function with, say, `float`
for `integer`): a search result counts as the gold function when its name matches.
"""

from __future__ import annotations

import importlib.util
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reef.agents.toolsearch.tools import ToolDoc

CATALOGUE_CATEGORIES = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "irrelevance",
    "live_relevance",
)
QUESTION_CATEGORIES = CATALOGUE_CATEGORIES[:10]
SPLIT_SEED = 20_260_101
TUNING_SHARE = 0.2


@dataclass(frozen=True)
class Question:
    id: str
    category: str
    text: str
    gold: frozenset[str]


def data_dir() -> Path:
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("bfcl-eval is not installed: pip install --no-deps bfcl-eval")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_catalogue(root: Path) -> list[ToolDoc]:
    seen: dict[str, ToolDoc] = {}
    for category in CATALOGUE_CATEGORIES:
        for entry in _lines(root / f"BFCL_v4_{category}.json"):
            for function in entry["function"]:
                key = json.dumps(function, sort_keys=True)
                if key not in seen:
                    seen[key] = ToolDoc(
                        name=function["name"],
                        description=function.get("description") or "",
                        parameters=function.get("parameters") or {},
                    )
    return list(seen.values())


def load_questions(root: Path) -> list[Question]:
    questions = []
    for category in QUESTION_CATEGORIES:
        answers = {
            a["id"]: a for a in _lines(root / "possible_answer" / f"BFCL_v4_{category}.json")
        }
        for entry in _lines(root / f"BFCL_v4_{category}.json"):
            turn = entry["question"][0]
            text = "\n".join(m["content"] for m in turn if m["role"] == "user")
            gold = frozenset(next(iter(call)) for call in answers[entry["id"]]["ground_truth"])
            questions.append(Question(entry["id"], category, text, gold))
    return questions


def split(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    """(tuning, test): a fixed-seed shuffle, the first 20% for choosing parameters."""
    order = sorted(questions, key=lambda q: q.id)
    random.Random(SPLIT_SEED).shuffle(order)
    cut = round(len(order) * TUNING_SHARE)
    return order[:cut], order[cut:]
