"""Score an answer with BFCL's own AST checker, and say why a wrong one is wrong.

The answer is decoded the way BFCL's OpenAI handler decodes function-calling output (one
`{name: json.loads(arguments)}` per tool call) and judged by
`bfcl_eval.eval_checker.ast_eval.ast_checker.ast_checker` as BFCL judges OpenAI's
function-calling models (`gpt-4o-2024-11-20-FC`: names compared with dots as underscores).

The checker's module imports `bfcl_eval.constants.model_config` only to read that one flag, and
that module imports every vendor handler BFCL has (a dozen SDKs). While the checker loads, a
stand-in holding just the flag takes its place in `sys.modules`, and is removed right after;
with BFCL's full dependencies installed and its table already loaded, the real one is used.

Outcomes, in the order they are decided: `request_failed` (the API refused or failed),
`no_call` (an answer in words), `bad_json` (arguments that are not a JSON object),
`wrong_count` (not as many calls as expected), `wrong_function` (not the expected functions),
`wrong_args` (the right functions, arguments the checker rejects) and `correct`.
"""

from __future__ import annotations

import functools
import json
import sys
import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from reef.agents.evaluation.bfcl import BfclCase
from reef.agents.evaluation.tools import tool_name

CHECKER_MODEL = "gpt-4o-2024-11-20-FC"
_MODEL_CONFIG = "bfcl_eval.constants.model_config"
DETAIL_CHARS = 300

Outcome = Literal[
    "correct",
    "request_failed",
    "no_call",
    "bad_json",
    "wrong_count",
    "wrong_function",
    "wrong_args",
]
OUTCOMES: tuple[Outcome, ...] = (
    "correct",
    "no_call",
    "bad_json",
    "wrong_count",
    "wrong_function",
    "wrong_args",
    "request_failed",
)


@dataclass(frozen=True)
class ToolCall:
    """A call as the API returned it: the name and the raw `arguments` string."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    bfcl_error_type: str | None = None
    detail: str | None = None

    @property
    def correct(self) -> bool:
        return self.outcome == "correct"


@functools.cache
def _ast_checker() -> Callable[..., dict[str, Any]]:
    if _MODEL_CONFIG in sys.modules:
        from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    else:
        stand_in = types.ModuleType(_MODEL_CONFIG)
        stand_in.MODEL_CONFIG_MAPPING = {  # type: ignore[attr-defined]
            CHECKER_MODEL: types.SimpleNamespace(underscore_to_dot=True)
        }
        sys.modules[_MODEL_CONFIG] = stand_in
        try:
            from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
        finally:
            del sys.modules[_MODEL_CONFIG]
    checker: Callable[..., dict[str, Any]] = ast_checker
    return checker


def _python() -> Any:
    from bfcl_eval.constants.enums import Language

    return Language.PYTHON


def decode(calls: list[ToolCall]) -> list[dict[str, Any]] | str:
    """BFCL's decoded form, `[{name: {param: value}}]`, or why the answer cannot be decoded."""
    decoded: list[dict[str, Any]] = []
    for call in calls:
        try:
            arguments = json.loads(call.arguments)
        except json.JSONDecodeError as exc:
            return f"arguments of {call.name!r} are not JSON: {exc}"
        if not isinstance(arguments, dict):
            return f"arguments of {call.name!r} are not a JSON object"
        decoded.append({call.name: arguments})
    return decoded


def _truncated(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _expected_names(case: BfclCase) -> Counter[str]:
    return Counter(tool_name(name) for answer in case.ground_truth for name in answer)


def _failure(case: BfclCase, calls: list[ToolCall], result: dict[str, Any]) -> Verdict:
    error_type = str(result.get("error_type", ""))
    errors = result.get("error") or []
    detail = _truncated(errors[0] if len(errors) == 1 else errors)
    if error_type.endswith("wrong_count"):
        outcome: Outcome = "wrong_count"
    elif error_type.endswith("wrong_func_name"):
        outcome = "wrong_function"
    elif error_type.endswith("cannot_find_match"):
        names_match = Counter(call.name for call in calls) == _expected_names(case)
        outcome = "wrong_args" if names_match else "wrong_function"
    else:
        outcome = "wrong_args"
    return Verdict(outcome, error_type or None, detail)


def score(case: BfclCase, calls: list[ToolCall]) -> Verdict:
    """BFCL's verdict on the tool calls a model made for `case`."""
    if not calls:
        return Verdict("no_call", "ast_decoder:decoder_failed", "no tool call in the answer")
    decoded = decode(calls)
    if isinstance(decoded, str):
        return Verdict("bad_json", "ast_decoder:decoder_failed", decoded)
    result = _ast_checker()(
        case.functions, decoded, case.ground_truth, _python(), case.category, CHECKER_MODEL
    )
    if result.get("valid"):
        return Verdict("correct")
    return _failure(case, calls, result)
