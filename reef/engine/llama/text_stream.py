"""Incremental text handling for generated tokens: UTF-8 reassembly, stop strings, JSON strings."""

from __future__ import annotations

import codecs
import json


class Utf8Assembler:
    """Turns token byte pieces into text; a character split across tokens waits for its tail."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes) -> str:
        return self._decoder.decode(data)

    def flush(self) -> str:
        return self._decoder.decode(b"", True)


class StopMatcher:
    """Emits text up to (never including) the first stop string.

    A suffix that could still grow into a stop string is held back until the next piece shows
    whether it does; `flush` releases it when generation ends for another reason."""

    def __init__(self, stops: list[str]) -> None:
        self._stops = [s for s in stops if s]
        self._held = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """Returns (text safe to emit, whether a stop string was hit)."""
        if not self._stops:
            return text, False
        held = self._held + text
        first = -1
        for stop in self._stops:
            index = held.find(stop)
            if index >= 0 and (first < 0 or index < first):
                first = index
        if first >= 0:
            self._held = ""
            return held[:first], True
        keep = self._partial_suffix(held)
        self._held = held[len(held) - keep :] if keep else ""
        return held[: len(held) - keep], False

    def _partial_suffix(self, text: str) -> int:
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:size]):
                    longest = size
                    break
        return longest

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


class JsonStringDecoder:
    """Decodes the body of a JSON string literal as it streams in (after the opening quote).

    Stops at the closing quote; escapes split across pieces, including surrogate pairs, wait
    until they are complete."""

    def __init__(self) -> None:
        self.closed = False
        self._escape = ""
        self._high_surrogate = ""

    def feed(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if self.closed:
                break
            if self._escape:
                self._escape += char
                decoded = self._finish_escape()
                if decoded is not None:
                    out.append(decoded)
            elif char == "\\":
                self._escape = char
            elif char == '"':
                self.closed = True
            else:
                out.append(self._drop_lone_surrogate() + char)
        return "".join(out)

    def _finish_escape(self) -> str | None:
        escape = self._escape
        if len(escape) == 2 and escape[1] != "u":
            self._escape = ""
            return self._drop_lone_surrogate() + _SIMPLE_ESCAPES.get(escape[1], escape[1])
        if len(escape) < 6:
            return None
        self._escape = ""
        try:
            code = int(escape[2:], 16)
        except ValueError:
            return self._drop_lone_surrogate()
        if 0xD800 <= code < 0xDC00:
            lost = self._drop_lone_surrogate()
            self._high_surrogate = escape
            return lost
        if 0xDC00 <= code < 0xE000 and self._high_surrogate:
            pair = self._high_surrogate + escape
            self._high_surrogate = ""
            decoded: str = json.loads(f'"{pair}"')
            return decoded
        if 0xDC00 <= code < 0xE000:
            return self._drop_lone_surrogate() + "\ufffd"
        return self._drop_lone_surrogate() + chr(code)

    def _drop_lone_surrogate(self) -> str:
        """A high surrogate not followed by a low one is not text: replace it."""
        if not self._high_surrogate:
            return ""
        self._high_surrogate = ""
        return "\ufffd"
