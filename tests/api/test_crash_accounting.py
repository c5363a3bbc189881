"""kill -9 of `reef serve` under load loses nothing a client received in full, bills nothing twice.

Clients keep several requests in flight (streamed and plain chat on the embedded engine, speech,
companion turns with memories and audio); the instant the K-th response is complete the test
SIGKILLs the server, restarts it on the same store, and compares what each client received
with the ledger, the stored messages, emotion states and memories.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import select

from reef.store.tables import UsageEvent
from tests.support.catalogue import CHAT_MODEL
from tests.support.fixtures import async_sdk_client
from tests.support.servers import ReefServer, Store, server_env

pytestmark = pytest.mark.slow

IN_FLIGHT = 6
KILL_AFTER = (9, 13)  # the K-th complete response, per round
ROUNDS = int(os.environ.get("REEF_CRASH_ROUNDS", "2"))
KINDS = ("stream", "plain", "turn", "speech", "stream", "turn_audio")


@dataclass
class Delivered:
    """One response its client received in full, and what it was told."""

    kind: str
    request_id: str
    usage: dict[str, int] = field(default_factory=dict)
    characters: int = 0
    turn: dict[str, Any] | None = None


@dataclass
class Round:
    server: ReefServer
    key: str
    kill_after: int
    session_ids: list[str]
    delivered: list[Delivered] = field(default_factory=list)
    killed: bool = False

    def complete(self, item: Delivered) -> None:
        """Count a full response; the K-th one kills the server before anything else runs."""
        if self.killed:
            return
        self.delivered.append(item)
        if len(self.delivered) >= self.kill_after:
            assert self.server.process is not None
            self.server.process.kill()
            self.killed = True


def _usage(usage: Any) -> dict[str, int]:
    details = getattr(usage, "prompt_tokens_details", None)
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cached_tokens": (details.cached_tokens or 0) if details else 0,
    }


async def _chat(sdk: openai.AsyncOpenAI, run: Round, n: int, stream: bool) -> None:
    request_id = f"crash-{uuid.uuid4().hex}"
    messages = [{"role": "user", "content": f"Tell me about harbour number {n}."}]
    headers = {"x-request-id": request_id}
    if not stream:
        reply = await sdk.chat.completions.create(
            model=CHAT_MODEL,
            messages=messages,
            max_tokens=12,
            extra_headers=headers,  # type: ignore[arg-type]
        )
        run.complete(Delivered("plain", request_id, _usage(reply.usage)))
        return
    chunks = await sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=messages,  # type: ignore[arg-type]
        max_tokens=16,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=headers,
    )
    usage: dict[str, int] = {}
    async for chunk in chunks:  # ends only at `[DONE]`: the response was received in full
        if chunk.usage is not None:
            usage = _usage(chunk.usage)
    run.complete(Delivered("stream", request_id, usage))


async def _speech(sdk: openai.AsyncOpenAI, run: Round, n: int) -> None:
    request_id = f"crash-{uuid.uuid4().hex}"
    text = f"Ship {n} is coming home."
    audio = await sdk.audio.speech.create(
        model="tts-1",
        voice="alloy",
        input=text,
        response_format="wav",
        extra_headers={"x-request-id": request_id},
    )
    assert audio.content[:4] == b"RIFF"
    run.complete(Delivered("speech", request_id, characters=len(text)))


async def _turn(api: httpx.AsyncClient, run: Round, n: int, audio: bool) -> None:
    request_id = f"crash-{uuid.uuid4().hex}"
    session_id = run.session_ids[n % len(run.session_ids)]
    body = {
        "content": f"My name is Ann. I have a dog named Rex{n} and I love jazz.",
        "stream": True,
        "max_tokens": 12,
        "audio": audio,
        "audio_format": "wav",
    }
    done: dict[str, Any] | None = None
    finished = False
    async with api.stream(
        "POST",
        f"/sessions/{session_id}/messages",
        json=body,
        headers={"x-request-id": request_id},
    ) as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if line == "data: [DONE]":
                finished = True
            elif line.startswith("data: "):
                event = json.loads(line.removeprefix("data: "))
                if event["type"] == "turn.done":
                    done = event
    if finished and done is not None:
        run.complete(Delivered("turn_audio" if audio else "turn", request_id, turn=done))


async def _client_loop(run: Round, slot: int, counter: itertools.count[int]) -> None:
    async with (
        async_sdk_client(run.server, run.key) as sdk,
        httpx.AsyncClient(
            base_url=f"{run.server.base_url}/v1/companion",
            headers={"authorization": f"Bearer {run.key}"},
            timeout=120,
        ) as api,
    ):
        kinds = itertools.cycle(KINDS[slot:] + KINDS[:slot])
        while not run.killed:
            n = next(counter)
            kind = next(kinds)
            try:
                if kind in ("stream", "plain"):
                    await _chat(sdk, run, n, stream=kind == "stream")
                elif kind == "speech":
                    await _speech(sdk, run, n)
                else:
                    await _turn(api, run, n, audio=kind == "turn_audio")
            except (httpx.HTTPError, openai.APIError):
                if not run.killed:
                    raise
                return


def _setup_companion(server: ReefServer, key: str, sessions: int) -> list[str]:
    with httpx.Client(
        base_url=f"{server.base_url}/v1/companion",
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    ) as api:
        character = api.post(
            "/characters",
            json={
                "name": "Mira",
                "description": "Mira keeps the lighthouse.",
                "first_mes": "Hello {{user}}!",
                "model": "remote-echo",
                "voice": {"voice_id": "reef-joe-bright"},
            },
        )
        assert character.status_code == 200, character.text
        ids = []
        for index in range(sessions):
            made = api.post(
                "/sessions",
                json={"user": f"user{index}", "character_id": character.json()["id"]},
            )
            assert made.status_code == 200, made.text
            ids.append(made.json()["id"])
        return ids


def _ledger(store: Store, request_ids: list[str]) -> list[UsageEvent]:
    with store.db.session() as session:
        return list(
            session.scalars(select(UsageEvent).where(UsageEvent.request_id.in_(request_ids)))
        )


def _check_turns(server: ReefServer, key: str, turns: list[Delivered]) -> None:
    """Each delivered turn's reply, emotion and memories are stored as the client saw them."""
    with httpx.Client(
        base_url=f"{server.base_url}/v1/companion",
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    ) as api:
        for item in turns:
            assert item.turn is not None
            reply = item.turn["message"]
            stored = _session(api, item.turn["session_id"])
            by_id = {m["id"]: m for m in stored["messages"]}
            assert by_id[reply["id"]]["content"] == reply["content"]
            assert by_id[reply["id"]]["emotion"] == reply["emotion"]
            added = {
                op["value"]
                for op in item.turn["memory_operations"] or []
                if op["event"] in ("ADD", "UPDATE") and op.get("value")
            }
            remembered = {m["value"] for m in _memories(api, stored)}
            assert added <= remembered, (added, remembered)


