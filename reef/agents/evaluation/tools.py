"""BFCL function docs as OpenAI Chat Completions tools, the way BFCL's own OpenAI handler sends
them, so a score here means what it means on BFCL's leaderboard.

It mirrors `bfcl_eval.utils._func_doc_language_specific_pre_processing` (the Python hint added
to every description) and `bfcl_eval.model_handler.utils.convert_to_tool` with
`GORILLA_TO_OPENAPI` and `ModelStyle.OPENAI_COMPLETIONS`: dots in names become underscores,
BFCL's type names become JSON Schema's (`dict` -> `object`, `float` -> `number` with
`format: float` and a note in the description, `tuple` -> `array`, unknown -> `string`), down
to the nesting BFCL converts. It is written out because importing BFCL's module pulls in
tree-sitter parsers and creates result folders next to the installed package;
tests/agents/test_eval_tools.py checks it equals BFCL's function on every entry.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

PYTHON_HINT = " Note that the provided function is in Python 3 syntax."
FLOAT_NOTE = " This is a float type value."

Schema = dict[str, Any]


def tool_name(bfcl_name: str) -> str:
    """OpenAI names match ^[a-zA-Z0-9_-]{1,64}$: BFCL's `math.factorial` -> `math_factorial`."""
    return bfcl_name.replace(".", "_")


@functools.cache
def _type_names() -> dict[str, str]:
    """BFCL's own table (imported late: the command explains a missing `bfcl-eval`)."""
    from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI

    return dict(GORILLA_TO_OPENAPI)


def _mapped(type_name: Any) -> str:
    return _type_names().get(type_name, "string")


def _cast_properties(properties: dict[str, Schema]) -> dict[str, Schema]:
    """BFCL's `_cast_to_openai_type`, in place: each property's type, then one or two levels
    of `items` and nested `properties`."""
    for value in properties.values():
        if "type" not in value:
            value["type"] = "string"
        else:
            if value["type"] == "float":
                value["format"] = "float"
                value["description"] = value.get("description", "") + FLOAT_NOTE
            value["type"] = _mapped(value["type"])
        if value["type"] not in ("array", "object"):
            continue
        if "properties" in value:
            value["properties"] = _cast_properties(value["properties"])
        elif "items" in value:
            items = value["items"]
            items["type"] = _mapped(items.get("type"))
            if items["type"] == "array" and "items" in items:
                items["items"]["type"] = _mapped(items["items"].get("type"))
            elif items["type"] == "object" and "properties" in items:
                items["properties"] = _cast_properties(items["properties"])
    return properties


def openai_tools(functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`tools` for `/v1/chat/completions` from a BFCL entry's `function` list (left as is)."""
    tools = []
    for function in copy.deepcopy(functions):
        function["description"] = function.get("description", "") + PYTHON_HINT
        function["name"] = tool_name(function["name"])
        parameters = function["parameters"]
        parameters["type"] = "object"
        parameters["properties"] = _cast_properties(parameters.get("properties", {}))
        tools.append({"type": "function", "function": function})
    return tools
