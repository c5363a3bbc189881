"""Companion errors that more than one place raises, so that one situation answers one `code`
whichever route or verb meets it (tests/companion/test_error_codes.py walks them)."""

from __future__ import annotations

from reef.errors import InvalidRequest, NotFound


class InvalidCard(InvalidRequest):
    """A card (file or object) that cannot be read as a character card."""

    code = "invalid_card"


class CardTooLarge(InvalidRequest):
    """A card file, or a part of one, over its size limit."""

    code = "card_too_large"


def memory_not_found(memory_id: str) -> NotFound:
    return NotFound(
        f"No memory {memory_id!r} for this user.", param="memory_id", code="memory_not_found"
    )


def swipe_out_of_range(index: int, count: int, param: str) -> InvalidRequest:
    return InvalidRequest(
        f"{param} {index} is out of range: the message has {count} swipes",
        param=param,
        code="swipe_out_of_range",
    )


def message_too_long(length: int, limit: int) -> InvalidRequest:
    return InvalidRequest(
        f"content is {length} characters; at most {limit}",
        param="content",
        code="message_too_long",
    )
