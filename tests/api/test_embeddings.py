"""`POST /v1/embeddings` through the official SDK on the bundled MiniLM model."""

from __future__ import annotations

import base64
import math
import struct

import httpx
import openai
import pytest

from tests.support.catalogue import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.servers import ReefServer


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_float_embeddings_for_a_list(client: openai.OpenAI) -> None:
    result = client.embeddings.create(
        model=EMBEDDING_MODEL, input=["first text", "second text"], encoding_format="float"
    )
    assert result.object == "list"
    assert result.model == EMBEDDING_MODEL
    assert [d.index for d in result.data] == [0, 1]
    assert all(len(d.embedding) == 384 for d in result.data)
    assert all(abs(norm(d.embedding) - 1) < 1e-4 for d in result.data)
    assert result.usage.prompt_tokens == result.usage.total_tokens
    # [CLS] first text [SEP] + [CLS] second text [SEP]
    assert result.usage.prompt_tokens == 8


def test_base64_matches_float(reef_server: ReefServer, key: str) -> None:
    def embed(fmt: str) -> dict[str, object]:
        response = httpx.post(
            f"{reef_server.base_url}/v1/embeddings",
            json={"model": EMBEDDING_MODEL, "input": "a single string", "encoding_format": fmt},
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        )
        assert response.status_code == 200, response.text
        return response.json()["data"][0]  # type: ignore[no-any-return]

    floats = embed("float")["embedding"]
    encoded = embed("base64")["embedding"]
    assert isinstance(encoded, str) and isinstance(floats, list)
    raw = base64.b64decode(encoded)
    decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
    assert len(decoded) == 384
    assert all(abs(a - b) < 1e-6 for a, b in zip(decoded, floats, strict=True))


def test_sdk_default_base64_decodes(client: openai.OpenAI) -> None:
    """The SDK asks for base64 by default and decodes it itself."""
    result = client.embeddings.create(model=EMBEDDING_MODEL, input="decode me")
    assert len(result.data[0].embedding) == 384
    assert abs(norm(result.data[0].embedding) - 1) < 1e-4


def test_dimensions_truncate_and_renormalise(client: openai.OpenAI) -> None:
    full = client.embeddings.create(
        model=EMBEDDING_MODEL, input="same text", encoding_format="float"
    )
    short = client.embeddings.create(
        model=EMBEDDING_MODEL, input="same text", dimensions=32, encoding_format="float"
    )
    vector = short.data[0].embedding
    assert len(vector) == 32
    assert abs(norm(vector) - 1) < 1e-4
    head = full.data[0].embedding[:32]
    scale = norm(head)
    assert all(abs(v - h / scale) < 1e-4 for v, h in zip(vector, head, strict=True))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "x", "dimensions": 385}, "dimensions"),
        ({"input": [1, 2, 3]}, "input"),
        ({"input": [[1, 2], [3]]}, "input"),
        ({"input": []}, "input"),
        ({"input": ["ok", ""]}, "input"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_bad_embedding_requests_are_400(
    reef_server: ReefServer, key: str, body: dict[str, object], param: str
) -> None:
    response = httpx.post(
        f"{reef_server.base_url}/v1/embeddings",
        json={"model": EMBEDDING_MODEL, **body},
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param


def test_too_long_input_is_context_length_exceeded(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=EMBEDDING_MODEL, input="token " * 300)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "context_length_exceeded"


def test_chat_model_cannot_embed(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model=CHAT_MODEL, input="x")
