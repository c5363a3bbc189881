"""The world books a character's turn scans, converted to lorebooks once and kept.

A world book can hold thousands of entries; reading and converting it on every turn would cost
more than the scan itself. Converted books are kept per (id, updated_at), so a changed book is
converted again and an unchanged one costs one small query per turn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from reef.companion.cards.model import CharacterBook
from reef.companion.records import CharacterRecord
from reef.companion.worldbooks import repository as worldbooks_repo
from reef.companion.worldbooks.convert import world_book_lore
from reef.store.db import Database

_Key = tuple[str, datetime]


class WorldBookLore:
    def __init__(self, db: Database, capacity: int) -> None:
        self._db = db
        self._capacity = capacity
        self._books: OrderedDict[_Key, CharacterBook] = OrderedDict()
        self._lock = threading.Lock()

    def for_character(self, org_id: int, character: CharacterRecord) -> list[CharacterBook]:
        """Attached world books in order, then the one `extensions.world` names (blocking:
        call it off the event loop)."""
        stamps = worldbooks_repo.prompt_books(
            self._db, org_id, character.lorebooks, character.world_name
        )
        found: dict[_Key, CharacterBook] = {}
        with self._lock:
            for stamp in stamps:
                key = (stamp.id, stamp.updated_at)
                if key in self._books:
                    self._books.move_to_end(key)
                    found[key] = self._books[key]
        missing = [stamp for stamp in stamps if (stamp.id, stamp.updated_at) not in found]
        if missing:
            objects = worldbooks_repo.book_objects(
                self._db, org_id, [stamp.id for stamp in missing]
            )
            for stamp in missing:
                if stamp.id in objects:
                    found[(stamp.id, stamp.updated_at)] = world_book_lore(
                        stamp.name, objects[stamp.id]
                    )
            self._keep({key: found[key] for key in found if key[0] in objects})
        return [found[key] for key in ((s.id, s.updated_at) for s in stamps) if key in found]

    def _keep(self, books: dict[_Key, CharacterBook]) -> None:
        if self._capacity <= 0:
            return
        with self._lock:
            for key, book in books.items():
                self._books[key] = book
                self._books.move_to_end(key)
            while len(self._books) > self._capacity:
                self._books.popitem(last=False)
