"""What a person does on the chat page, step by step, and what the test reads back from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.support.servers import ReefServer

DATA = Path(__file__).parent / "data"
CARD = DATA / "mira.json"
TURN_TIMEOUT_MS = 90_000
LOADED_AUDIO = """() => { const p = document.getElementById('player');
  return p.readyState >= 2 && p.duration > 0 && p.src.startsWith('blob:'); }"""
PLAYING_AUDIO = """() => { const p = document.getElementById('player');
  return p.readyState >= 2 && p.duration > 0 && p.currentTime > 0 && (!p.paused || p.ended); }"""

# Records each text the streaming reply shows, so a test can tell streaming from a reply
# that appeared all at once.
RECORD_STREAMING = """
() => {
  window.__streamed = [];
  const log = document.getElementById("transcript");
  new MutationObserver(() => {
    const reply = log.querySelector(".message.streaming .bubble");
    if (reply && reply.textContent) window.__streamed.push(reply.textContent);
  }).observe(log, { childList: true, subtree: true, characterData: true });
}
"""


def sign_in(page: Page, server: ReefServer, key: str, name: str, reply_length: str) -> None:
    page.goto(f"{server.base_url}/chat")
    dialog = page.get_by_role("dialog", name="Welcome to Reef")
    expect(dialog).to_be_visible()
    dialog.get_by_label("API key").fill(key)
    dialog.get_by_label("Your name").fill(name)
    dialog.get_by_label("Reply length").select_option(reply_length)
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog).to_be_hidden()


def import_card(page: Page, card: Path = CARD) -> None:
    page.locator("#card-file").set_input_files(str(card))


def messages(page: Page) -> Locator:
    return page.locator("#transcript .message")


def wait_for_reply(page: Page, count: int) -> Locator:
    """The newest reply, once `count` messages are shown and no reply is streaming."""
    expect(messages(page)).to_have_count(count, timeout=TURN_TIMEOUT_MS)
    expect(page.locator(".message.streaming")).to_have_count(0, timeout=TURN_TIMEOUT_MS)
    expect(page.locator("#send")).to_have_attribute("data-mode", "send", timeout=TURN_TIMEOUT_MS)
    return page.locator("#transcript .message.assistant").last


def send_and_wait(page: Page, text: str, count: int) -> Locator:
    """Type `text` in the message box, press Enter, and wait for the whole reply."""
    box = page.get_by_role("textbox", name="Message", exact=True)
    box.fill(text)
    box.press("Enter")
    return wait_for_reply(page, count)


def api(server: ReefServer, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.base_url}/v1/companion",
        headers={"authorization": f"Bearer {key}"},
        timeout=30,
    )


def png_card(server: ReefServer, key: str, folder: Path) -> Path:
    """The fixture card as a PNG portrait with the card inside, as the server exports it."""
    with api(server, key) as client:
        made = client.post(
            "/characters/import", content=CARD.read_bytes(), params={"user": "maker"}
        )
        exported = client.get(
            f"/characters/{made.json()['id']}/export", params={"format": "png", "user": "maker"}
        )
        assert exported.headers["content-type"] == "image/png"
    path = folder / "mira.png"
    path.write_bytes(exported.content)
    return path


def stored_session(server: ReefServer, key: str, user: str) -> dict[str, Any]:
    """The newest session of `user`, with its messages, as the API stores it."""
    with api(server, key) as client:
        listed = client.get("/sessions", params={"user": user}).json()["data"]
        body: dict[str, Any] = client.get(
            f"/sessions/{listed[0]['id']}", params={"user": user}
        ).json()
        return body


def no_horizontal_overflow(page: Page) -> bool:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    return int(width) <= int(page.viewport_size["width"]) if page.viewport_size else False


def shown_text(content: str) -> str:
    """A message as the page shows it: *actions* become emphasis, without the asterisks."""
    return content.replace("*", "")
