"""The page and its assets over plain HTTP: what is served, with which types and headers, and
that nothing outside the static folder can be reached."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.servers import ReefServer

LINKED = re.compile(r'(?:src|href)="(/static/[^"]+)"')
IMPORTED = re.compile(r'from "\./([^"]+)"')


def test_the_page_is_served_at_root_and_chat_with_a_strict_policy(reef_server: ReefServer) -> None:
    for path in ("/", "/chat"):
        page = httpx.get(f"{reef_server.base_url}{path}")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert '<script type="module" src="/static/main.js">' in page.text
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert page.headers["x-content-type-options"] == "nosniff"


def test_every_linked_asset_and_module_import_is_served(reef_server: ReefServer) -> None:
    """Follows the page's links and each module's imports, so a renamed file cannot slip by."""
    with httpx.Client(base_url=reef_server.base_url) as client:
        page = client.get("/chat").text
        pending = set(LINKED.findall(page))
        seen: set[str] = set()
        while pending:
            path = pending.pop()
            seen.add(path)
            asset = client.get(path)
            assert asset.status_code == 200, path
            if path.endswith(".js"):
                assert asset.headers["content-type"].startswith("text/javascript"), path
                found = {f"/static/{name}" for name in IMPORTED.findall(asset.text)}
                pending |= found - seen
        assert {
            "/static/main.js",
            "/static/base.css",
            "/static/phone.css",
            "/static/chat.js",
            "/static/sse.js",
        } <= seen


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/static/nothing.js", "asset_not_found"),
        ("/static/routes.py", "asset_not_found"),
        ("/static/__init__.py", "asset_not_found"),
        ("/static/..%2Froutes.py", "unknown_url"),
        ("/static/%2E%2E%2F__init__.py", "unknown_url"),
    ],
)
def test_nothing_but_the_static_files_can_be_fetched(
    reef_server: ReefServer, path: str, code: str
) -> None:
    response = httpx.get(f"{reef_server.base_url}{path}")
    assert response.status_code == 404
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
