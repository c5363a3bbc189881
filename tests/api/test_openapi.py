"""The OpenAPI document is complete enough to generate a client or a console from: every JSON
operation declares a typed success schema and its error answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reef.api.app import create_app
from reef.settings import Settings

# Answers that are not JSON: audio bytes, card files, Prometheus text.
NON_JSON = {
    ("post", "/v1/audio/speech"),
    ("get", "/v1/audio/files/{org_id}/{name}"),
    ("get", "/v1/companion/characters/{character_id}/export"),
    ("get", "/metrics"),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    settings = Settings(data_dir="/nonexistent-reef-openapi", database_url=None, redis_url=None)
    return create_app(settings).openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _typed(schema: dict[str, Any], resolve: Callable[[str], dict[str, Any]]) -> bool:
    if "$ref" in schema:
        return bool(resolve(schema["$ref"]).get("properties"))
    return bool(schema.get("properties"))


def test_every_json_operation_has_a_typed_success_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    def resolve(ref: str) -> dict[str, Any]:
        return dict(schemas[ref.rsplit("/", 1)[-1]])

    untyped = []
    for method, path, op in operations(document):
        if (method, path) in NON_JSON:
            continue
        success = op["responses"].get("200") or op["responses"].get("201")
        json_schema = (success or {}).get("content", {}).get("application/json", {}).get("schema")
        if json_schema is None or not _typed(json_schema, resolve):
            untyped.append(f"{method.upper()} {path}")
    assert not untyped, f"operations without a typed 2xx JSON schema: {untyped}"
    assert len(operations(document)) >= 30


def test_openai_shaped_routes_document_their_errors(document: dict[str, Any]) -> None:
    undocumented = []
    for method, path, op in operations(document):
        tags = op.get("tags", [])
        if "minimax" in tags or not path.startswith("/v1/"):
            continue  # MiniMax answers errors as HTTP 200 + base_resp
        shape = "AnthropicError" if "anthropic" in tags else "ErrorBody"
        for status in ("400", "401", "404"):
            body = op["responses"].get(status, {}).get("content", {}).get("application/json", {})
            if body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] != shape:
                undocumented.append(f"{method.upper()} {path} {status}")
    assert not undocumented, undocumented


def test_lists_page_with_a_cursor(document: dict[str, Any]) -> None:
    for path in ("/v1/companion/characters", "/v1/companion/sessions", "/v1/companion/gallery"):
        op = document["paths"][path]["get"]
        assert {"limit", "after"} <= {p["name"] for p in op["parameters"]}
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert {"data", "has_more", "last_id"} <= set(page["properties"])
