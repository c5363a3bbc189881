"""Chat sessions and their messages as the companion API manages them: opened with greetings,
read with each character's mood, edited, inspected, deleted; end users erased."""

from __future__ import annotations

import asyncio
from typing import Any

from reef.companion.cards.macros import apply_macros
from reef.companion.characters import repository as characters_repo
from reef.companion.characters.build import (
    temperament_of,
)
from reef.companion.chat_model import CountTokens, open_chat_model
from reef.companion.errors import message_too_long
from reef.companion.http.schemas import (
    EditMessageBody,
    SessionCreateBody,
    inspection_view,
    session_view,
)
from reef.companion.prompt.assemble import select_greeting
from reef.companion.prompt.turn import current_emotions
from reef.companion.records import (
    MESSAGE_PREFIX,
    CharacterRecord,
    MessageRecord,
    NewMessage,
    SessionRecord,
    Swipe,
    new_id,
)
from reef.companion.sessions import repository as sessions_repo
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.errors import InvalidRequest, NotFound
from reef.platform.types import Principal
from reef.settings import Settings
from reef.store.db import Database


class SessionService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        catalogue: Catalogue,
        router: Router,
    ) -> None:
        self.settings = settings
        self.db = db
        self.catalogue = catalogue
        self.router = router

    async def create_session(self, principal: Principal, body: SessionCreateBody) -> dict[str, Any]:
        ids = body.character_ids or ([body.character_id] if body.character_id else [])
        if not ids:
            raise InvalidRequest(
                "a session needs 'character_id' or 'character_ids'",
                param="character_id",
                code="missing_required_parameter",
            )
        if len(set(ids)) != len(ids):
            raise InvalidRequest(
                "character_ids lists a character twice",
                param="character_ids",
                code="duplicate_character",
            )
        members = await asyncio.to_thread(
            characters_repo.get_characters, self.db, principal.org_id, ids, viewer=body.user
        )
        name = body.model or members[0].model or self.settings.companion.default_chat_model
        model = await open_chat_model(name, self.catalogue, self.router, self.settings)
        user_name = body.user_name or self.settings.companion.default_user_name
        greetings = self._greetings(members, body.greeting_index, user_name, model.count_tokens)
        session, messages = await asyncio.to_thread(
            sessions_repo.create_session,
            self.db,
            principal.org_id,
            user=body.user,
            character_ids=ids,
            title=body.title or ", ".join(m.card.display_name for m in members)[:200],
            user_name=user_name,
            model=model.spec.name,
            speaker_strategy=body.speaker_strategy,
            greetings=greetings,
        )
        return self._session_view(session, members, messages)

    def _greetings(
        self,
        members: list[CharacterRecord],
        index: int,
        user_name: str,
        count: CountTokens,
    ) -> list[NewMessage]:
        """Each member's greeting (group: the first of each), with the alternates as swipes."""
        group = len(members) > 1
        if not group:
            select_greeting(members[0].card, index)  # InvalidRequest when out of range
        found: list[NewMessage] = []
        for member in members:
            card = member.card
            name = card.display_name
            texts = [
                apply_macros(text, char=name, user=user_name).strip()
                for text in card.greetings(group=group)
            ]
            chosen = 0 if group else index
            if not texts or not texts[chosen]:
                continue
            temperament = temperament_of(member, self.settings.companion.emotion)
            resting = temperament.resting_state(self.settings.companion.emotion.neutral_radius)
            swipes = [Swipe(text, resting.to_dict(), count(text)) for text in texts]
            found.append(
                NewMessage(
                    new_id(MESSAGE_PREFIX),
                    "assistant",
                    member.id,
                    name,
                    swipes,
                    active_swipe=chosen,
                    is_greeting=True,
                )
            )
        return found

    def _session_view(
        self,
        session: SessionRecord,
        members: list[CharacterRecord],
        messages: list[MessageRecord],
    ) -> dict[str, Any]:
        emotion = self.settings.companion.emotion
        characters = {m.id: m for m in members}
        temperaments = {m.id: temperament_of(m, emotion) for m in members}
        emotions = current_emotions(
            session, characters, temperaments, messages, emotion.neutral_radius
        )
        return session_view(session, messages, emotions)

    async def get_session(
        self, principal: Principal, session_id: str, user: str | None
    ) -> dict[str, Any]:
        org = principal.org_id
        session = await asyncio.to_thread(
            sessions_repo.get_session, self.db, org, session_id, user=user
        )
        members = await asyncio.to_thread(
            characters_repo.get_characters, self.db, org, session.character_ids
        )
        messages = await asyncio.to_thread(sessions_repo.list_messages, self.db, org, session_id)
        return self._session_view(session, members, messages)

    async def list_sessions(
        self,
        principal: Principal,
        *,
        user: str | None,
        character_id: str | None,
        limit: int,
        after: str | None = None,
    ) -> list[SessionRecord]:
        return await asyncio.to_thread(
            sessions_repo.list_sessions,
            self.db,
            principal.org_id,
            user=user,
            character_id=character_id,
            limit=limit,
            after=after,
        )

    async def delete_session(self, principal: Principal, session_id: str, user: str | None) -> None:
        await asyncio.to_thread(
            sessions_repo.delete_session, self.db, principal.org_id, session_id, user=user
        )

    # -- messages -------------------------------------------------------------------------

    async def edit_message(
        self, principal: Principal, session_id: str, message_id: str, body: EditMessageBody
    ) -> MessageRecord:
        if body.content is None and body.active_swipe is None:
            raise InvalidRequest(
                "give 'content' and/or 'active_swipe'",
                param="content",
                code="missing_required_parameter",
            )
        limit = self.settings.companion.max_message_chars
        if body.content is not None and len(body.content) > limit:
            raise message_too_long(len(body.content), limit)
        token_count = None
        if body.content is not None:
            session = await asyncio.to_thread(
                sessions_repo.get_session, self.db, principal.org_id, session_id, user=body.user
            )
            token_count = await self._count(session.model, body.content)
        return await asyncio.to_thread(
            sessions_repo.edit_message,
            self.db,
            principal.org_id,
            session_id,
            message_id,
            user=body.user,
            content=body.content,
            token_count=token_count,
            active_swipe=body.active_swipe,
        )

    async def _count(self, model_name: str, text: str) -> int:
        model = await open_chat_model(model_name, self.catalogue, self.router, self.settings)
        return model.count_tokens(text)

    async def inspect_message(
        self,
        principal: Principal,
        session_id: str,
        message_id: str,
        *,
        swipe: int | None,
        user: str | None,
    ) -> dict[str, Any]:
        """What went into the prompt of a reply's swipe (the shown one by default)."""
        message = await asyncio.to_thread(
            sessions_repo.get_message,
            self.db,
            principal.org_id,
            session_id,
            message_id,
            user=user,
        )
        return inspection_view(message, swipe)

    async def delete_message(
        self, principal: Principal, session_id: str, message_id: str, user: str | None
    ) -> None:
        await asyncio.to_thread(
            sessions_repo.delete_message,
            self.db,
            principal.org_id,
            session_id,
            message_id,
            user=user,
        )

    async def delete_end_user(self, principal: Principal, user: str) -> None:
        deleted = await asyncio.to_thread(
            characters_repo.delete_end_user, self.db, principal.org_id, user
        )
        if not deleted:
            raise NotFound(f"No end user {user!r}.", param="user", code="user_not_found")
