"""`POST /v1/embeddings` (OpenAI)."""

from __future__ import annotations

import base64
import struct
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from reef.engine.protocol import Usage
from reef.errors import InvalidRequest
from reef.gateway.chat.schemas import CHARS_PER_TOKEN_ESTIMATE, EmbeddingBody
from reef.http.deps import Caller, Meter
from reef.http.schemas import COMMON_ERRORS
from reef.http.state import app_state

router = APIRouter(tags=["openai"], responses=COMMON_ERRORS)


def encode_vector(vector: list[float], encoding_format: str) -> list[float] | str:
    """`base64` is the little-endian float32 bytes, as OpenAI sends them."""
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str = Field(description="floats, or base64 float32 bytes")


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


@router.post("/v1/embeddings", name="embeddings", response_model=EmbeddingList)
async def create_embeddings(
    request: Request,
    body: EmbeddingBody,
    meter: Meter,
    principal: Caller,
) -> dict[str, Any]:
    state = app_state(request)
    meter.model = body.model
    spec = state.catalogue.get(body.model, kind="embedding")
    request.state.model = spec.name
    texts = body.texts(state.settings.max_embedding_inputs)
    if (
        body.dimensions is not None
        and spec.dimensions is not None
        and (body.dimensions > spec.dimensions)
    ):
        raise InvalidRequest(
            f"'dimensions' is {body.dimensions}, but model {spec.name!r} has only "
            f"{spec.dimensions}.",
            param="dimensions",
        )
    estimate = sum(len(t) for t in texts) // CHARS_PER_TOKEN_ESTIMATE
    await state.services.admit(principal, spec.name, estimate)
    backend = state.router.embedding_backend(spec.name)
    result = await backend.embed(texts, body.dimensions)
    usage = Usage(prompt_tokens=result.prompt_tokens)
    await meter.succeed(usage, spec.name)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode_vector(v, body.encoding_format)}
            for i, v in enumerate(result.vectors)
        ],
        "model": spec.name,
        "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens},
    }
