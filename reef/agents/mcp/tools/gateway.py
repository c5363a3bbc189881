"""Gateway tools: a chat completion, embeddings and speech, each through its OpenAI route."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from mcp_types import AudioContent, CallToolResult
from pydantic import BaseModel, Field

from reef.agents.mcp.tools.results import structured
from reef.agents.mcp.twin import call_twin, without_unset

ModelName = Annotated[
    str, Field(min_length=1, description="a model of the catalogue (`GET /v1/models`)")
]


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int = 0
    total_tokens: int


class ChatOutput(BaseModel):
    request_id: str = Field(description="the ledger's id of this call")
    model: str
    content: str = Field(description="the assistant's reply")
    finish_reason: str | None
    usage: Usage


async def chat(
    model: ModelName,
    messages: Annotated[list[ChatMessage], Field(min_length=1, description="the conversation")],
    max_tokens: Annotated[int | None, Field(ge=1, description="cap on the reply")] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
) -> Annotated[CallToolResult, ChatOutput]:
    """A chat completion (`POST /v1/chat/completions`): the assistant's reply to the messages."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [m.model_dump() for m in messages],
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    answer = await call_twin("POST", "/v1/chat/completions", json=without_unset(body))
    completion = answer.json()
    choice = completion["choices"][0]
    return structured(
        ChatOutput(
            request_id=answer.request_id,
            model=completion["model"],
            content=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=Usage.model_validate(completion["usage"]),
        )
    )


class EmbeddingsOutput(BaseModel):
    request_id: str = Field(description="the ledger's id of this call")
    model: str
    embeddings: list[list[float]] = Field(description="one vector per input, in order")
    usage: Usage


async def embeddings(
    model: ModelName,
    input: Annotated[list[str], Field(min_length=1, description="the texts to embed")],
    dimensions: Annotated[int | None, Field(ge=1, description="shorten the vectors")] = None,
) -> Annotated[CallToolResult, EmbeddingsOutput]:
    """Embedding vectors of texts (`POST /v1/embeddings`)."""
    body = without_unset({"model": model, "input": input, "dimensions": dimensions})
    answer = await call_twin("POST", "/v1/embeddings", json=body)
    found = answer.json()
    vectors = [item["embedding"] for item in sorted(found["data"], key=lambda d: d["index"])]
    return structured(
        EmbeddingsOutput(
            request_id=answer.request_id,
            model=found["model"],
            embeddings=vectors,
            usage=Usage.model_validate(found["usage"]),
        )
    )


AudioFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]


class SpeechOutput(BaseModel):
    request_id: str = Field(description="the ledger's id of this call")
    model: str
    voice: str
    format: AudioFormat
    mime_type: str
    bytes: int = Field(description="size of the audio, which comes as MCP audio content")


async def speech(
    input: Annotated[str, Field(min_length=1, description="the text to speak")],
    voice: Annotated[
        str, Field(min_length=1, description="a voice id (`GET /v1/audio/voices`)")
    ] = "alloy",
    model: ModelName = "tts-1",
    response_format: AudioFormat = "mp3",
    speed: Annotated[float, Field(ge=0.25, le=4.0)] = 1.0,
    instructions: Annotated[str | None, Field(description="how to speak, e.g. cheerfully")] = None,
) -> Annotated[CallToolResult, SpeechOutput]:
    """Text to speech (`POST /v1/audio/speech`): the audio as MCP audio content (base64)."""
    body = without_unset(
        {
            "model": model,
            "input": input,
            "voice": voice,
            "response_format": response_format,
            "speed": speed,
            "instructions": instructions,
        }
    )
    answer = await call_twin("POST", "/v1/audio/speech", json=body)
    audio = answer.response.content
    mime_type = answer.response.headers.get("content-type", "application/octet-stream")
    return structured(
        SpeechOutput(
            request_id=answer.request_id,
            model=model,
            voice=voice,
            format=response_format,
            mime_type=mime_type,
            bytes=len(audio),
        ),
        extra=[AudioContent(data=base64.b64encode(audio).decode("ascii"), mime_type=mime_type)],
    )


TOOLS = (chat, embeddings, speech)
