"""Tool calls as engines stream them: deltas keyed by `index`, folded into whole calls. Every
API shape (chat completions, responses, messages) reads them through here."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


def tool_call_deltas(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stream deltas need an `index` on every call; a call's first delta also names its type."""
    out = []
    for position, call in enumerate(calls):
        delta = dict(call)
        delta.setdefault("index", position)
        if "id" in delta:
            delta.setdefault("type", "function")
        out.append(delta)
    return out


@dataclass
class ToolCallMerger:
    """Folds streamed tool-call deltas (by `index`) into complete calls."""

    calls: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, deltas: list[dict[str, Any]]) -> None:
        for delta in tool_call_deltas(deltas):
            call = self.calls.setdefault(
                int(delta["index"]),
                {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
            )
            if delta.get("id"):
                call["id"] = delta["id"]
            function = delta.get("function") or {}
            if function.get("name"):
                call["function"]["name"] = function["name"]
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                call["function"]["arguments"] += arguments
            elif arguments is not None:
                call["function"]["arguments"] += json.dumps(arguments)

    def result(self) -> list[dict[str, Any]] | None:
        if not self.calls:
            return None
        calls = [self.calls[i] for i in sorted(self.calls)]
        for call in calls:
            if not call["id"]:
                call["id"] = f"call_{uuid.uuid4().hex[:24]}"
        return calls
