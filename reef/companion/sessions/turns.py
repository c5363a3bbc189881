"""One companion turn, from stored session to stored reply.

`prepare_*` does everything that can fail on bad input before a byte is sent: load the session
(in the caller's organisation), pick the speaker, recall memories, assemble the prompt with the
model's own tokenizer, admit the request and open the engine stream. `finish` then stores the
user's message and the reply together (so a failed or abandoned turn leaves nothing behind),
updates the speaker's emotion, lets memory observe the exchange, meters it and, if asked,
speaks the reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from reef.companion.characters import repository as characters_repo
from reef.companion.characters.build import temperament_of
from reef.companion.chat_model import open_chat_model
from reef.companion.emotion import EmotionState, appraise_exchange, update_state
from reef.companion.errors import message_too_long
from reef.companion.http.schemas import GenerationOptions, RegenerateBody, SendMessageBody
from reef.companion.memory import CompanionMemory, Exchange, MemoryContext, MemoryScope
from reef.companion.memory.sql_store import memory_scope
from reef.companion.memory.wiring import MemorySpend, record_memory_spend
from reef.companion.prompt.assemble import strip_speaker_prefix
from reef.companion.prompt.turn import (
    build_prompt,
    choose_speaker,
    mood_of,
    stop_sequences,
    to_turns,
)
from reef.companion.prompt.types import ChatTurn
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
from reef.companion.sessions.inspection import inspect_turn, no_memories
from reef.companion.sessions.types import CompanionDeps, PreparedTurn, TurnMeter, TurnResult
from reef.companion.voice.service import record_speech
from reef.engine.protocol import ChatRequest, Usage
from reef.errors import InvalidRequest, ReefError
from reef.platform.admission import check_model_allowed
from reef.platform.types import Principal

log = logging.getLogger(__name__)
EXTRACTION_CONTEXT_MESSAGES = 4


class TurnRunner:
    def __init__(self, deps: CompanionDeps) -> None:
        self.deps = deps

    # -- preparing ------------------------------------------------------------------------

    async def prepare_send(
        self, principal: Principal, meter: TurnMeter, session_id: str, body: SendMessageBody
    ) -> PreparedTurn:
        config = self.deps.settings.companion
        text = body.content.strip()
        if len(body.content) > config.max_message_chars:
            raise message_too_long(len(body.content), config.max_message_chars)
        session, members, history = await self._load(principal, session_id, body.user)
        if not text and not session.is_group:
            raise InvalidRequest("content must not be empty", param="content", code="empty_message")
        new_turn = ChatTurn("user", text) if text else None
        speaker = choose_speaker(session, members, history, new_turn, body.character_id)
        turns = [*to_turns(history), *([new_turn] if new_turn else [])]
        user_message = (
            NewMessage(new_id(MESSAGE_PREFIX), "user", None, session.user_name, [Swipe(text)])
            if text
            else None
        )
        return await self._prepare(
            principal,
            meter,
            body,
            session,
            members,
            speaker,
            history,
            turns,
            user_text=text,
            user_message=user_message,
            target=None,
        )

    async def prepare_regenerate(
        self,
        principal: Principal,
        meter: TurnMeter,
        session_id: str,
        message_id: str,
        body: RegenerateBody,
    ) -> PreparedTurn:
        session, members, history = await self._load(principal, session_id, body.user)
        if not history or history[-1].id != message_id:
            if not any(m.id == message_id for m in history):
                # Older than the history loaded, or not in this session at all.
                await asyncio.to_thread(
                    sessions_repo.get_message,
                    self.deps.db,
                    principal.org_id,
                    session_id,
                    message_id,
                )
            raise InvalidRequest(
                "only the newest message can be regenerated",
                param="message_id",
                code="not_newest_message",
            )
        target = history[-1]
        if target.role != "assistant" or target.is_greeting:
            raise InvalidRequest(
                "only a generated reply can be regenerated (pick greetings with active_swipe)",
                param="message_id",
                code="not_a_generated_reply",
            )
        speaker = next((i for i, m in enumerate(members) if m.id == target.speaker_id), None)
        if speaker is None:
            raise InvalidRequest(
                "the character who wrote this message is no longer in the session",
                param="message_id",
                code="speaker_left_session",
            )
        earlier = history[:-1]
        user_text = next((m.content for m in reversed(earlier) if m.role == "user"), "")
        return await self._prepare(
            principal,
            meter,
            body,
            session,
            members,
            speaker,
            earlier,
            to_turns(earlier),
            user_text=user_text,
            user_message=None,
            target=target,
        )

    async def _load(
        self, principal: Principal, session_id: str, user: str | None
    ) -> tuple[SessionRecord, list[CharacterRecord], list[MessageRecord]]:
        db, org = self.deps.db, principal.org_id
        session = await asyncio.to_thread(sessions_repo.get_session, db, org, session_id, user=user)
        if not session.character_ids:
            raise InvalidRequest(
                "this session has no characters left",
                param="session_id",
                code="session_has_no_characters",
            )
        members = await asyncio.to_thread(
            characters_repo.get_characters, db, org, session.character_ids
        )
        history = await asyncio.to_thread(
            sessions_repo.list_messages,
            db,
            org,
            session_id,
            newest=self.deps.settings.companion.history_messages_loaded,
        )
        return session, members, history

    async def _prepare(
        self,
        principal: Principal,
        meter: TurnMeter,
        options: GenerationOptions,
        session: SessionRecord,
        members: list[CharacterRecord],
        speaker: int,
        history: list[MessageRecord],
        turns: Sequence[ChatTurn],
        *,
        user_text: str,
        user_message: NewMessage | None,
        target: MessageRecord | None,
    ) -> PreparedTurn:
        deps = self.deps
        config = deps.settings.companion
        character = members[speaker]
        model = await open_chat_model(
            character.model or session.model, deps.catalogue, deps.router, deps.settings
        )
        meter.model = model.spec.name
        temperament = temperament_of(character, config.emotion)
        mood = mood_of(character.id, history, temperament, config.emotion.neutral_radius)
        if user_message is not None:
            user_message.swipes[0] = Swipe(
                user_text, mood.state.to_dict(), model.count_tokens(user_text)
            )
        spend = MemorySpend()
        memory = deps.memory.build(
            principal.org_id, model.count_tokens, spend, chat_model=model.spec.name
        )
        scope = memory_scope(session.end_user_id, character.id)
        query = user_text or (turns[-1].content if turns else "")
        recalled = await self._recall(memory, scope, query)
        max_tokens = options.max_tokens or config.reply_max_tokens
        world_books = await asyncio.to_thread(
            deps.world_books.for_character, principal.org_id, character
        )
        prompt = await asyncio.to_thread(
            build_prompt,
            session,
            members,
            speaker,
            turns,
            model=model,
            max_tokens=max_tokens,
            memories=recalled.lines,
            mood=mood,
            settings=config,
            world_books=world_books,
        )
        if options.audio:
            check_model_allowed(principal, deps.voice.speech_model())
        await deps.services.admit(principal, model.spec.name, prompt.token_count + max_tokens)
        request = ChatRequest(
            model=model.spec.name,
            messages=[dict(message) for message in prompt.messages],
            max_tokens=max_tokens,
            temperature=options.temperature,
            top_p=options.top_p,
            seed=options.seed,
            stop=stop_sequences(session.user_name, members, speaker),
            user=session.user,
            request_id=meter.request_id,
        )
        stream = await deps.router.open_stream(request)
        meter.first_chunk(stream.model)
        return PreparedTurn(
            principal=principal,
            meter=meter,
            options=options,
            session=session,
            speaker=character,
            model=model,
            mood=mood,
            temperament=temperament,
            user_text=user_text,
            user_message=user_message,
            target=target,
            expected_last=history[-1].id if history and target is None else None,
            history=history,
            prompt=prompt,
            recalled=recalled,
            max_tokens=max_tokens,
            stream=stream,
            memory=memory,
            scope=scope,
            spend=spend,
        )

    async def _recall(
        self, memory: CompanionMemory, scope: MemoryScope, query: str
    ) -> MemoryContext:
        if not query:
            return no_memories()
        try:
            return await memory.context(scope, query)
        except ReefError as exc:
            log.warning("memory recall failed, replying without memories: %s", exc.message)
            return no_memories()

    # -- finishing ------------------------------------------------------------------------

    async def finish(
        self, turn: PreparedTurn, raw_reply: str, finish_reason: str | None
    ) -> TurnResult:
        """Store and meter a completed reply; the meter is charged whatever happens here."""
        deps = self.deps
        config = deps.settings.companion
        usage = turn.stream.usage
        status = 200
        try:
            reply = strip_speaker_prefix(raw_reply, turn.speaker.card.display_name).strip()
            appraisal = await appraise_exchange(turn.user_text, reply, settings=config.emotion)
            state = update_state(
                turn.mood.state,
                appraisal,
                turn.temperament,
                elapsed_turns=turn.mood.elapsed_turns,
                settings=config.emotion,
            )
            swipe = Swipe(
                content=reply,
                emotion=state.to_dict(),
                token_count=turn.model.count_tokens(reply),
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cached_tokens=usage.cached_tokens,
                model=turn.stream.model,
                finish_reason=finish_reason or "stop",
                inspection=self._inspect(turn, usage),
            )
            user_record, message = await self._store(turn, swipe)
        except ReefError as exc:
            status = exc.status
            raise
        finally:
            await turn.meter.succeed(usage, turn.stream.model, status=status)
        operations = await self._observe(turn, reply) if user_record is not None else None
        await record_memory_spend(
            deps.services, deps.catalogue, turn.principal, turn.meter.request_id, turn.spend
        )
        audio = await self._speak(turn, message, state) if turn.options.audio else None
        return TurnResult(
            turn.session.id,
            user_record,
            message,
            Usage(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens),
            turn.stream.model,
            operations,
            audio,
            turn.options.inspect,
        )

    def _inspect(self, turn: PreparedTurn, usage: Usage) -> dict[str, Any]:
        inspection = inspect_turn(
            turn.prompt,
            turn.recalled,
            character_id=turn.speaker.id,
            char=turn.speaker.card.display_name,
            user=turn.session.user_name,
            model=turn.stream.model,
            usage=usage,
            max_tokens=turn.max_tokens,
            context_window=turn.model.context_window,
        )
        return inspection.model_dump(mode="json")

    async def _store(
        self, turn: PreparedTurn, swipe: Swipe
    ) -> tuple[MessageRecord | None, MessageRecord]:
        db, org = self.deps.db, turn.principal.org_id
        if turn.target is not None:
            message = await asyncio.to_thread(
                sessions_repo.add_swipe, db, org, turn.session.id, turn.target.id, swipe
            )
            return None, message
        reply = NewMessage(
            turn.message_id, "assistant", turn.speaker.id, turn.speaker.card.display_name, [swipe]
        )
        new = [*([turn.user_message] if turn.user_message else []), reply]
        stored = await asyncio.to_thread(
            sessions_repo.append_messages,
            db,
            org,
            turn.session.id,
            new,
            expected_last=turn.expected_last,
        )
        return (stored[0] if turn.user_message else None), stored[-1]

    async def _observe(self, turn: PreparedTurn, reply: str) -> list[dict[str, Any]] | None:
        context = [
            {"role": m.role, "content": m.content}
            for m in turn.history[-EXTRACTION_CONTEXT_MESSAGES:]
        ]
        exchange = Exchange(
            turn.user_text,
            reply,
            turn.speaker.card.display_name,
            turn.session.user_name,
            context,
        )
        try:
            observation = await turn.memory.observe(turn.scope, exchange)
        except ReefError as exc:
            log.warning("memory could not observe the exchange: %s", exc.message)
            return None
        return [operation.to_dict() for operation in observation.operations]

    async def _speak(
        self, turn: PreparedTurn, message: MessageRecord, state: EmotionState
    ) -> dict[str, Any]:
        if not message.content.strip():
            return {"error": {"message": "the reply is empty; there is nothing to speak"}}
        voice = self.deps.voice
        try:
            spoken = await voice.speak(
                message.content,
                turn.speaker.voice,
                state.to_dict(),
                fmt=turn.options.audio_format,
                encoding=turn.options.audio_encoding,
            )
        except ReefError as exc:
            log.warning("speaking the reply failed: %s", exc.message)
            return {"error": {"message": exc.message, "type": exc.type, "code": exc.code}}
        await record_speech(
            self.deps.services,
            self.deps.catalogue,
            turn.principal,
            turn.meter.request_id,
            voice.speech_model(),
            spoken.result.characters,
        )
        return spoken.payload
