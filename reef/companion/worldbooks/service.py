"""What the world book routes call: import, list, read, export, delete, and attaching world
books to characters, always within the caller's organisation."""

from __future__ import annotations

import asyncio
from typing import Any

from reef.companion.cards.upload import UploadedCard
from reef.companion.characters import repository as characters_repo
from reef.companion.records import CharacterRecord, WorldBookRecord
from reef.companion.worldbooks import repository as worldbooks_repo
from reef.companion.worldbooks.files import export_filename, export_worldbook, read_worldbook
from reef.errors import InvalidRequest
from reef.platform.types import Principal
from reef.settings import CompanionSettings
from reef.store.db import Database


class WorldBookService:
    def __init__(self, db: Database, settings: CompanionSettings) -> None:
        self.db = db
        self.settings = settings

    async def import_worldbook(
        self, principal: Principal, upload: UploadedCard, name: str | None
    ) -> WorldBookRecord:
        """A SillyTavern world info JSON file, checked whole before it is stored."""
        file = await asyncio.to_thread(
            read_worldbook,
            upload.data,
            name=name,
            filename=upload.filename,
            settings=self.settings,
        )
        return await asyncio.to_thread(
            worldbooks_repo.create_worldbook, self.db, principal.org_id, file
        )

    async def list_worldbooks(
        self, principal: Principal, *, limit: int, after: str | None
    ) -> list[WorldBookRecord]:
        return await asyncio.to_thread(
            worldbooks_repo.list_worldbooks, self.db, principal.org_id, limit=limit, after=after
        )

    async def get_worldbook(
        self, principal: Principal, worldbook_id: str
    ) -> tuple[WorldBookRecord, dict[str, Any]]:
        return await asyncio.to_thread(
            worldbooks_repo.worldbook_file, self.db, principal.org_id, worldbook_id
        )

    async def export_worldbook(self, principal: Principal, worldbook_id: str) -> tuple[bytes, str]:
        """The file as imported, and a file name for it."""
        record, book = await self.get_worldbook(principal, worldbook_id)
        return export_worldbook(book), export_filename(record.name)

    async def delete_worldbook(self, principal: Principal, worldbook_id: str) -> None:
        await asyncio.to_thread(
            worldbooks_repo.delete_worldbook, self.db, principal.org_id, worldbook_id
        )

    async def attach(
        self,
        principal: Principal,
        character_id: str,
        worldbook_ids: list[str],
        *,
        user: str | None,
    ) -> CharacterRecord:
        """Exactly these world books, in this order, fire in the character's prompts."""
        most = self.settings.worldbooks_per_character_max
        if len(worldbook_ids) > most:
            raise InvalidRequest(
                f"a character may have at most {most} world books attached, not "
                f"{len(worldbook_ids)}",
                param="worldbook_ids",
                code="too_many_worldbooks",
            )
        return await asyncio.to_thread(
            characters_repo.set_worldbooks,
            self.db,
            principal.org_id,
            character_id,
            worldbook_ids,
            editor=user,
        )
