"""Reply tools on the chat page in a real browser against a real `reef serve`: Retry only
where the server can regenerate (never on a greeting, an older reply or the user's words, also
after reopening a chat), and the Inspect toggle that shows what went into a reply's prompt."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.support.servers import ReefServer
from tests.web.page_actions import DATA, api, import_card, messages, send_and_wait, sign_in

LORE_CARD = DATA / "mira_lore.json"
RETRY = "Regenerate this reply"
INSPECT = "Inspect the prompt of this reply"


def retry_buttons(message: Locator) -> Locator:
    return message.get_by_role("button", name=RETRY)


def only_the_newest_reply_has_retry(page: Page) -> None:
    shown = messages(page)
    count = shown.count()
    for index in range(count - 1):
        expect(retry_buttons(shown.nth(index))).to_have_count(0)
    expect(retry_buttons(shown.nth(count - 1))).to_be_visible()


def test_retry_only_where_regenerating_is_possible_and_inspecting_a_reply(
    desktop: Page, reef_server: ReefServer, key: str
) -> None:
    page = desktop
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    sign_in(page, reef_server, key, "Sam", "short")
    import_card(page, LORE_CARD)

    # A greeting can be swiped (when it has alternates) but never regenerated or inspected.
    greeting = messages(page).first
    expect(greeting).to_contain_text("Welcome to the lighthouse.")
    expect(retry_buttons(greeting)).to_have_count(0)
    expect(greeting.get_by_role("button", name=INSPECT)).to_have_count(0)

    reply = send_and_wait(page, "My dog Rex hates every storm.", 3)
    only_the_newest_reply_has_retry(page)
    expect(messages(page).nth(1).get_by_role("button", name=INSPECT)).to_have_count(0)

    # Inspect: what fired, what was recalled, and the tokens of each part.
    with api(reef_server, key) as client:
        sessions = client.get("/sessions", params={"user": "Sam"}).json()["data"]
        sid = sessions[0]["id"]
        reply_id = reply.get_attribute("data-message-id")
        stored = client.get(f"/sessions/{sid}/messages/{reply_id}/inspection").json()
    toggle = reply.get_by_role("button", name=INSPECT)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    panel = reply.get_by_role("region", name="What went into this reply")
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(panel.locator(".inspection-total")).to_contain_text(
        f"Prompt: {stored['prompt_tokens']} tokens"
    )
    fired = panel.locator(".lore-hit")
    expect(fired).to_have_count(2)
    expect(fired.nth(0)).to_contain_text("Storms")
    expect(fired.nth(0)).to_contain_text("matched “storm”")
    expect(fired.nth(1)).to_contain_text("Pebble")
    expect(fired.nth(1)).to_contain_text("always on")
    expect(panel).not_to_contain_text("Dragons")
    expect(panel).to_contain_text("No memory was recalled.")  # nothing known before turn 1
    for section in stored["sections"]:
        row = panel.locator(f'tr[data-section="{section["name"]}"]')
        expect(row.locator("td").first).to_have_text(str(section["tokens"]))
    toggle.click()
    expect(panel).to_have_count(0)
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # The next reply recalls what the first exchange taught; the older reply loses Retry.
    newest = send_and_wait(page, "Do you remember my dog?", 5)
    only_the_newest_reply_has_retry(page)
    newest.get_by_role("button", name=INSPECT).click()
    recalled = newest.locator(".recalled-memory")
    expect(recalled.filter(has_text="Rex")).to_have_count(1)
    expect(recalled.filter(has_text=re.compile("relevance 0\\.\\d\\d"))).not_to_have_count(0)
    expect(newest.locator(".lore-hit")).to_have_count(1)  # Pebble only: no storm this time

    # Reopening the chat draws every message afresh: still no Retry but on the newest reply.
    page.reload()
    expect(messages(page)).to_have_count(5)
    only_the_newest_reply_has_retry(page)
    assert failed == [], f"requests failed: {failed}"
    expect(page.locator(".toast")).to_have_count(0)
