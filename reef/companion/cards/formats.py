"""The containers a card travels in (JSON file, PNG portrait, CHARX zip), minus the card itself.

Kept apart from the card model so the byte-level rules (chunk keywords, base64, zip limits) can
change without touching how a card is validated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
import zlib

from reef.companion.cards.png import (
    TEXT_CHUNK_TYPES,
    PngChunk,
    is_png,
    read_chunks,
    read_text,
    solid_png,
    text_chunk,
    write_png,
)
from reef.companion.errors import CardTooLarge, InvalidCard

V2_CHUNK_KEYWORD = "chara"
V3_CHUNK_KEYWORD = "ccv3"
CHARX_CARD_PATH = "card.json"
DEFAULT_PORTRAIT_SIZE = 64

_ZIP_SIGNATURE = b"PK\x03\x04"
_UTF8_BOM = b"\xef\xbb\xbf"
_CARD_KEYWORDS = (V2_CHUNK_KEYWORD, V3_CHUNK_KEYWORD)


def extract_card_json(data: bytes, filename: str | None, *, max_json_bytes: int) -> bytes:
    """The card's JSON bytes, whichever container `data` is (format sniffed from content)."""
    label = f"{filename!r}" if filename else "card file"
    if not data:
        raise InvalidCard(f"{label} is empty")
    if is_png(data):
        return _json_from_png(data, max_json_bytes)
    if data.startswith(_ZIP_SIGNATURE):
        return _json_from_charx(data, max_json_bytes)
    stripped = data.removeprefix(_UTF8_BOM).lstrip()
    if stripped.startswith((b"{", b"[")) or (filename or "").lower().endswith(".json"):
        if len(stripped) > max_json_bytes:
            raise CardTooLarge(f"card JSON is larger than {max_json_bytes} bytes")
        return stripped
    if (filename or "").lower().endswith(".png"):
        raise InvalidCard(f"{label} is not a PNG file: the PNG signature is missing")
    raise InvalidCard(f"{label} is not a character card: expected JSON, PNG or CHARX")


def embed_card_json(portrait_png: bytes, *, v2_json: bytes, v3_json: bytes) -> bytes:
    """The portrait with fresh `chara` (V2) and `ccv3` (V3) tEXt chunks before IEND."""
    kept = [chunk for chunk in read_chunks(portrait_png) if not _is_card_chunk(chunk)]
    card_chunks = [
        text_chunk(V2_CHUNK_KEYWORD, base64.b64encode(v2_json).decode("ascii")),
        text_chunk(V3_CHUNK_KEYWORD, base64.b64encode(v3_json).decode("ascii")),
    ]
    return write_png([*kept[:-1], *card_chunks, kept[-1]])


def default_portrait(seed: str) -> bytes:
    """A small solid-colour PNG whose colour is derived from `seed` (the character's name)."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    rgb = (digest[0], digest[1], digest[2])
    return solid_png(DEFAULT_PORTRAIT_SIZE, DEFAULT_PORTRAIT_SIZE, rgb)


def _json_from_png(png: bytes, max_json_bytes: int) -> bytes:
    # base64 inflates by 4/3; allow that much text before decoding.
    max_text = max_json_bytes * 4 // 3 + 4
    found: dict[str, str] = {}
    for chunk in read_chunks(png):
        text = _card_text(chunk, max_text)
        if text is not None:
            keyword, value = text
            found.setdefault(keyword, value)
    for keyword in (V3_CHUNK_KEYWORD, V2_CHUNK_KEYWORD):
        if keyword in found:
            return _decode_base64(found[keyword], keyword)
    raise InvalidCard("PNG has no character card: no 'ccv3' or 'chara' text chunk")


def _card_text(chunk: PngChunk, max_text: int) -> tuple[str, str] | None:
    if not _is_card_chunk(chunk):
        return None
    text = read_text(chunk, max_text)
    if text is None:
        return None
    keyword, value = text
    if len(value) > max_text:
        raise CardTooLarge(f"PNG chunk {keyword!r} is larger than the card size limit")
    return keyword.lower(), value


def _is_card_chunk(chunk: PngChunk) -> bool:
    if chunk.type not in TEXT_CHUNK_TYPES:
        return False
    end = chunk.data.find(b"\0")
    return end > 0 and chunk.data[:end].decode("latin-1").lower() in _CARD_KEYWORDS


def _decode_base64(text: str, keyword: str) -> bytes:
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCard(f"PNG chunk {keyword!r} is not valid base64") from exc


def _json_from_charx(data: bytes, max_json_bytes: int) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InvalidCard("CHARX file is not a valid zip archive") from exc
    with archive:
        try:
            info = archive.getinfo(CHARX_CARD_PATH)
        except KeyError as exc:
            raise InvalidCard("CHARX file has no card.json at its root") from exc
        if info.flag_bits & 0x1:
            raise InvalidCard("CHARX file is encrypted")
        if info.file_size > max_json_bytes:
            raise CardTooLarge(f"CHARX card.json is larger than {max_json_bytes} bytes")
        try:
            with archive.open(info) as member:
                content = member.read(max_json_bytes + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise InvalidCard(f"CHARX card.json cannot be read: {exc}") from exc
    if len(content) > max_json_bytes:
        raise CardTooLarge(f"CHARX card.json is larger than {max_json_bytes} bytes")
    return content.removeprefix(_UTF8_BOM)
