"""`reef eval tools`: BFCL's docs as OpenAI tools, BFCL's checker as the judge, and the command
end to end through a private Reef server (fake upstream's `tool-caller`, and the real engine)."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reef.agents.evaluation.bfcl import (
    DEFAULT_CATEGORIES,
    BfclCase,
    check_categories,
    load_category,
    sample,
)
from reef.agents.evaluation.results import wilson
from reef.agents.evaluation.scoring import ToolCall, score
from reef.agents.evaluation.tools import openai_tools
from reef.cli.main import app
from reef.errors import InvalidRequest
from tests.support.catalogue import CHAT_MODEL, TOOL_MODEL
from tests.support.upstream import FakeUpstream

# BFCL data quirks: the first accepted value of a required parameter is "" (so the answer
# built from first values below leaves it out). Everything else must score correct.
FIRST_VALUE_QUIRKS = {"simple_python_200", "parallel_multiple_26"}


@pytest.fixture(scope="module")
def cases() -> dict[str, BfclCase]:
    return {case.id: case for name in DEFAULT_CATEGORIES for case in load_category(name)}


def _first(value: Any) -> Any:
    """The first accepted value, inside nested dicts and lists of dicts too (BFCL lists the
    accepted values of every key of a dict parameter)."""
    if isinstance(value, dict):
        return {k: _first(v[0]) for k, v in value.items() if v and v[0] != ""}
    if isinstance(value, list):
        return [_first(item) for item in value]
    return value


def gold_calls(case: BfclCase) -> list[ToolCall]:
    calls = []
    for answer in case.ground_truth:
        ((name, params),) = answer.items()
        arguments = {k: _first(v[0]) for k, v in params.items() if v and v[0] != ""}
        calls.append(ToolCall(name.replace(".", "_"), json.dumps(arguments)))
    return calls


# -- BFCL's data --------------------------------------------------------------------------------


def test_the_default_categories_hold_bfcls_questions(cases: dict[str, BfclCase]) -> None:
    counts = {name: sum(c.category == name for c in cases.values()) for name in DEFAULT_CATEGORIES}
    assert counts == {
        "simple_python": 400,
        "multiple": 200,
        "parallel": 200,
        "parallel_multiple": 200,
    }
    first = cases["simple_python_0"]
    assert first.messages[-1]["role"] == "user" and "triangle" in first.messages[-1]["content"]
    assert first.ground_truth[0]["calculate_triangle_area"]["base"] == [10]


def test_a_limit_spreads_the_sample_over_the_category() -> None:
    everything = load_category("parallel")
    picked = sample(everything, 4)
    assert [c.id for c in picked] == ["parallel_0", "parallel_50", "parallel_100", "parallel_150"]
    assert sample(everything, 4) == picked
    assert sample(everything, 10_000) == everything


def test_unknown_categories_are_named() -> None:
    with pytest.raises(InvalidRequest, match="unknown BFCL categories simple, irrelevance"):
        check_categories(["simple", "multiple", "irrelevance"])


# -- BFCL docs -> OpenAI tools ------------------------------------------------------------------


def test_dotted_names_floats_tuples_and_dicts_are_converted(cases: dict[str, BfclCase]) -> None:
    (kinematics,) = openai_tools(cases["simple_python_30"].functions)
    function = kinematics["function"]
    assert kinematics["type"] == "function"
    assert function["name"] == "kinematics_final_velocity_from_distance"
    assert function["description"].endswith(
        "Note that the provided function is in Python 3 syntax."
    )
    assert function["parameters"]["type"] == "object"
    velocity = function["parameters"]["properties"]["initial_velocity"]
    assert velocity["type"] == "number" and velocity["format"] == "float"
    assert velocity["description"].endswith("This is a float type value.")

    (distance,) = openai_tools(cases["simple_python_83"].functions)
    coord = distance["function"]["parameters"]["properties"]["coord1"]
    assert coord["type"] == "array" and coord["items"] == {"type": "number"}

    (query,) = openai_tools(cases["simple_python_96"].functions)
    conditions = query["function"]["parameters"]["properties"]["conditions"]
    assert conditions["items"]["type"] == "object"
    assert conditions["items"]["properties"]["operation"]["enum"][0] == "<"

    (records,) = openai_tools(cases["simple_python_89"].functions)
    assert records["function"]["parameters"]["properties"]["conditions"]["type"] == "object"
    # The entry itself is left as BFCL wrote it: the checker reads the original.
    assert cases["simple_python_89"].functions[0]["parameters"]["type"] == "dict"


@pytest.fixture(scope="module")
def bfcl_convert(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Any]]:
    """BFCL's own conversion (its OpenAI Completions handler's `_compile_tools` after the
    dataset's language hint). Importing it creates result folders under BFCL_PROJECT_ROOT."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BFCL_PROJECT_ROOT", str(tmp_path_factory.mktemp("bfcl")))
        from bfcl_eval.constants.enums import ModelStyle
        from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI
        from bfcl_eval.model_handler.utils import convert_to_tool
        from bfcl_eval.utils import _func_doc_language_specific_pre_processing

        def convert(case: BfclCase) -> Any:
            hinted = _func_doc_language_specific_pre_processing(
                copy.deepcopy(case.functions), case.category
            )
            return convert_to_tool(hinted, GORILLA_TO_OPENAPI, ModelStyle.OPENAI_COMPLETIONS)

        yield convert


