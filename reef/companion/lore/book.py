"""Which lorebook entries fire for a chat, and which of them fit the token budget.

Rules, in the spirit of the V2/V3 specs and SillyTavern (whose per-entry `extensions` keys are
honoured when a card carries them):

* disabled entries never fire; `constant` (or `@@activate`) entries always do;
* otherwise a key must appear in the last `scan_depth` messages; `selective` entries also need a
  secondary key (SillyTavern's `selectiveLogic` may turn that into NOT/ALL variants);
* with `recursive_scanning`, fired content is scanned too, for a bounded number of passes;
* fired entries are kept by priority (`priority`, else `insertion_order`, higher kept first)
  while they fit `token_budget`, and emitted in `insertion_order` (lower first);
* an entry lands before or after the character definition, or at a depth in the chat history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reef.companion.cards.macros import apply_macros
from reef.companion.cards.model import CharacterBook, LoreEntry
from reef.companion.lore.decorators import EntryRules, Role, resolve_rules, split_decorators
from reef.companion.lore.keys import MatchRule, all_keys_match, any_key_matches, key_matches
from reef.settings import CompanionSettings

LorePosition = Literal["before_char", "after_char", "at_depth"]
Trigger = Literal["constant", "key", "recursion"]
Activation = tuple[Trigger, tuple[str, ...]]
"""Why an entry fired, and the keys that matched."""

_ST_ROLES: dict[int, Role] = {0: "system", 1: "user", 2: "assistant"}
_ST_POSITIONS: dict[int, LorePosition] = {0: "before_char", 1: "after_char", 4: "at_depth"}
_ST_DEFAULT_DEPTH = 4
# SillyTavern `selectiveLogic`: how secondary keys combine with the primary match.
_AND_ANY, _NOT_ALL, _NOT_ANY, _AND_ALL = 0, 1, 2, 3


@dataclass(frozen=True)
class LoreChat:
    """What a lorebook scans: the chat (oldest first) and the facts decorators ask about."""

    messages: Sequence[str]
    char_name: str
    user_name: str
    assistant_messages: int = 0
    greeting_index: int | None = None


@dataclass(frozen=True)
class FiredLore:
    """An entry that fired, ready to place: decorators stripped, macros applied.
    `matched_keys` are the keys found in the scanned text (none for constant entries)."""

    index: int
    label: str
    content: str
    position: LorePosition
    depth: int
    role: Role
    insertion_order: float
    tokens: int
    trigger: Trigger
    entry_id: int | str | None = None
    comment: str | None = None
    matched_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoreScan:
    """Fired entries within budget (in insertion order) and those the budget left out."""

    fired: list[FiredLore]
    over_budget: list[FiredLore]
    token_budget: int

    @property
    def tokens(self) -> int:
        return sum(item.tokens for item in self.fired)

    def at(self, position: LorePosition) -> list[FiredLore]:
        return [item for item in self.fired if item.position == position]


@dataclass(frozen=True)
class _Prepared:
    index: int
    entry: LoreEntry
    rules: EntryRules
    body: str
    keys: tuple[str, ...]
    secondary: tuple[str, ...]
    match: MatchRule
    scan_depth: int

    def extension(self, key: str) -> Any:
        return self.entry.extensions.get(key)


def book_token_budget(book: CharacterBook | None, settings: CompanionSettings) -> int:
    if book is not None and book.token_budget is not None and book.token_budget > 0:
        return book.token_budget
    return settings.lore_token_budget


def scan_lorebook(
    book: CharacterBook | None,
    chat: LoreChat,
    *,
    count_tokens: Callable[[str], int],
    token_budget: int | None = None,
    case_sensitive: bool | None = None,
    settings: CompanionSettings | None = None,
) -> LoreScan:
    """Fire `book`'s entries against `chat`; `token_budget` (else the book's, else the default)
    caps the total, `case_sensitive` is the book-wide default for entries that set none."""
    config = settings or CompanionSettings()
    budget = token_budget if token_budget is not None else book_token_budget(book, config)
    if book is None or not book.entries:
        return LoreScan([], [], budget)
    default_case = config.lore_case_sensitive if case_sensitive is None else case_sensitive
    prepared = [
        _prepare(index, entry, book, chat, default_case, config)
        for index, entry in enumerate(book.entries)
    ]
    eligible = [item for item in prepared if _eligible(item, chat)]
    recursive = (
        book.recursive_scanning
        if book.recursive_scanning is not None
        else config.lore_recursive_scanning
    )
    triggers = _activate(eligible, chat, recursive, config.lore_max_recursion_steps)
    fired = [
        _fire(item, triggers[item.index], chat, count_tokens)
        for item in eligible
        if item.index in triggers
    ]
    return _fit_budget(fired, {item.index: item for item in eligible}, budget)


def _prepare(
    index: int,
    entry: LoreEntry,
    book: CharacterBook,
    chat: LoreChat,
    default_case: bool,
    config: CompanionSettings,
) -> _Prepared:
    decorators, body = split_decorators(entry.content)
    rules = resolve_rules(decorators)
    ext = entry.extensions
    case = _first_bool(entry.case_sensitive, ext.get("case_sensitive"), default_case)
    whole_words = _first_bool(ext.get("match_whole_words"), config.lore_match_whole_words)
    depth = _first_int(
        rules.scan_depth, ext.get("scan_depth"), book.scan_depth, config.lore_scan_depth
    )

    def expand(keys: Sequence[str]) -> tuple[str, ...]:
        return tuple(apply_macros(key, char=chat.char_name, user=chat.user_name) for key in keys)

    return _Prepared(
        index=index,
        entry=entry,
        rules=rules,
        body=body,
        keys=expand(entry.keys),
        secondary=expand(entry.secondary_keys or ()),
        match=MatchRule(case, whole_words, bool(entry.use_regex), config.lore_regex_timeout_s),
        scan_depth=max(depth, 0),
    )


def _eligible(item: _Prepared, chat: LoreChat) -> bool:
    rules = item.rules
    if not item.entry.enabled or not item.body.strip():
        return False
    if rules.dont_activate and not rules.activate:
        return False
    if (
        rules.activate_only_after is not None
        and chat.assistant_messages < rules.activate_only_after
    ):
        return False
    every = rules.activate_only_every
    if every is not None and chat.assistant_messages % every:
        return False
    return not (
        rules.is_greeting is not None
        and chat.greeting_index is not None
        and chat.greeting_index != rules.is_greeting
    )


def _activate(
    eligible: list[_Prepared], chat: LoreChat, recursive: bool, max_steps: int
) -> dict[int, Activation]:
    windows: dict[int, str] = {}

    def window(depth: int) -> str:
        if depth not in windows:
            windows[depth] = "\n".join(chat.messages[-depth:]) if depth > 0 else ""
        return windows[depth]

    triggers: dict[int, Activation] = {}
    for item in eligible:
        if item.entry.constant or item.rules.activate:
            triggers[item.index] = ("constant", ())
        elif _matches(item, window(item.scan_depth)):
            triggers[item.index] = ("key", _matched_keys(item, window(item.scan_depth)))
    if not recursive:
        return triggers
    newly = [item for item in eligible if item.index in triggers]
    recursed = ""
    for _ in range(max_steps):
        added = [item.body for item in newly if not item.extension("prevent_recursion")]
        if not added:
            break
        recursed += "\n" + "\n".join(added)
        newly = [
            item
            for item in eligible
            if item.index not in triggers
            and not item.extension("exclude_recursion")
            and _matches(item, window(item.scan_depth) + recursed)
        ]
        for item in newly:
            scanned = window(item.scan_depth) + recursed
            triggers[item.index] = ("recursion", _matched_keys(item, scanned))
    return triggers


def _matched_keys(item: _Prepared, text: str) -> tuple[str, ...]:
    """The keys of a fired entry found in `text`: primary and additional keys, and secondary
    keys when they had to match (not when they may only be absent)."""
    candidates = [*item.keys, *item.rules.additional_keys]
    if item.entry.selective and item.extension("selectiveLogic") not in (_NOT_ALL, _NOT_ANY):
        candidates += item.secondary
    found = (key for key in candidates if key_matches(key, text, item.match))
    return tuple(dict.fromkeys(found))


def _matches(item: _Prepared, text: str) -> bool:
    if not text or not any_key_matches(item.keys, text, item.match):
        return False
    rules = item.rules
    if rules.additional_keys and not any_key_matches(rules.additional_keys, text, item.match):
        return False
    if rules.exclude_keys and any_key_matches(rules.exclude_keys, text, item.match):
        return False
    if not item.entry.selective or not item.secondary:
        return True
    logic = item.extension("selectiveLogic")
    if logic == _NOT_ALL:
        return not all_keys_match(item.secondary, text, item.match)
    if logic == _NOT_ANY:
        return not any_key_matches(item.secondary, text, item.match)
    if logic == _AND_ALL:
        return all_keys_match(item.secondary, text, item.match)
    return any_key_matches(item.secondary, text, item.match)


def _fire(
    item: _Prepared, activation: Activation, chat: LoreChat, count_tokens: Callable[[str], int]
) -> FiredLore:
    content = apply_macros(item.body, char=chat.char_name, user=chat.user_name)
    position, depth = _placement(item)
    entry = item.entry
    role = item.rules.role or _ST_ROLES.get(_as_int(item.extension("role")) or 0, "system")
    return FiredLore(
        index=item.index,
        label=entry.name or entry.comment or (entry.keys[0] if entry.keys else f"#{item.index}"),
        content=content,
        position=position,
        depth=depth,
        role=role,
        insertion_order=float(entry.insertion_order),
        tokens=count_tokens(content),
        trigger=activation[0],
        entry_id=entry.id,
        comment=entry.comment,
        matched_keys=activation[1],
    )


def _placement(item: _Prepared) -> tuple[LorePosition, int]:
    rules = item.rules
    if rules.placement is not None:
        return rules.placement, 0
    if rules.depth is not None:
        return "at_depth", max(rules.depth, 0)
    st_position = _ST_POSITIONS.get(_as_int(item.extension("position")) or 0, "before_char")
    if st_position == "at_depth":
        depth = _as_int(item.extension("depth"))
        return "at_depth", max(depth if depth is not None else _ST_DEFAULT_DEPTH, 0)
    if item.entry.position == "after_char":
        return "after_char", 0
    if item.entry.position == "before_char":
        return "before_char", 0
    return st_position, 0


def _fit_budget(fired: list[FiredLore], by_index: dict[int, _Prepared], budget: int) -> LoreScan:
    def keep_rank(item: FiredLore) -> tuple[bool, float, int]:
        prepared = by_index[item.index]
        priority = prepared.entry.priority
        weight = float(priority) if priority is not None else item.insertion_order
        return (prepared.rules.ignore_on_max_context, -weight, item.index)

    kept: list[FiredLore] = []
    left_out: list[FiredLore] = []
    remaining = budget
    for item in sorted(fired, key=keep_rank):
        if item.tokens <= remaining:
            kept.append(item)
            remaining -= item.tokens
        else:
            left_out.append(item)
    kept.sort(key=lambda item: (item.insertion_order, item.index))
    return LoreScan(kept, left_out, budget)


def _first_bool(*candidates: Any) -> bool:
    for candidate in candidates:
        if isinstance(candidate, bool):
            return candidate
    return False


def _first_int(*candidates: Any) -> int:
    for candidate in candidates:
        number = _as_int(candidate)
        if number is not None:
            return number
    return 0


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)
