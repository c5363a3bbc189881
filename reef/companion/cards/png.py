"""Minimal PNG chunk reader/writer: character cards ride in a portrait's text chunks.

Written by hand (no PIL) because only the chunk layer matters here: cards are read from and
written to `tEXt` chunks, and every chunk's CRC is checked so a damaged file is rejected instead
of yielding a half-read card.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from reef.companion.errors import CardTooLarge, InvalidCard

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNK_TYPES = (b"tEXt", b"zTXt", b"iTXt")

_LENGTH_AND_TYPE = struct.Struct(">I4s")
_CRC = struct.Struct(">I")
_MAX_CHUNK_LENGTH = 2**31 - 1  # the PNG specification's own limit
_ZLIB_METHOD = 0


@dataclass(frozen=True)
class PngChunk:
    """One chunk: its 4-byte type and payload (length and CRC are derived)."""

    type: bytes
    data: bytes


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def read_chunks(png: bytes) -> list[PngChunk]:
    """Every chunk up to and including IEND, each CRC-checked."""
    if not is_png(png):
        raise InvalidCard("not a PNG file: the PNG signature is missing")
    chunks: list[PngChunk] = []
    offset = len(PNG_SIGNATURE)
    while True:
        if offset + _LENGTH_AND_TYPE.size > len(png):
            raise InvalidCard("broken PNG: the file ends before the IEND chunk")
        length, chunk_type = _LENGTH_AND_TYPE.unpack_from(png, offset)
        data_start = offset + _LENGTH_AND_TYPE.size
        data_end = data_start + length
        if length > _MAX_CHUNK_LENGTH or data_end + _CRC.size > len(png):
            raise InvalidCard(f"broken PNG: chunk {_type_name(chunk_type)} is truncated")
        data = png[data_start:data_end]
        (stored_crc,) = _CRC.unpack_from(png, data_end)
        if zlib.crc32(chunk_type + data) != stored_crc:
            raise InvalidCard(f"broken PNG: CRC mismatch in chunk {_type_name(chunk_type)}")
        if not chunks and chunk_type != b"IHDR":
            raise InvalidCard("broken PNG: the first chunk is not IHDR")
        chunks.append(PngChunk(chunk_type, data))
        offset = data_end + _CRC.size
        if chunk_type == b"IEND":
            return chunks


def write_png(chunks: Iterable[PngChunk]) -> bytes:
    parts = [PNG_SIGNATURE]
    for chunk in chunks:
        parts.append(_LENGTH_AND_TYPE.pack(len(chunk.data), chunk.type))
        parts.append(chunk.data)
        parts.append(_CRC.pack(zlib.crc32(chunk.type + chunk.data)))
    return b"".join(parts)


def text_chunk(keyword: str, text: str) -> PngChunk:
    """A `tEXt` chunk (Latin-1 keyword and text, as the card formats require)."""
    try:
        payload = keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise InvalidCard("tEXt chunks hold Latin-1 text only") from exc
    return PngChunk(b"tEXt", payload)


def read_text(chunk: PngChunk, max_bytes: int) -> tuple[str, str] | None:
    """(keyword, text) of a tEXt/zTXt/iTXt chunk; None for other chunk types."""
    if chunk.type not in TEXT_CHUNK_TYPES:
        return None
    keyword_bytes, sep, rest = chunk.data.partition(b"\0")
    if not sep:
        raise InvalidCard(f"broken PNG: {_type_name(chunk.type)} chunk has no keyword")
    keyword = keyword_bytes.decode("latin-1")
    if chunk.type == b"tEXt":
        return keyword, rest.decode("latin-1")
    if chunk.type == b"zTXt":
        if not rest or rest[0] != _ZLIB_METHOD:
            raise InvalidCard(f"broken PNG: zTXt chunk {keyword!r} has an unknown compression")
        return keyword, _inflate(rest[1:], max_bytes, keyword).decode("latin-1")
    return keyword, _read_itxt(rest, max_bytes, keyword)


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid RGB PNG of one colour, built with zlib alone."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\0" + bytes(rgb) * width  # filter type 0, then the pixels
    pixels = zlib.compress(row * height, 9)
    return write_png([PngChunk(b"IHDR", header), PngChunk(b"IDAT", pixels), PngChunk(b"IEND", b"")])


def _read_itxt(rest: bytes, max_bytes: int, keyword: str) -> str:
    if len(rest) < 2:
        raise InvalidCard(f"broken PNG: iTXt chunk {keyword!r} is truncated")
    compressed, method = rest[0], rest[1]
    _language, sep1, rest = rest[2:].partition(b"\0")
    _translated, sep2, text = rest.partition(b"\0")
    if not (sep1 and sep2):
        raise InvalidCard(f"broken PNG: iTXt chunk {keyword!r} is truncated")
    if compressed:
        if method != _ZLIB_METHOD:
            raise InvalidCard(f"broken PNG: iTXt chunk {keyword!r} has an unknown compression")
        text = _inflate(text, max_bytes, keyword)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidCard(f"broken PNG: iTXt chunk {keyword!r} is not UTF-8") from exc


def _inflate(data: bytes, max_bytes: int, keyword: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise InvalidCard(f"broken PNG: text chunk {keyword!r} does not decompress") from exc
    if len(out) > max_bytes:
        raise CardTooLarge(f"text chunk {keyword!r} is larger than {max_bytes} bytes")
    return out


def _type_name(chunk_type: bytes) -> str:
    return chunk_type.decode("latin-1", errors="replace")