@pytest.mark.parametrize(
    "category", [*DEFAULT_CATEGORIES, "live_simple", "live_parallel", "live_parallel_multiple"]
)
def test_conversion_equals_bfcls_own_on_every_entry(
    category: str, bfcl_convert: Callable[..., Any]
) -> None:
    entries = load_category(category)
    differing = [c.id for c in entries if openai_tools(c.functions) != bfcl_convert(c)]
    assert differing == []


# -- BFCL's checker as the judge ---------------------------------------------------------------


def test_the_accepted_answers_score_correct(cases: dict[str, BfclCase]) -> None:
    wrong = {
        case_id for case_id, case in cases.items() if not score(case, gold_calls(case)).correct
    }
    assert wrong == FIRST_VALUE_QUIRKS
    # The checker's stand-in for BFCL's vendor table is gone once the checker has loaded.
    assert "bfcl_eval.constants.model_config" not in sys.modules


def test_wrong_answers_get_bfcls_verdict_and_our_reason(cases: dict[str, BfclCase]) -> None:
    triangle = cases["simple_python_0"]
    right = ToolCall("calculate_triangle_area", '{"base": 10, "height": 5}')
    assert score(triangle, [right]).correct

    value = score(triangle, [ToolCall(right.name, '{"base": 10, "height": 6}')])
    assert value.outcome == "wrong_args" and value.bfcl_error_type == "value_error:others"
    assert "height" in (value.detail or "")
    missing = score(triangle, [ToolCall(right.name, '{"base": 10}')])
    assert missing.outcome == "wrong_args"
    assert missing.bfcl_error_type == "simple_function_checker:missing_required"
    typed = score(triangle, [ToolCall(right.name, '{"base": "10", "height": 5}')])
    assert typed.outcome == "wrong_args" and typed.bfcl_error_type == "type_error:simple"
    name = score(triangle, [ToolCall("calculate_circle_area", right.arguments)])
    assert name.outcome == "wrong_function"
    assert score(triangle, [right, right]).outcome == "wrong_count"
    assert score(triangle, []).outcome == "no_call"
    assert score(triangle, [ToolCall(right.name, '{"base": 10,')]).outcome == "bad_json"
    assert score(triangle, [ToolCall(right.name, "[10, 5]")]).outcome == "bad_json"

    # A dotted BFCL name is matched in its OpenAI form, as for OpenAI's models on BFCL.
    factorial = cases["simple_python_1"]
    assert score(factorial, [ToolCall("math_factorial", '{"number": 5}')]).correct


def test_parallel_calls_match_in_any_order(cases: dict[str, BfclCase]) -> None:
    spotify = cases["parallel_0"]
    calls = gold_calls(spotify)
    assert len(calls) == 2
    assert score(spotify, calls[::-1]).correct
    assert score(spotify, calls[:1]).outcome == "wrong_count"

    mixed = cases["parallel_multiple_0"]
    calls = gold_calls(mixed)
    names = {c.name for c in calls}
    assert len(names) == 2
    renamed = [ToolCall("no_such_function", calls[0].arguments), *calls[1:]]
    assert score(mixed, renamed).outcome == "wrong_function"
    changed = json.loads(calls[0].arguments)
    key = next(iter(changed))
    changed[key] = "something else entirely"
    reargued = [ToolCall(calls[0].name, json.dumps(changed)), *calls[1:]]
    assert score(mixed, reargued).outcome == "wrong_args"


