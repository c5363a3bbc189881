"""How a lorebook key matches chat text, the way SillyTavern users expect.

A plain key with no spaces matches as a whole word ("cat" fires on "the cat sat", not on
"concatenate"); a key with spaces matches as a substring. Word boundaries only apply between
letters of space-separated scripts, so CJK keys still match inside running text. A key written
`/pattern/flags` is a regular expression with its own flags; with V3 `use_regex` every key is
one. An invalid pattern never matches (V3 spec), and neither does one that runs past its time
limit: cards are user uploads, so a catastrophic pattern must not stall a worker. The `regex`
module provides that time limit (and JavaScript-style `(?<name>...)` groups).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

# A letter or digit of a script that separates words with spaces (CJK, kana, hangul excluded).
_SPACED_WORD_CHAR = r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
_WORD_START = rf"(?<!{_SPACED_WORD_CHAR})"
_WORD_END = rf"(?!{_SPACED_WORD_CHAR})"
_REGEX_LITERAL = regex.compile(r"/(.+)/([a-z]*)", regex.DOTALL)
_JS_FLAGS = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "s": regex.DOTALL}
_COMPILED_KEYS_CACHED = 4096


@dataclass(frozen=True)
class MatchRule:
    """How one entry's keys are compared with the chat."""

    case_sensitive: bool = False
    whole_words: bool = True
    use_regex: bool = False
    timeout_s: float = 0.05


def key_matches(key: str, text: str, rule: MatchRule) -> bool:
    pattern = _compile(key.strip(), rule.case_sensitive, rule.whole_words, rule.use_regex)
    if pattern is None:
        return False
    try:
        return pattern.search(text, timeout=rule.timeout_s) is not None
    except TimeoutError:
        return False


def any_key_matches(keys: Iterable[str], text: str, rule: MatchRule) -> bool:
    return any(key_matches(key, text, rule) for key in keys)


def all_keys_match(keys: Iterable[str], text: str, rule: MatchRule) -> bool:
    return all(key_matches(key, text, rule) for key in keys)


def is_valid_pattern(key: str, rule: MatchRule) -> bool:
    """Whether `key` compiles under `rule` (editors can warn about broken regex keys)."""
    return _compile(key.strip(), rule.case_sensitive, rule.whole_words, rule.use_regex) is not None


@lru_cache(maxsize=_COMPILED_KEYS_CACHED)
def _compile(key: str, case_sensitive: bool, whole_words: bool, use_regex: bool) -> Any:
    """A compiled `regex` pattern (untyped module, hence Any), or None for a key that cannot
    match."""
    if not key:
        return None
    literal = _REGEX_LITERAL.fullmatch(key)
    if literal:
        flags = 0
        for letter in literal.group(2):
            flags |= _JS_FLAGS.get(letter, 0)
        return _compile_regex(literal.group(1), flags)
    case_flag = 0 if case_sensitive else regex.IGNORECASE
    if use_regex:
        return _compile_regex(key, case_flag)
    pattern = regex.escape(key)
    if whole_words and not any(char.isspace() for char in key):
        if regex.fullmatch(_SPACED_WORD_CHAR, key[0]):
            pattern = _WORD_START + pattern
        if regex.fullmatch(_SPACED_WORD_CHAR, key[-1]):
            pattern += _WORD_END
    return regex.compile(pattern, case_flag)


def _compile_regex(pattern: str, flags: int) -> Any:
    try:
        return regex.compile(pattern, flags)
    except (regex.error, ValueError, OverflowError):
        return None
