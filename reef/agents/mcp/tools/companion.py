"""Companion tools: the organisation's characters (list, one) and a turn of a chat session,
opening the session first when the caller names a character instead of a session."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from reef.agents.mcp.tools.results import structured
from reef.agents.mcp.twin import call_twin, without_unset

PREFIX = "/v1/companion"
SUMMARY_CHARS = 300

# Ids go into the twin's URL path, so only characters an id is made of are accepted.
ObjectId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
EndUser = Annotated[
    str | None,
    Field(min_length=1, max_length=200, description="the end user's id, for their own data"),
]


class CharacterSummary(BaseModel):
    id: str
    name: str
    visibility: str
    owner: str | None
    description: str = Field(description=f"the card's description, cut at {SUMMARY_CHARS} chars")


class CharactersOutput(BaseModel):
    request_id: str
    data: list[CharacterSummary]
    has_more: bool
    last_id: str | None = Field(description="pass as `after` for the next page")


async def companion_characters(
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    after: Annotated[
        str | None, Field(description="a character id: list the ones after it")
    ] = None,
    user: EndUser = None,
) -> Annotated[CallToolResult, CharactersOutput]:
    """The organisation's companion characters, newest first (`GET /v1/companion/characters`)."""
    params = {"limit": limit, "after": after, "user": user}
    answer = await call_twin("GET", f"{PREFIX}/characters", params=params)
    page = answer.json()
    return structured(
        CharactersOutput(
            request_id=answer.request_id,
            data=[_summary(c) for c in page["data"]],
            has_more=page["has_more"],
            last_id=page.get("last_id"),
        )
    )


class CharacterOutput(BaseModel):
    request_id: str
    character: dict[str, Any] = Field(description="the character with its whole card")


async def companion_character(
    character_id: ObjectId, user: EndUser = None
) -> Annotated[CallToolResult, CharacterOutput]:
    """One character with its card (`GET /v1/companion/characters/{id}`)."""
    answer = await call_twin("GET", f"{PREFIX}/characters/{character_id}", params={"user": user})
    return structured(CharacterOutput(request_id=answer.request_id, character=answer.json()))


class TurnOutput(BaseModel):
    request_id: str = Field(description="the ledger's id of the turn")
    session_id: str
    session_created: bool
    message_id: str
    speaker: str | None = Field(description="the character who answered")
    reply: str
    model: str
    usage: dict[str, int]


async def companion_turn(
    content: Annotated[str, Field(min_length=1, description="the user's message")],
    session_id: Annotated[ObjectId | None, Field(description="the session to continue")] = None,
    character_id: Annotated[
        ObjectId | None,
        Field(description="without `session_id`: open a session with this character"),
    ] = None,
    user: EndUser = None,
    model: Annotated[str | None, Field(description="a new session's chat model")] = None,
    max_tokens: Annotated[int | None, Field(ge=1)] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
) -> Annotated[CallToolResult, TurnOutput]:
    """Send a message in a companion chat and get the character's reply
    (`POST /v1/companion/sessions/{id}/messages`). Without `session_id`, a session with
    `character_id` is opened first for `user` (`POST /v1/companion/sessions`)."""
    created = session_id is None
    if session_id is None:
        if character_id is None or user is None:
            raise ToolError("Give `session_id`, or `character_id` and `user` to open a session.")
        opened = await call_twin(
            "POST",
            f"{PREFIX}/sessions",
            json=without_unset({"user": user, "character_id": character_id, "model": model}),
        )
        session_id = str(opened.json()["id"])
    body = {"content": content, "user": user, "max_tokens": max_tokens, "temperature": temperature}
    answer = await call_twin(
        "POST", f"{PREFIX}/sessions/{session_id}/messages", json=without_unset(body)
    )
    turn = answer.json()
    message = turn["message"]
    return structured(
        TurnOutput(
            request_id=answer.request_id,
            session_id=session_id,
            session_created=created,
            message_id=message["id"],
            speaker=message.get("name"),
            reply=message["content"],
            model=turn["model"],
            usage=turn["usage"],
        )
    )


def _summary(character: dict[str, Any]) -> CharacterSummary:
    card = character.get("card") or {}
    data = card.get("data", card) if isinstance(card, dict) else {}
    description = str(data.get("description") or "")
    return CharacterSummary(
        id=character["id"],
        name=character["name"],
        visibility=character["visibility"],
        owner=character.get("owner"),
        description=description[:SUMMARY_CHARS],
    )


TOOLS = (companion_characters, companion_character, companion_turn)
