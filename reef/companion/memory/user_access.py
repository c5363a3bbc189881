"""What end users may do with their memories through the API: list them with the
relationship summary, correct one, delete one, forget everything of a character (or of their
shared profile). Always within the caller's organisation and for one end user."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from reef.companion.cards.macros import apply_macros
from reef.companion.characters import repository as characters_repo
from reef.companion.chat_model import estimator
from reef.companion.errors import memory_not_found
from reef.companion.memory import CompanionMemory, Memory, MemoryOperation, MemoryScope
from reef.companion.memory.sql_store import memory_scope
from reef.companion.memory.wiring import MemoryFactory, MemorySpend, record_memory_spend
from reef.companion.sessions import repository as sessions_repo
from reef.engine.catalogue import Catalogue
from reef.platform.service import PlatformServices
from reef.platform.types import Principal
from reef.settings import Settings
from reef.store.db import Database

Memories = list[Memory]


class UserMemories:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        factory: MemoryFactory,
        services: PlatformServices,
        catalogue: Catalogue,
    ) -> None:
        self.db = db
        self.settings = settings
        self._factory = factory
        self._services = services
        self._catalogue = catalogue

    async def _memory_for(self, principal: Principal, spend: MemorySpend) -> CompanionMemory:
        count = estimator(self.settings.companion.chars_per_token_estimate)
        return self._factory.build(principal.org_id, count, spend)

    async def _scope(
        self, principal: Principal, user: str, character_id: str | None
    ) -> MemoryScope | None:
        """The (user, character) scope, or the user's profile; None if the user is unknown."""
        if character_id is not None:
            await asyncio.to_thread(
                characters_repo.get_character, self.db, principal.org_id, character_id
            )
        end_user = await asyncio.to_thread(
            characters_repo.find_end_user, self.db, principal.org_id, user
        )
        return memory_scope(end_user.id, character_id) if end_user else None

    async def list(
        self, principal: Principal, user: str, character_id: str | None
    ) -> tuple[Memories, dict[str, Any] | None]:
        scope = await self._scope(principal, user, character_id)
        if scope is None:
            return [], None
        store = self._factory.store(principal.org_id)
        summary = await store.get_summary(scope)
        char = "the character"
        if character_id is not None:
            record = await asyncio.to_thread(
                characters_repo.get_character, self.db, principal.org_id, character_id
            )
            char = record.name
        name = await self._display_name(principal, user, character_id)

        # Stored text keeps {{char}}/{{user}} so renames apply; people read it filled in, with
        # the name the user chats under (as the prompt does), not their id.
        def fill(text: str) -> str:
            return apply_macros(text, char=char, user=name)

        memories = [replace(m, text=fill(m.text)) for m in await store.list(scope)]
        summary_view = summary.to_dict() if summary else None
        if summary_view is not None:
            summary_view["text"] = fill(summary_view["text"])
        return memories, summary_view

    async def _display_name(self, principal: Principal, user: str, character_id: str | None) -> str:
        """The `user_name` of the user's latest chat (with the character, when given); the id
        when they have none left."""
        for with_character in dict.fromkeys((character_id, None)):
            latest = await asyncio.to_thread(
                sessions_repo.list_sessions,
                self.db,
                principal.org_id,
                user=user,
                character_id=with_character,
                limit=1,
            )
            if latest:
                return latest[0].user_name
        return user

    async def _scope_of_memory(
        self, principal: Principal, user: str, memory_id: str, character_id: str | None
    ) -> MemoryScope:
        """The scope holding `memory_id` for `user`. A character named that the organisation
        does not have is `character_not_found`, as on the listing routes."""
        if character_id is not None:
            await asyncio.to_thread(
                characters_repo.get_character, self.db, principal.org_id, character_id
            )
        end_user = await asyncio.to_thread(
            characters_repo.find_end_user, self.db, principal.org_id, user
        )
        if end_user is None:
            raise memory_not_found(memory_id)
        scope = await self._factory.store(principal.org_id).scope_of(end_user.id, memory_id)
        if scope is None or (character_id is not None and scope.character_id != character_id):
            raise memory_not_found(memory_id)
        return scope

    async def get(
        self, principal: Principal, user: str, memory_id: str, character_id: str | None
    ) -> Memory:
        scope = await self._scope_of_memory(principal, user, memory_id, character_id)
        found = await self._factory.store(principal.org_id).get(scope, memory_id)
        if found is None:
            raise memory_not_found(memory_id)
        return found

    async def correct(
        self,
        principal: Principal,
        user: str,
        memory_id: str,
        text: str,
        value: str | None,
        character_id: str | None,
        request_id: str,
    ) -> tuple[MemoryOperation, Memory]:
        """Correct one memory; the embedding of the new text is metered like any other."""
        scope = await self._scope_of_memory(principal, user, memory_id, character_id)
        spend = MemorySpend()
        memory = await self._memory_for(principal, spend)
        operation = await memory.correct(scope, memory_id, text, value=value)
        await record_memory_spend(self._services, self._catalogue, principal, request_id, spend)
        corrected = await self._factory.store(principal.org_id).get(scope, memory_id)
        assert corrected is not None
        return operation, corrected

    async def delete(
        self, principal: Principal, user: str, memory_id: str, character_id: str | None
    ) -> MemoryOperation:
        scope = await self._scope_of_memory(principal, user, memory_id, character_id)
        memory = await self._memory_for(principal, MemorySpend())
        return await memory.delete(scope, memory_id)

    async def forget(self, principal: Principal, user: str, character_id: str | None) -> int:
        scope = await self._scope(principal, user, character_id)
        if scope is None:
            return 0
        return await self._factory.store(principal.org_id).clear(scope)
