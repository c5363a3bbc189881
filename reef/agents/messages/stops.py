"""Stop sequences handled above the engine, so the answer can say which one matched
(`stop_reason: "stop_sequence"`, `stop_sequence: "..."`) and never shows a partial one: text
that could be the start of a stop sequence is held back until it is clearly not."""

from __future__ import annotations


class StopScanner:
    def __init__(self, stops: list[str] | None) -> None:
        self.stops = [s for s in stops or [] if s]
        self.matched: str | None = None
        self._held = ""

    def feed(self, text: str) -> str:
        """The part of `text` (with what was held back) that is safe to show."""
        if self.matched is not None:
            return ""
        buffer = self._held + text
        found = [(buffer.find(s), s) for s in self.stops if s in buffer]
        if found:
            position, stop = min(found)
            self.matched, self._held = stop, ""
            return buffer[:position]
        keep = max((_overlap(buffer, s) for s in self.stops), default=0)
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


def _overlap(text: str, stop: str) -> int:
    """Length of the longest end of `text` that begins `stop`."""
    for size in range(min(len(stop) - 1, len(text)), 0, -1):
        if text.endswith(stop[:size]):
            return size
    return 0
