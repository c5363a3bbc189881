"""The values a companion turn passes between its stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from reef.companion.chat_model import ChatModel
from reef.companion.emotion import Temperament
from reef.companion.http.schemas import GenerationOptions
from reef.companion.memory import CompanionMemory, MemoryContext, MemoryScope
from reef.companion.memory.wiring import MemoryFactory, MemorySpend
from reef.companion.prompt.assemble import AssembledPrompt
from reef.companion.prompt.turn import Mood
from reef.companion.records import (
    MESSAGE_PREFIX,
    CharacterRecord,
    MessageRecord,
    NewMessage,
    SessionRecord,
    new_id,
)
from reef.companion.voice.service import VoiceService
from reef.companion.worldbooks.lore import WorldBookLore
from reef.engine.catalogue import Catalogue
from reef.engine.protocol import ChatStream, Usage
from reef.engine.router import Router
from reef.platform.service import PlatformServices
from reef.platform.types import Principal
from reef.settings import Settings
from reef.store.db import Database


class TurnMeter(Protocol):
    """The request's meter (reef.http.metering.RequestMeter): one ledger row per request."""

    request_id: str
    model: str

    def first_chunk(self, model: str) -> None: ...

    async def succeed(
        self, usage: Usage, model: str, *, aborted: bool = False, status: int = 200
    ) -> None: ...


@dataclass(frozen=True)
class CompanionDeps:
    settings: Settings
    db: Database
    catalogue: Catalogue
    router: Router
    services: PlatformServices
    memory: MemoryFactory
    voice: VoiceService
    world_books: WorldBookLore


@dataclass
class PreparedTurn:
    """An admitted turn whose engine stream is open."""

    principal: Principal
    meter: TurnMeter
    options: GenerationOptions
    session: SessionRecord
    speaker: CharacterRecord
    model: ChatModel
    mood: Mood
    temperament: Temperament
    user_text: str
    user_message: NewMessage | None
    target: MessageRecord | None
    expected_last: str | None
    history: list[MessageRecord]
    prompt: AssembledPrompt
    recalled: MemoryContext
    max_tokens: int
    stream: ChatStream
    memory: CompanionMemory
    scope: MemoryScope
    spend: MemorySpend
    message_id: str = field(default_factory=lambda: new_id(MESSAGE_PREFIX))


@dataclass(frozen=True)
class TurnResult:
    session_id: str
    user_message: MessageRecord | None
    message: MessageRecord
    usage: Usage
    model: str
    memory_operations: list[dict[str, Any]] | None
    audio: dict[str, Any] | None
    inspect: bool = False
