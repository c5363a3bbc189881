"""Card macros: `{{char}}`, `{{user}}` and the legacy `<BOT>`/`<USER>`, case-insensitive.

Substitution is one pass, so a name that itself contains a macro is not expanded again, and
any macro not known here (`{{random:...}}`, `{{time}}`, ...) is left intact for the reader.
Only deterministic macros are expanded: the prompt prefix must be identical turn after turn.
"""

from __future__ import annotations

import re

_MACRO = re.compile(
    r"\{\{(?P<curly>char|user|original)\}\}"
    r"|<(?P<angle>bot|char|user)>"
    r"|\{\{(?://|comment:|hidden_key:)(?P<hidden>.*?)\}\}",
    re.IGNORECASE | re.DOTALL,
)


def apply_macros(text: str, *, char: str, user: str, original: str | None = None) -> str:
    """`text` with the character's and user's names filled in.

    `{{original}}` becomes `original` where one is given (a card's system prompt wrapping the
    default), and stays as written elsewhere. V3 comment macros (`{{// ...}}`,
    `{{comment: ...}}`, `{{hidden_key: ...}}`) are removed: they are never for the model.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group("hidden") is not None:
            return ""
        name = (match.group("curly") or match.group("angle")).lower()
        if name in ("char", "bot"):
            return char
        if name == "user":
            return user
        return original if original is not None else match.group(0)

    return _MACRO.sub(replace, text)
