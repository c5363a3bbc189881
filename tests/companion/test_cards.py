from __future__ import annotations

import base64
import io
import json
import zipfile
import zlib
from typing import Any

import pytest

from reef.companion.cards.codec import (
    Card,
    card_from_dict,
    card_to_dict,
    export_card_json,
    export_card_png,
    parse_card,
)
from reef.companion.cards.formats import default_portrait
from reef.companion.cards.png import PngChunk, read_chunks, read_text, text_chunk, write_png
from reef.errors import InvalidRequest
from reef.settings import CompanionSettings
from tests.companion.support import DATA


def _png_with(*chunks: PngChunk) -> bytes:
    base = read_chunks(default_portrait("x"))
    return write_png([*base[:-1], *chunks, base[-1]])


def _b64(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def _text_chunks(png: bytes) -> dict[str, str]:
    found = {}
    for chunk in read_chunks(png):
        text = read_text(chunk, 10**7)
        if text:
            found[text[0]] = text[1]
    return found


def _charx(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- round trips ------------------------------------------------------------------------


def test_v2_json_round_trip_keeps_every_field(v2_json: dict[str, Any]) -> None:
    card = parse_card(json.dumps(v2_json).encode(), "card.json")
    assert card.spec == "chara_card_v2"
    assert json.loads(export_card_json(card, "v2")) == v2_json


def test_v3_json_round_trip_keeps_every_field(v3_json: dict[str, Any]) -> None:
    card = parse_card(json.dumps(v3_json, ensure_ascii=False).encode(), "card.json")
    assert card.spec == "chara_card_v3"
    assert json.loads(export_card_json(card, "v3")) == v3_json


def test_parsed_fields_are_typed(v2_card: Card, v3_card: Card) -> None:
    book = v2_card.data.character_book
    assert book is not None and book.scan_depth == 3 and book.recursive_scanning is True
    assert book.entries[0].secondary_keys == ["magic"] and book.entries[1].id == "wolves-1"
    assert v2_card.data.extensions["x_unknown_vendor"]["nested"]["deeper"] == {"k": "v"}
    assert v3_card.display_name == "Kai" and v3_card.name == "Kaito Nakamura"
    assert v3_card.data.creator_notes_multilingual is not None
    assert v3_card.data.creator_notes_multilingual["ja"] == "カイのための日本語メモ。"
    assert v3_card.data.assets is not None and v3_card.data.assets[3].type == "x_voice"
    assert v3_card.data.creation_date == 1714521600


def test_png_round_trip_v2_card(v2_json: dict[str, Any], v2_card: Card) -> None:
    png = export_card_png(v2_card)
    chunks = _text_chunks(png)
    assert set(chunks) == {"chara", "ccv3"}
    assert json.loads(base64.b64decode(chunks["chara"])) == v2_json
    reread = parse_card(png, "card.png")
    assert reread.spec == "chara_card_v3"  # ccv3 is preferred
    assert json.loads(export_card_json(reread, "v2")) == v2_json


def test_png_round_trip_v3_card(v3_json: dict[str, Any], v3_card: Card) -> None:
    png = export_card_png(v3_card)
    reread = parse_card(png, "card.png")
    assert json.loads(export_card_json(reread, "v3")) == v3_json
    backfill = json.loads(base64.b64decode(_text_chunks(png)["chara"]))
    assert backfill["spec"] == "chara_card_v2"
    contents = [entry["content"] for entry in backfill["data"]["character_book"]["entries"]]
    assert contents[0] == "Dotonbori glows with neon signs over the canal."  # decorators gone
    assert not any("@@" in content for content in contents)


def test_png_export_keeps_the_portrait_and_replaces_old_card_chunks(v3_card: Card) -> None:
    portrait = _png_with(
        text_chunk("chara", _b64({"name": "stale"})), text_chunk("Comment", "keep me")
    )
    png = export_card_png(v3_card, portrait)
    chunks = read_chunks(png)
    assert chunks[0] == read_chunks(portrait)[0]  # same IHDR
    assert [c.data for c in chunks if c.type == b"IDAT"] == [
        c.data for c in read_chunks(portrait) if c.type == b"IDAT"
    ]
    texts = _text_chunks(png)
    assert texts["Comment"] == "keep me"
    assert sum(1 for c in chunks if c.type == b"tEXt" and c.data.startswith(b"chara\0")) == 1
    assert parse_card(png).name == "Kaito Nakamura"


def test_charx_round_trip(v3_json: dict[str, Any]) -> None:
    archive = _charx(
        {
            "card.json": json.dumps(v3_json).encode(),
            "assets/background/images/stall.webp": b"RIFF....WEBP",
            "x_app.json": b"{}",
        }
    )
    card = parse_card(archive, "kai.charx")
    assert json.loads(export_card_json(card, "v3")) == v3_json


def test_v2_to_v3_export_adds_required_v3_fields(v2_card: Card) -> None:
    exported = card_to_dict(v2_card, "v3")
    assert exported["spec"] == "chara_card_v3" and exported["spec_version"] == "3.0"
    assert exported["data"]["group_only_greetings"] == []
    assert all(e["use_regex"] is False for e in exported["data"]["character_book"]["entries"])
    assert exported["data"]["extensions"] == v2_card.data.extensions


def test_missing_spec_fields_are_filled_on_export() -> None:
    minimal = {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Min"}}
    exported = json.loads(export_card_json(card_from_dict(minimal), "v2"))
    assert exported["data"]["alternate_greetings"] == []
    assert exported["data"]["extensions"] == {}
    assert exported["data"]["first_mes"] == ""


def test_json_null_for_a_required_field_means_default() -> None:
    card = card_from_dict(
        {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "N", "tags": None}}
    )
    assert card.data.tags == []


def test_v1_card_is_upgraded_to_v2() -> None:
    card = parse_card((DATA / "card_v1.json").read_bytes(), "old.json")
    assert card.spec == "chara_card_v2" and card.spec_version == "2.0"
    assert card.data.name == "Old Timer"
    assert card.data.first_mes == "Get off my lawn, <USER>."
    assert card.data.creator_notes == "V1 creator comment"
    assert card.data.extensions == {"talkativeness": "0.2"}
    exported = card_to_dict(card, "v2")
    assert exported["avatar"] == "none" and exported["create_date"] == "2023-3-3"
    assert "name" not in exported  # moved under data, not duplicated


def test_ccv3_is_preferred_over_chara() -> None:
    v2 = {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "From chara"}}
    v3 = {"spec": "chara_card_v3", "spec_version": "3.0", "data": {"name": "From ccv3"}}
    for order in ((v2, v3), (v3, v2)):
        chunks = [text_chunk("chara" if card is v2 else "ccv3", _b64(card)) for card in order]
        assert parse_card(_png_with(*chunks)).name == "From ccv3"
    assert parse_card(_png_with(text_chunk("chara", _b64(v2)))).name == "From chara"


def test_card_in_ztxt_and_itxt_chunks_is_read() -> None:
    card = {"spec": "chara_card_v3", "spec_version": "3.0", "data": {"name": "Zipped"}}
    ztxt = PngChunk(b"zTXt", b"ccv3\0\0" + zlib.compress(_b64(card).encode()))
    assert parse_card(_png_with(ztxt)).name == "Zipped"
    itxt = PngChunk(b"iTXt", b"chara\0\0\0\0\0" + _b64(card).encode())
    assert parse_card(_png_with(itxt)).name == "Zipped"


def test_base64_with_line_breaks_and_no_padding_is_accepted() -> None:
    card = {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Wrapped!"}}
    encoded = _b64(card).rstrip("=")
    wrapped = "\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20))
    assert parse_card(_png_with(text_chunk("chara", wrapped))).name == "Wrapped!"


def test_utf8_bom_in_json_file_is_accepted(v2_json: dict[str, Any]) -> None:
    card = parse_card(b"\xef\xbb\xbf" + json.dumps(v2_json).encode(), None)
    assert card.name == "Seraphina"


# --- bad cards --------------------------------------------------------------------------


def _v2(**data: Any) -> bytes:
    return json.dumps({"spec": "chara_card_v2", "spec_version": "2.0", "data": data}).encode()


@pytest.mark.parametrize(
    ("payload", "filename", "message"),
    [
        (b"", "x.json", "is empty"),
        (b"\x00\x01garbage", None, "not a character card"),
        (b"GIF89a....", "face.png", "not a PNG"),
        (b'{"spec": "chara_card_v2", "data": {', "x.json", "card JSON is invalid"),
        (b'{"name": "caf\xe9"}', "x.json", "not valid UTF-8"),
        (b"[1, 2]", "x.json", "must be an object"),
        (_v2(name="X").replace(b"chara_card_v2", b"chara_card_v9"), None, "unsupported card spec"),
        (b'{"data": {"name": "X"}}', None, "no 'spec'"),
        (b'{"description": "nameless"}', None, "no 'spec'"),
        (_v2(description="no name"), None, "card has no name"),
        (_v2(name="   "), None, "card has no name"),
        (b'{"spec": "chara_card_v2", "spec_version": "2.0"}', None, "no 'data' object"),
        (
            _v2(name="X", character_book={"extensions": {}, "entries": [{"keys": 5}]}),
            None,
            "data.character_book.entries.0.keys",
        ),
        (_v2(name="X", tags="not-a-list"), None, "data.tags"),
    ],
)
def test_bad_json_cards_are_rejected(payload: bytes, filename: str | None, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_card(payload, filename)


def test_absurdly_nested_json_is_rejected() -> None:
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(150):
        cursor["a"] = {}
        cursor = cursor["a"]
    with pytest.raises(InvalidRequest, match="nested deeper than 100 levels"):
        parse_card(_v2(name="X", extensions=deep))
    with pytest.raises(InvalidRequest, match="nested deeper than 100 levels"):
        parse_card(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_broken_png_is_rejected() -> None:
    png = bytearray(_png_with(text_chunk("chara", _b64({"name": "x"}))))
    png[-20] ^= 0x55
    with pytest.raises(InvalidRequest, match="broken PNG"):
        parse_card(bytes(png), "card.png")


def test_png_without_card_chunk_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="no 'ccv3' or 'chara' text chunk"):
        parse_card(_png_with(text_chunk("Comment", "just a picture")), "card.png")


def test_png_with_bad_base64_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="'chara' is not valid base64"):
        parse_card(_png_with(text_chunk("chara", "not*base64!")), "card.png")


def test_png_with_invalid_utf8_payload_is_rejected() -> None:
    chunk = text_chunk("ccv3", base64.b64encode(b'{"x": "\xff\xfe"}').decode())
    with pytest.raises(InvalidRequest, match="not valid UTF-8"):
        parse_card(_png_with(chunk))


def test_png_with_invalid_json_payload_is_rejected() -> None:
    chunk = text_chunk("ccv3", base64.b64encode(b'{"spec": ').decode())
    with pytest.raises(InvalidRequest, match="card JSON is invalid"):
        parse_card(_png_with(chunk))


def test_bad_charx_files_are_rejected() -> None:
    with pytest.raises(InvalidRequest, match=r"no card\.json at its root"):
        parse_card(_charx({"nested/card.json": _v2(name="X")}), "x.charx")
    with pytest.raises(InvalidRequest, match="not a valid zip"):
        parse_card(b"PK\x03\x04" + b"\0" * 30, "x.charx")


def test_size_limits_are_enforced() -> None:
    small = CompanionSettings(card_max_file_bytes=100, card_max_json_bytes=50)
    with pytest.raises(InvalidRequest, match="larger than 100 bytes"):
        parse_card(b"{" + b" " * 200 + b"}", None, settings=small)
    json_limit = CompanionSettings(card_max_json_bytes=50)
    with pytest.raises(InvalidRequest, match="larger than 50 bytes"):
        parse_card(_v2(name="a" * 60), None, settings=json_limit)
    with pytest.raises(InvalidRequest, match="larger than 50 bytes"):
        parse_card(_charx({"card.json": _v2(name="b" * 80)}), "x.charx", settings=json_limit)
