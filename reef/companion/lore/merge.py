"""One lorebook for a turn: the card's own `character_book` plus the world books attached to
the character, so all of them fire by the same rules and share one token budget."""

from __future__ import annotations

from collections.abc import Sequence

from reef.companion.cards.model import CharacterBook, LoreEntry


def with_world_books(
    own: CharacterBook | None, world_books: Sequence[CharacterBook]
) -> CharacterBook | None:
    """`own` with the world books' entries after its own. Book-wide settings (scan depth,
    token budget, recursion) stay the card book's, else the settings' defaults; SillyTavern's
    world book entries carry their own scan depth and case rules where they set one.

    SillyTavern embeds a card's world in the card and links it by name, so the same entry
    often arrives twice (embedded, and in the world book the card names): an entry with the
    keys and content of one already present is left out rather than placed twice."""
    seen = {_identity(entry) for entry in own.entries} if own is not None else set()
    extra: list[LoreEntry] = []
    for book in world_books:
        for entry in book.entries:
            identity = _identity(entry)
            if identity not in seen:
                seen.add(identity)
                extra.append(entry)
    if not extra:
        return own
    base = own if own is not None else CharacterBook()
    return base.model_copy(update={"entries": [*base.entries, *extra]})


def _identity(entry: LoreEntry) -> tuple[tuple[str, ...], str]:
    return tuple(entry.keys), entry.content