def test_accuracy_intervals_are_wilsons() -> None:
    low, high = wilson(5, 50) or (0, 0)
    assert round(low, 3) == 0.043 and round(high, 3) == 0.214
    assert wilson(0, 0) is None
    assert wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def eval_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No reef.toml, a small engine; the command starts its own private server."""
    monkeypatch.setenv("REEF_CONFIG", str(tmp_path / "absent-reef.toml"))
    monkeypatch.setenv("REEF_ENGINE__N_CTX", "4096")
    monkeypatch.setenv("REEF_ENGINE__N_SEQ_MAX", "2")
    monkeypatch.delenv("REEF_CATALOGUE", raising=False)
    monkeypatch.delenv("REEF_API_KEY", raising=False)


def test_one_question_end_to_end_through_a_private_server(
    eval_env: None,
    upstream: FakeUpstream,
    catalogue_file: Path,
    tmp_path: Path,
    cases: dict[str, BfclCase],
) -> None:
    raw, doc = tmp_path / "out" / "tools.json", tmp_path / "out" / "tools.md"
    args = ["eval", "tools", "--catalogue", str(catalogue_file), "--model", TOOL_MODEL]
    args += ["--categories", "simple_python", "--limit", "1", "--json", str(raw)]
    args += ["--markdown", str(doc)]
    before = len(upstream.requests)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output

    # The question reached the model with BFCL's functions as tools, deterministically.
    (request,) = upstream.requests[before:]
    triangle = cases["simple_python_0"]
    assert request["body"]["tools"] == openai_tools(triangle.functions)
    assert request["body"]["messages"] == triangle.messages
    assert request["body"]["temperature"] == 0 and request["body"]["seed"] == 7
    assert "tool_choice" not in request["body"]

    # `tool-caller` calls the only tool with 1 for every integer and the question's last
    # word for strings: recorded as made, and judged by BFCL's checker as a wrong value.
    results = json.loads(raw.read_text())
    (case,) = results["cases"]
    assert case["id"] == "simple_python_0"
    (call,) = case["calls"]
    assert call["name"] == "calculate_triangle_area"
    assert json.loads(call["arguments"]) == {"base": 1, "height": 1, "unit": "units"}
    assert case["outcome"] == "wrong_args" and case["bfcl_error_type"] == "value_error:others"
    assert case["latency_ms"] > 0 and case["prompt_tokens"] > 0
    row = results["summary"]["categories"]["simple_python"]
    assert row["n"] == 1 and row["correct"] == 0 and row["outcomes"]["wrong_args"] == 1
    assert results["meta"]["available"] == {"simple_python": 400}
    assert "| simple_python | 1 | 0 | 0% (0%-79%) | 0 | 0 | 0 | 0 | 1 |" in result.stdout
    text = doc.read_text()
    assert "reef eval tools --model remote-tools --categories simple_python --limit 1" in text
    assert "commit measured:" in text and "CPU:" in text and "bfcl-eval 2026.3.23" in text
    assert "simple_python_0" in text  # the wrong answer is shown with its reason


@pytest.mark.slow
def test_the_bundled_model_answers_through_the_real_engine(
    eval_env: None, tmp_path: Path, cases: dict[str, BfclCase]
) -> None:
    raw = tmp_path / "tools.json"
    args = ["eval", "tools", "--categories", "multiple", "--limit", "1", "--json", str(raw)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (case,) = json.loads(raw.read_text())["cases"]
    assert json.loads(raw.read_text())["meta"]["model"] == CHAT_MODEL
    offered = {t["function"]["name"] for t in openai_tools(cases["multiple_0"].functions)}
    # The engine's grammar makes a call well-formed; whether it is right is the model's doing.
    assert case["outcome"] in {"correct", "wrong_function", "wrong_args"}, case
    (call,) = case["calls"]
    assert call["name"] in offered and isinstance(json.loads(call["arguments"]), dict)


def test_bad_options_fail_before_any_work(eval_env: None) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["eval", "tools", "--categories", "simple"])
    assert unknown.exit_code == 2
    assert "unknown BFCL categories simple; choose from simple_python" in unknown.output
    lonely = runner.invoke(app, ["eval", "tools", "--base-url", "http://127.0.0.1:9"])
    assert lonely.exit_code == 2 and "--base-url needs --model" in lonely.output
    keyless = runner.invoke(
        app, ["eval", "tools", "--base-url", "http://127.0.0.1:9", "--model", "x"]
    )
    assert keyless.exit_code == 2 and "--base-url and --api-key go together" in keyless.output
    embedding = runner.invoke(app, ["eval", "tools", "--model", "all-minilm-l6-v2"])
    assert embedding.exit_code == 2
    assert "'all-minilm-l6-v2' is not a chat model of the built-in catalogue" in embedding.output
