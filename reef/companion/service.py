"""`CompanionService`: the companion product's services in one object, built once per server:
characters, sessions (and their messages), turns, memories, world books. Every call is within
the caller's organisation."""

from __future__ import annotations

from reef.companion.characters.service import CharacterService
from reef.companion.memory.user_access import UserMemories
from reef.companion.memory.wiring import MemoryFactory
from reef.companion.sessions.service import SessionService
from reef.companion.sessions.turns import TurnRunner
from reef.companion.sessions.types import CompanionDeps
from reef.companion.voice.service import VoiceService
from reef.companion.worldbooks.lore import WorldBookLore
from reef.companion.worldbooks.service import WorldBookService
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.platform.service import PlatformServices
from reef.settings import Settings
from reef.store.db import Database


class CompanionService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        catalogue: Catalogue,
        router: Router,
        services: PlatformServices,
        *,
        voice: VoiceService | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.catalogue = catalogue
        self.voice = voice or VoiceService(settings.speech)
        self.memory = MemoryFactory(db, catalogue, router, settings)
        self.memories = UserMemories(db, settings, self.memory, services, catalogue)
        self.world_books = WorldBookService(db, settings.companion)
        lore = WorldBookLore(db, settings.companion.worldbook_cache_books)
        self.turns = TurnRunner(
            CompanionDeps(settings, db, catalogue, router, services, self.memory, self.voice, lore)
        )
        self.characters = CharacterService(settings, db, catalogue, router, self.voice)
        self.sessions = SessionService(settings, db, catalogue, router)

    def close(self) -> None:
        self.voice.close()

    @property
    def list_limit_max(self) -> int:
        return self.settings.companion.list_limit_max
