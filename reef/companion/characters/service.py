"""Characters as the companion API manages them: cards built, imported, checked against the
model's window, stored, listed, updated, exported, always within one organisation."""

from __future__ import annotations

import asyncio

from reef.companion.cards.codec import Card, CardVersion, parse_card
from reef.companion.cards.upload import UploadedCard
from reef.companion.characters import repository as characters_repo
from reef.companion.characters.build import (
    ExportedCard,
    ExportFormat,
    card_from_fields,
    export_character,
    portrait_of,
    temperament_for,
    with_fields,
)
from reef.companion.characters.limits import Locate, check_card_size, locator
from reef.companion.characters.repository import CharacterChanges
from reef.companion.http.schemas import (
    CharacterCreateBody,
    CharacterUpdateBody,
)
from reef.companion.records import (
    CharacterRecord,
)
from reef.companion.voice.service import VoiceService
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.platform.types import Principal
from reef.settings import Settings
from reef.store.db import Database


class CharacterService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        catalogue: Catalogue,
        router: Router,
        voice: VoiceService,
    ) -> None:
        self.settings = settings
        self.db = db
        self.catalogue = catalogue
        self.router = router
        self.voice = voice

    def _check_model(self, name: str | None) -> str | None:
        return self.catalogue.get(name, kind="chat").name if name else None

    async def _check_size(self, card: Card, model_name: str | None, locate: Locate) -> None:
        await check_card_size(card, model_name, self.catalogue, self.router, self.settings, locate)

    async def create_character(
        self, principal: Principal, body: CharacterCreateBody, *, portrait: bytes | None = None
    ) -> CharacterRecord:
        card = card_from_fields(body.card, body)
        await self._check_size(card, body.model, locator(body.data_fields(), "card."))
        return await self._store_character(principal, body, card, portrait)

    async def import_character(
        self, principal: Principal, upload: UploadedCard, body: CharacterCreateBody
    ) -> CharacterRecord:
        """A card file (JSON, PNG or CHARX); PNG portraits are kept for export."""
        card = parse_card(upload.data, upload.filename, settings=self.settings.companion)
        overrides = body.data_fields()
        if overrides:
            card = with_fields(card, overrides)
        await self._check_size(card, body.model, locator(overrides, ""))
        return await self._store_character(principal, body, card, portrait_of(upload.data))

    async def _store_character(
        self,
        principal: Principal,
        body: CharacterCreateBody,
        card: Card,
        portrait: bytes | None,
    ) -> CharacterRecord:
        model = self._check_model(body.model)
        voice = await asyncio.to_thread(self.voice.settings_for, body.voice)
        temperament = temperament_for(body.temperament, None, self.settings.companion.emotion)
        return await asyncio.to_thread(
            characters_repo.create_character,
            self.db,
            principal.org_id,
            card=card,
            owner=body.user,
            visibility=body.visibility,
            voice=voice,
            temperament=temperament,
            model=model,
            portrait=portrait,
        )

    async def get_character(
        self, principal: Principal, character_id: str, user: str | None
    ) -> CharacterRecord:
        return await asyncio.to_thread(
            characters_repo.get_character, self.db, principal.org_id, character_id, viewer=user
        )

    async def list_characters(
        self,
        principal: Principal,
        *,
        user: str | None,
        public_only: bool,
        limit: int,
        after: str | None = None,
    ) -> list[CharacterRecord]:
        return await asyncio.to_thread(
            characters_repo.list_characters,
            self.db,
            principal.org_id,
            owner=user,
            public_only=public_only,
            limit=limit,
            after=after,
        )

    async def update_character(
        self, principal: Principal, character_id: str, body: CharacterUpdateBody
    ) -> CharacterRecord:
        current = await self.get_character(principal, character_id, body.user)
        overrides = body.data_fields()
        card = None
        if body.card is not None or overrides:
            base = card_from_fields(body.card, body) if body.card is not None else current.card
            card = with_fields(base, overrides) if body.card is None else base
        if card is not None or body.model is not None:
            model = current.model if body.model is None else body.model
            locate = locator(overrides, "card.")
            await self._check_size(card or current.card, model or None, locate)
        voice = (
            await asyncio.to_thread(self.voice.settings_for, body.voice, current.voice)
            if body.voice is not None
            else None
        )
        temperament = (
            temperament_for(body.temperament, current.temperament, self.settings.companion.emotion)
            if body.temperament is not None
            else None
        )
        changes = CharacterChanges(
            card=card,
            visibility=body.visibility,
            voice=voice,
            temperament=temperament,
            model=self._check_model(body.model),
            clear_model=body.model == "",
        )
        return await asyncio.to_thread(
            characters_repo.update_character,
            self.db,
            principal.org_id,
            character_id,
            changes,
            editor=body.user,
        )

    async def delete_character(
        self, principal: Principal, character_id: str, user: str | None
    ) -> None:
        await asyncio.to_thread(
            characters_repo.delete_character, self.db, principal.org_id, character_id, editor=user
        )

    async def export_character(
        self,
        principal: Principal,
        character_id: str,
        *,
        user: str | None,
        fmt: ExportFormat,
        version: CardVersion,
    ) -> ExportedCard:
        record = await self.get_character(principal, character_id, user)
        portrait = None
        if fmt == "png" and record.has_portrait:
            portrait = await asyncio.to_thread(
                characters_repo.character_portrait,
                self.db,
                principal.org_id,
                character_id,
                viewer=user,
            )
        return export_character(record, portrait, fmt, version)
