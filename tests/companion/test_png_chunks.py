from __future__ import annotations

import struct
import zlib

import pytest

from reef.companion.cards.png import (
    PNG_SIGNATURE,
    PngChunk,
    read_chunks,
    read_text,
    solid_png,
    text_chunk,
    write_png,
)
from reef.errors import InvalidRequest


def test_solid_png_is_a_valid_png_with_the_requested_size_and_pixels() -> None:
    png = solid_png(3, 2, (10, 20, 30))
    chunks = read_chunks(png)
    assert [chunk.type for chunk in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, bit_depth, colour_type = struct.unpack(">IIBB", chunks[0].data[:10])
    assert (width, height, bit_depth, colour_type) == (3, 2, 8, 2)
    rows = zlib.decompress(chunks[1].data)
    assert rows == (b"\0" + bytes((10, 20, 30)) * 3) * 2


def test_chunks_round_trip_through_write_and_read() -> None:
    original = read_chunks(solid_png(4, 4, (1, 2, 3)))
    with_text = [*original[:-1], text_chunk("Comment", "hello"), original[-1]]
    assert read_chunks(write_png(with_text)) == with_text


def test_crc_mismatch_is_rejected_naming_the_chunk() -> None:
    png = bytearray(solid_png(2, 2, (0, 0, 0)))
    idat = png.index(b"IDAT")
    png[idat + 5] ^= 0xFF  # flip a payload byte of IDAT
    with pytest.raises(InvalidRequest, match="CRC mismatch in chunk IDAT"):
        read_chunks(bytes(png))


def test_truncated_png_is_rejected() -> None:
    png = solid_png(2, 2, (0, 0, 0))
    with pytest.raises(InvalidRequest, match="chunk IEND is truncated"):
        read_chunks(png[:-2])
    with pytest.raises(InvalidRequest, match="ends before the IEND"):
        read_chunks(png[: len(PNG_SIGNATURE) + 25])


def test_missing_signature_and_wrong_first_chunk_are_rejected() -> None:
    with pytest.raises(InvalidRequest, match="signature"):
        read_chunks(b"GIF89a" + b"\0" * 40)
    body = write_png([PngChunk(b"IDAT", b""), PngChunk(b"IEND", b"")])
    with pytest.raises(InvalidRequest, match="first chunk is not IHDR"):
        read_chunks(body)


def test_ztxt_and_itxt_chunks_are_read() -> None:
    ztxt = PngChunk(b"zTXt", b"ccv3\0\0" + zlib.compress(b"compressed text"))
    itxt_plain = PngChunk(b"iTXt", b"chara\0\0\0en\0chara\0" + "ünï".encode())
    itxt_zip = PngChunk(b"iTXt", b"chara\0\1\0\0\0" + zlib.compress("日本".encode()))
    assert read_text(ztxt, 1000) == ("ccv3", "compressed text")
    assert read_text(itxt_plain, 1000) == ("chara", "ünï")
    assert read_text(itxt_zip, 1000) == ("chara", "日本")
    assert read_text(PngChunk(b"IDAT", b"x"), 1000) is None


def test_compressed_text_larger_than_the_limit_is_rejected() -> None:
    bomb = PngChunk(b"zTXt", b"ccv3\0\0" + zlib.compress(b"A" * 100_000))
    with pytest.raises(InvalidRequest, match="larger than 1000 bytes"):
        read_text(bomb, 1000)


def test_text_chunk_refuses_non_latin1_text() -> None:
    with pytest.raises(InvalidRequest, match="Latin-1"):
        text_chunk("chara", "日本")
