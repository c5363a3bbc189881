"""Splitting text into speakable pieces: sentences, and long sentences at clause breaks.

Rendering piece by piece is what lets a stream send its first audio after one sentence instead
of after the whole text, and keeps each Piper call small."""

from __future__ import annotations

import re

# A sentence ends at . ! ? or an ellipsis (plus closing quotes/brackets) before whitespace, at
# CJK full-width terminators, or at a line break.
_BOUNDARY = re.compile(
    r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+|(?<=[\u3002\uff01\uff1f\uff1b])|\n+"
)
_CLAUSE = re.compile(r"(?<=[,;:\u2014\u2013\uff0c\u3001])\s*")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e", "no", "mt"}
)


def split_sentences(text: str, max_chars: int) -> list[str]:
    """Speakable pieces in order, none longer than `max_chars` unless a single word is."""
    pieces: list[str] = []
    for sentence in _sentences(text):
        pieces.extend(_limit_length(sentence, max_chars))
    return [p for p in pieces if any(ch.isalnum() for ch in p)]


def _sentences(text: str) -> list[str]:
    sentences: list[str] = []
    pending = ""
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = pending + text[start : match.end()]
        start = match.end()
        if _ends_with_abbreviation(candidate) and "\n" not in match.group(0):
            pending = candidate
            continue
        pending = ""
        sentences.append(" ".join(candidate.split()))
    tail = " ".join((pending + text[start:]).split())
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def _ends_with_abbreviation(candidate: str) -> bool:
    words = candidate.rstrip().split()
    if not words or not words[-1].endswith("."):
        return False
    last = words[-1].rstrip(".").lower()
    is_initial = len(last) == 1 and last.isalpha()
    return last in _ABBREVIATIONS or is_initial


def _limit_length(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    clauses = [c for c in _CLAUSE.split(sentence) if c.strip()]
    return _pack(
        [part for clause in clauses for part in _split_words(clause, max_chars)], max_chars
    )


def _split_words(clause: str, max_chars: int) -> list[str]:
    if len(clause) <= max_chars:
        return [clause.strip()]
    return _pack(clause.split(), max_chars)


def _pack(parts: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive parts with spaces while they fit."""
    packed: list[str] = []
    current = ""
    for part in parts:
        joined = f"{current} {part}" if current else part
        if len(joined) <= max_chars or not current:
            current = joined
        else:
            packed.append(current)
            current = part
    if current:
        packed.append(current)
    return packed
