"""Card size limits: each shown text field, all of a card's text, and its permanent prompt
against the chat model's window, checked on create, update and import with a 400
`card_too_large` naming the field; large embedded images keep working."""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from typing import Any

import httpx
import pytest

from reef.companion.cards.codec import export_card_png
from reef.companion.characters.limits import check_card_fits, check_card_text, locator
from reef.companion.chat_model import ChatModel, estimator
from reef.engine.catalogue import ModelSpec
from reef.errors import InvalidRequest
from reef.settings import CompanionSettings
from tests.companion.support import make_book, make_card
from tests.support.catalogue import CHAT_MODEL, REMOTE_MODEL
from tests.support.inprocess import error_of, ok

SETTINGS = CompanionSettings()
FIELD_CAP = SETTINGS.card_max_field_chars
AS_FILE = locator((), "")


def too_large(call: Any, *args: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        call(*args)
    assert caught.value.code == "card_too_large"
    return caught.value


def prose(chars: int) -> str:
    """Varied English-like words, so a real tokenizer does not compress them."""
    words = [f"lamp{n % 97} harbour{n % 89} tide{n % 83}" for n in range(chars // 10 + 1)]
    return " ".join(words)[:chars]


# --- the checks --------------------------------------------------------------------------


def test_each_shown_field_has_a_cap_named_by_its_path() -> None:
    check_card_text(make_card(description="x" * FIELD_CAP), SETTINGS, AS_FILE)
    cases = [
        (make_card(description="x" * (FIELD_CAP + 1)), "data.description"),
        (
            make_card(alternate_greetings=["hi", "y" * (FIELD_CAP + 1)]),
            "data.alternate_greetings.1",
        ),
        (
            make_card(book=make_book({"keys": ["a"], "content": "z" * (FIELD_CAP + 1)})),
            "data.character_book.entries.0.content",
        ),
    ]
    for card, path in cases:
        assert too_large(check_card_text, card, SETTINGS, AS_FILE).param == path
    given = locator(("description",), "card.")
    big = make_card(description="x" * (FIELD_CAP + 1))
    assert too_large(check_card_text, big, SETTINGS, given).param == "description"
    assert too_large(check_card_text, big, SETTINGS, locator((), "card.")).param == (
        "card.data.description"
    )


def test_all_text_together_has_a_cap_but_embedded_images_do_not_count() -> None:
    settings = CompanionSettings(card_max_text_chars=10_000)
    greetings = ["g" * 3000, "h" * 3500, "i" * 3000, "j" * 1000]
    error = too_large(check_card_text, make_card(alternate_greetings=greetings), settings, AS_FILE)
    assert error.param == "data.alternate_greetings.1" and "10000" in error.message
    vendor = make_card(extensions={"x_vendor": {"blob": "v" * 11_000}})
    assert (
        too_large(check_card_text, vendor, settings, AS_FILE).param
        == "data.extensions.x_vendor.blob"
    )
    image = "data:image/png;base64," + "A" * 50_000
    with_asset = make_card(assets=[{"type": "icon", "uri": image, "name": "main", "ext": "png"}])
    check_card_text(with_asset, settings, AS_FILE)


def test_the_permanent_prompt_must_leave_room_in_the_models_window() -> None:
    spec = ModelSpec(name="estimated", backend="openai", base_url="http://x", context_length=2048)
    model = ChatModel(spec, estimator(4.0), 2048, exact_tokens=False)
    check_card_fits(make_card(description="d" * 3600), model, SETTINGS, AS_FILE)  # ~900 tokens
    error = too_large(
        check_card_fits,
        make_card(description="d" * 3000, scenario="s" * 2000),
        model,
        SETTINGS,
        AS_FILE,
    )
    assert error.param == "data.description" and "1024" in error.message
    small = ChatModel(spec, estimator(4.0), 512, exact_tokens=False)
    tight = too_large(check_card_fits, make_card(personality="p" * 800), small, SETTINGS, AS_FILE)
    assert tight.param == "data.personality"  # 512 - 300 reply tokens leaves 212


# --- over HTTP -----------------------------------------------------------------------------


def card_json(**data: Any) -> dict[str, Any]:
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Big", **data}}


def test_create_update_and_import_refuse_oversized_cards(api: httpx.Client) -> None:
    huge = "x" * (FIELD_CAP + 1)
    cases = [
        (api.post("/characters", json={"name": "Big", "description": huge}), "description"),
        (api.post("/characters", json={"card": card_json(scenario=huge)}), "card.data.scenario"),
        (
            api.post("/characters/import", content=json.dumps(card_json(first_mes=huge))),
            "data.first_mes",
        ),
        (
            api.post(
                "/characters",
                json={"name": "Big", "alternate_greetings": ["y" * 30_000] * 20},
            ),
            None,
        ),
    ]
    for response, param in cases:
        error = error_of(response, 400)
        assert error["code"] == "card_too_large", error
        if param is None:
            assert error["param"].startswith("alternate_greetings."), error
            assert "characters of text" in error["message"]
        else:
            assert error["param"] == param, error
    mira = ok(api.post("/characters", json={"name": "Mira", "description": "Keeps the light."}))
    patched = api.patch(f"/characters/{mira['id']}", json={"personality": huge})
    assert error_of(patched, 400)["param"] == "personality"
    assert [c["id"] for c in ok(api.get("/characters"))["data"]] == [mira["id"]]
    assert ok(api.get(f"/characters/{mira['id']}")) == mira


def test_a_card_too_big_for_the_models_window_is_refused_with_its_tokens(api: httpx.Client) -> None:
    # SmolLM2 here has a 2048-token window: the persona may take half, counted by its tokenizer.
    long = prose(12_000)
    refused = api.post("/characters", json={"name": "Talker", "description": long})
    error = error_of(refused, 400)
    assert (error["code"], error["param"]) == ("card_too_large", "description")
    assert "tokens" in error["message"] and CHAT_MODEL in error["message"]

    # The remote model's larger window takes it; switching to SmolLM2 is then refused.
    medium = prose(6000)
    remote = ok(
        api.post("/characters", json={"name": "T", "description": medium, "model": REMOTE_MODEL})
    )
    switched = api.patch(f"/characters/{remote['id']}", json={"model": CHAT_MODEL})
    assert error_of(switched, 400)["param"] == "card.data.description"
    assert ok(api.get(f"/characters/{remote['id']}"))["model"] == REMOTE_MODEL
    assert len(ok(api.get("/characters"))["data"]) == 1


def random_png(width: int, height: int) -> bytes:
    """A real RGB PNG of noise (incompressible, so several MB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )


def test_large_embedded_images_keep_working(api: httpx.Client) -> None:
    card = make_card("Painted", description="Has a large portrait.")
    portrait = random_png(1300, 1300)
    assert len(portrait) > 5_000_000
    png = export_card_png(card, portrait)
    imported = ok(api.post("/characters/import", files={"file": ("painted.png", png, "image/png")}))
    assert imported["has_portrait"] is True
    back = api.get(f"/characters/{imported['id']}/export", params={"format": "png"})
    assert len(back.content) > 5_000_000

    image = "data:image/png;base64," + base64.b64encode(portrait[:3_000_000]).decode()
    v3 = {
        "spec": "chara_card_v3",
        "spec_version": "3.0",
        "data": {
            "name": "Assets",
            "description": "Carries its icon inline.",
            "assets": [{"type": "icon", "uri": image, "name": "main", "ext": "png"}],
        },
    }
    with_asset = ok(api.post("/characters/import", content=json.dumps(v3).encode()))
    assert with_asset["card"]["data"]["assets"][0]["uri"] == image
