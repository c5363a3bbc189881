"""The chat page in a real headless Chromium (Debian's, driven by Playwright) against a real
`reef serve` (the server fixtures of tests/api). No browser is downloaded: scripts/test.sh
installs Debian's `chromium` when it is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    sync_playwright,
)

# The `reef serve` fixtures of tests/api, reused (pytest finds fixtures by name in conftest).
from tests.support.servers import ReefServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
UI_TIMEOUT_MS = 10_000


# Module scope, not session: while the sync driver is open its event loop counts as running,
# which would stop pytest-asyncio from running the async tests of other modules.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; scripts/test.sh installs Debian's chromium")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


class OffsiteRequests(list[str]):
    """URLs the page asked for that are not on the Reef server (there must be none)."""


@pytest.fixture
def offsite() -> OffsiteRequests:
    return OffsiteRequests()


def open_context(
    browser: Browser, server: ReefServer, offsite: OffsiteRequests, viewport: dict[str, int]
) -> BrowserContext:
    context = browser.new_context(viewport=viewport, base_url=server.base_url)
    context.set_default_timeout(UI_TIMEOUT_MS)

    def note(request: Request) -> None:
        if not request.url.startswith((server.base_url, "blob:", "data:")):
            offsite.append(request.url)

    context.on("request", note)
    return context


def page_of(context: BrowserContext) -> Iterator[Page]:
    """A page of `context`; an uncaught script error on it fails the test."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page threw: {errors}"


@pytest.fixture
def desktop(
    browser: Browser,
    reef_server: ReefServer,
    offsite: OffsiteRequests,
) -> Iterator[Page]:
    yield from page_of(open_context(browser, reef_server, offsite, DESKTOP))


@pytest.fixture
def phone(
    browser: Browser,
    reef_server: ReefServer,
    offsite: OffsiteRequests,
) -> Iterator[Page]:
    yield from page_of(open_context(browser, reef_server, offsite, PHONE))
