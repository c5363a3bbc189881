"""V3 lorebook decorators: `@@name value` lines at the top of an entry's content.

Parsed once into `EntryRules`, the handful of switches the scanner and the prompt honour. A
decorator this module does not support (or with an invalid value) falls back to the `@@@`
lines right after it, as the V3 spec describes; the first decorator of a name wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

DECORATOR_PREFIX = "@@"
FALLBACK_PREFIX = "@@@"

Role = Literal["system", "user", "assistant"]
Placement = Literal["before_char", "after_char"]

_ROLES: tuple[Role, ...] = ("system", "user", "assistant")
_PLACEMENTS: dict[str, Placement] = {"before_desc": "before_char", "after_desc": "after_char"}


@dataclass(frozen=True)
class Decorator:
    """One `@@name value` line and the `@@@` fallbacks written under it."""

    name: str
    value: str
    fallbacks: tuple[Decorator, ...] = ()


@dataclass(frozen=True)
class EntryRules:
    """What the decorators of one entry ask for (None/False/empty: not asked)."""

    depth: int | None = None
    role: Role | None = None
    scan_depth: int | None = None
    placement: Placement | None = None
    activate: bool = False
    dont_activate: bool = False
    additional_keys: tuple[str, ...] = ()
    exclude_keys: tuple[str, ...] = ()
    activate_only_after: int | None = None
    activate_only_every: int | None = None
    is_greeting: int | None = None
    ignore_on_max_context: bool = False
    unsupported: tuple[str, ...] = field(default=())


def split_decorators(content: str) -> tuple[list[Decorator], str]:
    """(decorators, body): the leading `@@` lines and the content without them, trimmed."""
    lines = content.split("\n")
    decorators: list[Decorator] = []
    index = 0
    while index < len(lines) and lines[index].lstrip().startswith(DECORATOR_PREFIX):
        line = lines[index].strip()
        if line.startswith(FALLBACK_PREFIX):
            parsed = _parse_line(line[len(FALLBACK_PREFIX) :])
            if decorators:
                last = decorators[-1]
                decorators[-1] = Decorator(last.name, last.value, (*last.fallbacks, parsed))
        else:
            decorators.append(_parse_line(line[len(DECORATOR_PREFIX) :]))
        index += 1
    if not decorators:
        return [], content
    return decorators, "\n".join(lines[index:]).strip("\n")


def strip_decorators(content: str) -> str:
    return split_decorators(content)[1]


def resolve_rules(decorators: list[Decorator]) -> EntryRules:
    values: dict[str, Any] = {}
    unsupported: list[str] = []
    for decorator in decorators:
        for candidate in (decorator, *decorator.fallbacks):
            applier = _APPLIERS.get(candidate.name)
            parsed = applier(candidate.value) if applier else None
            if parsed is not None:
                values.setdefault(_FIELD_OF.get(candidate.name, candidate.name), parsed)
                break
        else:
            unsupported.append(decorator.name)
    return EntryRules(**values, unsupported=tuple(unsupported))


def _parse_line(text: str) -> Decorator:
    name, _, value = text.partition(" ")
    return Decorator(name.strip().lower(), value.strip())


def _int(value: str) -> int | None:
    try:
        return int(float(value))
    except ValueError:
        return None


def _positive_int(value: str) -> int | None:
    number = _int(value)
    return number if number is not None and number > 0 else None


def _flag(value: str) -> bool | None:
    return True if value.strip().lower() in ("", "true") else None


def _keys(value: str) -> tuple[str, ...] | None:
    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    return keys or None


def _role(value: str) -> Role | None:
    lowered = value.lower()
    for role in _ROLES:
        if role == lowered:
            return role
    return None


def _placement(value: str) -> Placement | None:
    return _PLACEMENTS.get(value.lower())


_APPLIERS: dict[str, Callable[[str], Any]] = {
    "depth": _int,
    "role": _role,
    "scan_depth": _int,
    "position": _placement,
    "activate": _flag,
    "dont_activate": _flag,
    "additional_keys": _keys,
    "exclude_keys": _keys,
    "activate_only_after": _int,
    "activate_only_every": _positive_int,
    "is_greeting": _int,
    "ignore_on_max_context": _flag,
}
_FIELD_OF = {"position": "placement"}
