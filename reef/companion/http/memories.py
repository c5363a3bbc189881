"""`/v1/companion/memories` and `/users`: what a character remembers about an end user, which
the end user may see, correct and delete; and erasing an end user altogether."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request

from reef.companion.http.deps import Companions, RequiredUser, companion_router, deleted
from reef.companion.http.responses import CorrectedMemory, Memory, MemoryDeletion, MemoryPage
from reef.companion.http.schemas import MemoryCorrectionBody
from reef.companion.memory import Memory as MemoryRecord
from reef.http.deps import Caller
from reef.http.schemas import Deleted

router = companion_router()
CharacterScope = Query(None, description="omit for the user's shared profile")


def memory_view(memory: MemoryRecord, user: str) -> dict[str, Any]:
    view = memory.to_dict()
    view.pop("user_id", None)
    return {"object": "companion.memory", **view, "user": user}


@router.get("/memories", response_model=MemoryPage)
async def list_memories(
    user: RequiredUser,
    principal: Caller,
    service: Companions,
    character_id: str | None = CharacterScope,
) -> dict[str, Any]:
    """Everything the character remembers about the user, oldest first (one page), and the
    relationship summary."""
    memories, summary = await service.memories.list(principal, user, character_id)
    data = [memory_view(m, user) for m in memories]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "summary": summary,
    }


@router.get("/memories/{memory_id}", response_model=Memory)
async def get_memory(
    memory_id: str,
    user: RequiredUser,
    principal: Caller,
    service: Companions,
    character_id: str | None = CharacterScope,
) -> dict[str, Any]:
    """One memory, with its history."""
    return memory_view(await service.memories.get(principal, user, memory_id, character_id), user)


@router.patch("/memories/{memory_id}", response_model=CorrectedMemory)
async def correct_memory(
    request: Request,
    memory_id: str,
    body: MemoryCorrectionBody,
    user: RequiredUser,
    principal: Caller,
    service: Companions,
    character_id: str | None = CharacterScope,
) -> dict[str, Any]:
    """Correct a memory; its old value stays in its history."""
    operation, memory = await service.memories.correct(
        principal, user, memory_id, body.text, body.value, character_id, request.state.request_id
    )
    return {**memory_view(memory, user), "operation": operation.to_dict()}


@router.delete("/memories/{memory_id}", response_model=Deleted)
async def delete_memory(
    memory_id: str,
    user: RequiredUser,
    principal: Caller,
    service: Companions,
    character_id: str | None = CharacterScope,
) -> dict[str, Any]:
    """Delete a memory for good."""
    await service.memories.delete(principal, user, memory_id, character_id)
    return deleted(memory_id, "companion.memory")


@router.delete("/memories", response_model=MemoryDeletion)
async def forget_memories(
    user: RequiredUser,
    principal: Caller,
    service: Companions,
    character_id: str | None = CharacterScope,
) -> dict[str, Any]:
    """Delete everything the character (or, without `character_id`, the shared profile)
    remembers about the user, and the relationship summary."""
    removed = await service.memories.forget(principal, user, character_id)
    return {"object": "companion.memory.deletion", "deleted": removed}


@router.delete("/users/{user}", response_model=Deleted)
async def delete_end_user(user: str, principal: Caller, service: Companions) -> dict[str, Any]:
    """Erase an end user: their sessions, memories, summaries and the characters they own."""
    await service.sessions.delete_end_user(principal, user)
    return deleted(user, "companion.user")
