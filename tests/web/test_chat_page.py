"""A person's path through the chat page in a real browser, against a real `reef serve` on the
embedded engine: sign in, import a card, chat with a streamed reply, see the mood, hear the
reply, delete a memory, browse past chats and the gallery; reworking replies (swipes, edits,
deletion); and the same page on a phone, by keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, Request, expect

from tests.support.servers import ReefServer
from tests.web.conftest import OffsiteRequests
from tests.web.page_actions import (
    LOADED_AUDIO,
    PLAYING_AUDIO,
    RECORD_STREAMING,
    api,
    import_card,
    messages,
    no_horizontal_overflow,
    png_card,
    send_and_wait,
    shown_text,
    sign_in,
    stored_session,
    wait_for_reply,
)

SCREENSHOT = "/tmp/reef-web.png"
PHONE_SCREENSHOT = "/tmp/reef-web-phone.png"
FACT = "Hi Mira! My name is Sam and I have a dog named Rex."


def test_from_opening_the_page_to_hearing_a_reply(
    desktop: Page, reef_server: ReefServer, key: str, offsite: OffsiteRequests
) -> None:
    page = desktop
    api_calls: list[tuple[str, str | None]] = []

    def note_api_call(request: Request) -> None:
        if "/v1/" in request.url:
            api_calls.append((request.url, request.headers.get("authorization")))

    page.on("request", note_api_call)
    with api(reef_server, key) as client:
        public = {"name": "Juno", "first_mes": "Juno waves.", "visibility": "public"}
        assert client.post("/characters", json=public).status_code == 200
    sign_in(page, reef_server, key, "Sam", "short")
    expect(page.locator("#own-characters")).to_contain_text("Import a card")
    expect(page.locator("#gallery-characters .character")).to_have_text(re.compile("Juno"))

    # Importing a card makes the companion mine and opens a chat with its greeting.
    import_card(page)
    expect(page.locator("#own-characters .character")).to_have_text(re.compile("Mira"))
    expect(messages(page).first).to_contain_text("Oh, hello Sam! Welcome to the lighthouse.")
    expect(page.locator("#now-name")).to_have_text("Mira")
    expect(page.locator("#composer-input")).to_be_focused()

    # Sending streams the reply in, piece by piece.
    page.evaluate(RECORD_STREAMING)
    reply = send_and_wait(page, FACT, 3)
    expect(messages(page).nth(1)).to_contain_text(FACT)
    stored = stored_session(reef_server, key, "Sam")
    stored_reply = stored["messages"][-1]
    assert [m["role"] for m in stored["messages"]] == ["assistant", "user", "assistant"]
    expect(reply).to_have_attribute("data-message-id", stored_reply["id"])
    shown = shown_text(stored_reply["content"])
    expect(reply.locator(".bubble")).to_have_text(shown)
    streamed = [shown_text(part).strip() for part in page.evaluate("() => window.__streamed")]
    assert len(set(streamed)) >= 2, f"the reply did not stream in: {streamed}"
    assert all(shown.startswith(part) for part in streamed), (streamed, shown)

    # The reply's emotion: a badge on it, and the companion's current mood in the header.
    emotion = stored_reply["emotion"]
    expect(reply.locator(".emotion-badge")).to_contain_text(emotion["emotion"])
    mood = page.get_by_role("group", name="Current emotion")
    expect(mood).to_be_visible()
    expect(mood).to_have_attribute("data-emotion", emotion["emotion"])
    valence = page.get_by_role("meter", name="Valence")
    expect(valence).to_have_attribute("aria-valuenow", f"{emotion['valence']:.2f}")
    arousal = page.get_by_role("meter", name="Arousal")
    expect(arousal).to_have_attribute("aria-valuenow", f"{emotion['arousal']:.2f}")

    # The reply came spoken in Mira's voice and plays by itself; pause it, then press play.
    page.wait_for_function(LOADED_AUDIO)
    page.evaluate("() => document.getElementById('player').pause()")
    reply.get_by_role("button", name="Play the reply").click()
    page.wait_for_function(PLAYING_AUDIO)
    assert page.evaluate("() => document.getElementById('player').duration") > 0.3

    # Memories: what Mira remembers, and deleting one of them.
    page.get_by_role("button", name="Memories").click()
    panel = page.get_by_role("complementary", name="Memories")
    expect(panel).to_be_visible()
    rex = panel.locator(".memory", has_text="Rex")
    expect(rex).to_have_count(1)
    page.screenshot(path=SCREENSHOT)
    rex.get_by_role("button", name=re.compile("^Delete memory")).click()
    expect(rex).to_have_count(0)
    with api(reef_server, key) as client:
        params = {"user": "Sam", "character_id": stored["character_ids"][0]}
        left = client.get("/memories", params=params).json()["data"]
        assert left and not [m for m in left if "Rex" in m["text"]]
    expect(panel.locator(".memory")).to_have_count(len(left))

    # Correcting a memory in place.
    name = panel.locator(".memory", has_text="Sam")
    name.get_by_role("button", name=re.compile("^Edit memory")).click()
    field = panel.get_by_role("textbox", name="Correct this memory")
    expect(field).to_be_focused()
    field.fill("The user's name is Samuel.")
    field.press("Enter")
    expect(panel.locator(".memory", has_text="Samuel")).to_contain_text("corrected by you")
    with api(reef_server, key) as client:
        texts = [m["text"] for m in client.get("/memories", params=params).json()["data"]]
        assert "The user's name is Samuel." in texts

    # A new chat, then back to the first one from the list of past chats.
    page.get_by_role("button", name="New chat").click()
    expect(messages(page)).to_have_count(1)
    chats = page.locator("#session-list .session-open")
    expect(chats).to_have_count(2)
    chats.nth(1).click()
    expect(messages(page)).to_have_count(3)
    expect(messages(page).nth(1)).to_contain_text(FACT)
    expect(chats.nth(1)).to_have_attribute("aria-current", "true")

    # A companion from the gallery starts its own chat.
    page.locator("#gallery-characters .character").click()
    expect(page.locator("#now-name")).to_have_text("Juno")
    expect(messages(page)).to_have_count(1)
    expect(messages(page).first).to_contain_text("Juno waves.")
    expect(chats).to_have_count(3)

    # Reloading keeps the key, the name and the open chat.
    page.reload()
    expect(page.locator("#now-name")).to_have_text("Juno")
    expect(messages(page)).to_have_count(1)
    expect(page.get_by_role("dialog")).to_be_hidden()

    assert offsite == [], f"the page reached outside the server: {offsite}"
    assert len(api_calls) > 10
    unsigned = [url for url, auth in api_calls if auth != f"Bearer {key}"]
    assert unsigned == [], f"calls without the key as Bearer token: {unsigned}"


def test_regenerate_swipe_edit_and_delete_replies(
    desktop: Page, reef_server: ReefServer, key: str
) -> None:
    page = desktop
    sign_in(page, reef_server, key, "Sam", "short")
    import_card(page)
    greeting = messages(page).first
    expect(greeting.locator(".swipe-count")).to_have_text("1/2")
    greeting.get_by_role("button", name="Next version").click()
    expect(greeting.locator(".bubble")).to_have_text("Ahoy, Sam! Mind the stairs.")

    reply = send_and_wait(page, "Tell me about the sea.", 3)
    first = reply.locator(".bubble").inner_text()
    reply.get_by_role("button", name="Regenerate this reply").click()
    expect(reply.locator(".swipe-count")).to_have_text("2/2", timeout=90_000)
    expect(page.locator("#send")).to_have_attribute("data-mode", "send", timeout=90_000)
    reply.get_by_role("button", name="Previous version").click()
    expect(reply.locator(".swipe-count")).to_have_text("1/2")
    expect(reply.locator(".bubble")).to_have_text(first)

    reply.get_by_role("button", name="Edit message").click()
    editor = reply.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    editor.fill("The sea is *wide* and calm tonight.")
    editor.press("Enter")
    expect(reply.locator(".bubble")).to_have_text("The sea is wide and calm tonight.")
    expect(reply.locator(".bubble em")).to_have_text("wide")
    expect(reply.get_by_role("button", name="Edit message")).to_be_focused()

    user_message = messages(page).nth(1)
    user_message.get_by_role("button", name="Delete message").click()
    expect(messages(page)).to_have_count(2)
    stored = stored_session(reef_server, key, "Sam")["messages"]
    assert [m["role"] for m in stored] == ["assistant", "assistant"]
    assert stored[0]["active_swipe"] == 1
    assert stored[1]["content"] == "The sea is *wide* and calm tonight."
    assert len(stored[1]["swipes"]) == 2


def test_on_a_phone_by_keyboard_alone(
    phone: Page, reef_server: ReefServer, key: str, offsite: OffsiteRequests, tmp_path: Path
) -> None:
    page = phone
    portrait_card = png_card(reef_server, key, tmp_path)
    sign_in(page, reef_server, key, "Ann", "short")
    assert no_horizontal_overflow(page)

    # The companion list is a drawer on a phone.
    sidebar = page.locator("#sidebar")
    expect(sidebar).not_to_be_in_viewport()
    page.get_by_role("button", name="Companions and chats").press("Enter")
    expect(sidebar).to_be_in_viewport()
    import_card(page, portrait_card)
    expect(sidebar).not_to_be_in_viewport()
    expect(messages(page)).to_have_count(1)
    expect(page.locator("#now-avatar img")).to_be_visible()  # the card's portrait
    assert no_horizontal_overflow(page)

    # Keyboard only: turn spoken replies off, write two lines, send with Enter.
    box = page.locator("#composer-input")
    expect(box).to_be_focused()
    page.keyboard.press("Shift+Tab")
    speak = page.get_by_role("switch", name="Speak replies")
    expect(speak).to_be_focused()
    page.keyboard.press("Space")
    expect(speak).to_have_attribute("aria-checked", "false")
    page.keyboard.press("Tab")
    expect(box).to_be_focused()
    page.keyboard.type("Good evening!")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Is the lamp lit?")
    expect(box).to_have_value("Good evening!\nIs the lamp lit?")
    page.keyboard.press("Enter")
    expect(box).to_have_value("")
    reply = wait_for_reply(page, 3)
    sent = messages(page).nth(1).locator(".bubble")
    assert sent.inner_text() == "Good evening!\nIs the lamp lit?"
    assert no_horizontal_overflow(page)

    # Not spoken with the turn, so Play asks the speech API for it.
    assert page.evaluate("() => document.getElementById('player').src") == ""
    reply.get_by_role("button", name="Play the reply").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(LOADED_AUDIO)
    page.screenshot(path=PHONE_SCREENSHOT)
    assert offsite == []


def test_a_wrong_key_is_refused_with_the_servers_reason(
    desktop: Page, reef_server: ReefServer
) -> None:
    page = desktop
    page.goto(f"{reef_server.base_url}/")
    dialog = page.get_by_role("dialog", name="Welcome to Reef")
    dialog.get_by_label("API key").fill("sk-not-a-real-key")
    dialog.get_by_label("Your name").fill("Sam")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_role("alert")).to_contain_text("That key was not accepted")
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