def _session(api: httpx.Client, session_id: str) -> dict[str, Any]:
    for user_index in range(16):
        found = api.get(f"/sessions/{session_id}", params={"user": f"user{user_index}"})
        if found.status_code == 200:
            body: dict[str, Any] = found.json()
            body["_user"] = f"user{user_index}"
            return body
    raise AssertionError(f"session {session_id} not found")


def _memories(api: httpx.Client, session: dict[str, Any]) -> list[dict[str, Any]]:
    listed = api.get("/memories", params={"user": session["_user"]})
    assert listed.status_code == 200, listed.text
    data: list[dict[str, Any]] = listed.json()["data"]
    return data


def _crash_round(
    tmp_path: Path, catalogue_file: Path, database_url: str | None, index: int
) -> dict[str, int]:
    workdir = tmp_path / f"round{index}"
    workdir.mkdir()
    env = server_env(workdir / "data", catalogue_file, database_url=database_url, n_ctx=4096)
    # Metering's old 0.2 s flush window is what lost work: keep the default interval here.
    env.pop("REEF_METERING_FLUSH_INTERVAL_S")
    server = ReefServer(workdir, env).start()
    store = Store(database_url or f"sqlite:///{workdir / 'data' / 'reef.db'}")
    try:
        key = store.new_key()
        sessions = _setup_companion(server, key, 4)
        low, high = KILL_AFTER
        run = Round(server, key, low + index % (high - low + 1), sessions)
        counter = itertools.count()

        async def load() -> None:
            await asyncio.gather(*(_client_loop(run, slot, counter) for slot in range(IN_FLIGHT)))

        asyncio.run(load())
        assert server.process is not None
        assert server.process.wait(timeout=30) == -9
        server.start()  # the same store, after the crash
        rows = _ledger(store, [d.request_id for d in run.delivered])
        by_request: dict[str, list[UsageEvent]] = {}
        for row in rows:
            by_request.setdefault(row.request_id, []).append(row)
        twice = Counter((r.request_id, r.endpoint, r.model) for r in rows)
        assert max(twice.values(), default=1) == 1, "a usage record was stored twice"
        billed_tokens = delivered_tokens = billed_chars = delivered_chars = 0
        missing = [d for d in run.delivered if d.request_id not in by_request]
        for item in run.delivered:
            found = by_request.get(item.request_id, [])
            if item.kind in ("stream", "plain"):
                delivered_tokens += item.usage["completion_tokens"]
                for row in found:
                    got = {
                        "prompt_tokens": row.prompt_tokens,
                        "completion_tokens": row.completion_tokens,
                        "cached_tokens": row.cached_tokens,
                    }
                    assert got == item.usage, (item, got)
                    billed_tokens += row.completion_tokens
            elif item.kind == "speech":
                delivered_chars += item.characters
                for row in found:
                    assert row.characters == item.characters
                    billed_chars += row.characters
            else:
                assert item.turn is not None
                delivered_tokens += item.turn["usage"]["completion_tokens"]
                for row in found:
                    if row.endpoint == "companion.messages":
                        assert row.completion_tokens == item.turn["usage"]["completion_tokens"]
                        assert row.prompt_tokens == item.turn["usage"]["prompt_tokens"]
                        billed_tokens += row.completion_tokens
                spoken = [r.characters for r in found if r.endpoint == "companion.speech"]
                if item.kind == "turn_audio":
                    delivered_chars += len(item.turn["message"]["content"])
                    billed_chars += sum(spoken)
        result = {
            "delivered": len(run.delivered),
            "billed": sum(1 for d in run.delivered if by_request.get(d.request_id)),
            "delivered_completion_tokens": delivered_tokens,
            "billed_completion_tokens": billed_tokens,
            "delivered_speech_chars": delivered_chars,
            "billed_speech_chars": billed_chars,
        }
        print(f"crash round {index} ({'postgres' if database_url else 'sqlite'}): {result}")
        assert not missing, f"delivered but not in the ledger: {missing}"
        _check_turns(server, key, [d for d in run.delivered if d.turn is not None])
        return result
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()
        store.close()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_kill_9_under_load_loses_no_delivered_work(
    backend: str, tmp_path: Path, catalogue_file: Path, request: pytest.FixtureRequest
) -> None:
    database_url = None if backend == "sqlite" else str(request.getfixturevalue("pg_url"))
    results = [
        _crash_round(tmp_path, catalogue_file, database_url, index) for index in range(ROUNDS)
    ]
    for result in results:
        assert result["delivered"] == result["billed"]
        assert result["delivered_completion_tokens"] == result["billed_completion_tokens"]
        assert result["delivered_speech_chars"] == result["billed_speech_chars"]
