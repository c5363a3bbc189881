"""How big a character may be, checked on create, update and import before anything is stored.

A card is sent with every turn and shown in every list, so a card that is too big fails late
and everywhere: a 5 MB description was accepted, then every message failed with
`context_length_exceeded` and listing characters returned 21 MB. Three limits stop that early,
each a clear 400 `card_too_large` whose `param` names the field:

* each text the prompt or the page shows (description, a greeting, a lorebook entry...) is at
  most `card_max_field_chars`;
* all the card's text together (extensions included) is at most `card_max_text_chars`;
  embedded images (V3 asset URIs, the PNG portrait) do not count, so large portraits work;
* the permanent part of the prompt (system prompt, description, personality, scenario,
  post-history instructions) takes at most `card_max_context_share` of the chat model's window,
  counted with the model's own tokenizer, so history and the reply keep the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterator
from typing import Any

from reef.companion.cards.model import Card
from reef.companion.chat_model import ChatModel, open_chat_model
from reef.companion.prompt.sections import (
    PERSONALITY_LABEL,
    SCENARIO_LABEL,
    Names,
    post_history,
    system_prompt,
)
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.errors import InvalidRequest, NotFound
from reef.settings import CompanionSettings, Settings

TOO_LARGE_CODE = "card_too_large"
SHOWN_FIELDS = (
    "name",
    "nickname",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
)
Locate = Callable[[str], str]
"""Turns a path in the card ("data.description") into the request's `param`."""


def locator(given_fields: Collection[str], card_prefix: str) -> Locate:
    """Fields the request gave one by one are named as given ("description"); the rest by their
    place in the card, after `card_prefix` ("card." for a card object, "" for an uploaded file).
    """

    def locate(path: str) -> str:
        inner = path.removeprefix("data.")
        if inner != path and inner.split(".", 1)[0] in given_fields:
            return inner
        return card_prefix + path

    return locate


async def check_card_size(
    card: Card,
    model_name: str | None,
    catalogue: Catalogue,
    router: Router,
    settings: Settings,
    locate: Locate,
) -> None:
    """All three limits; the window is that of `model_name`, else the default chat model."""
    config = settings.companion
    check_card_text(card, config, locate)
    try:
        model = await open_chat_model(
            model_name or config.default_chat_model, catalogue, router, settings
        )
    except NotFound:
        return  # a model this server lacks is refused where it is named; nothing to count with
    await asyncio.to_thread(check_card_fits, card, model, config, locate)


def check_card_text(card: Card, settings: CompanionSettings, locate: Locate) -> None:
    """Each shown text within the per-field cap, all text within the whole-card cap."""
    limit = settings.card_max_field_chars
    for path, text in shown_texts(card):
        if len(text) > limit:
            raise InvalidRequest(
                f"{path} is {len(text)} characters; a card field may have at most {limit}",
                param=locate(path),
                code=TOO_LARGE_CODE,
            )
    total, largest, largest_path = 0, 0, "data.description"
    for path, text in all_texts(card):
        total += len(text)
        if len(text) > largest:
            largest, largest_path = len(text), path
    if total > settings.card_max_text_chars:
        raise InvalidRequest(
            f"the card holds {total} characters of text; at most "
            f"{settings.card_max_text_chars} (its largest text is {largest_path}, "
            f"{largest} characters; embedded images do not count)",
            param=locate(largest_path),
            code=TOO_LARGE_CODE,
        )


def check_card_fits(
    card: Card, model: ChatModel, settings: CompanionSettings, locate: Locate
) -> None:
    """The permanent prompt leaves `model` room for history and a reply (blocking: the
    embedded tokenizer runs here)."""
    names = Names(card.display_name, settings.default_user_name)
    data = card.data
    parts = {
        "data.system_prompt": system_prompt(card, settings.default_system_prompt, names),
        "data.description": names.fill(data.description.strip()),
        "data.personality": names.fill(PERSONALITY_LABEL + data.personality.strip())
        if data.personality.strip()
        else "",
        "data.scenario": names.fill(SCENARIO_LABEL + data.scenario.strip())
        if data.scenario.strip()
        else "",
        "data.post_history_instructions": post_history(card, names),
    }
    tokens = {name: model.count_tokens(text) if text else 0 for name, text in parts.items()}
    total = sum(tokens.values()) + 2 * settings.message_overhead_tokens
    window = model.context_window
    allowed = min(int(window * settings.card_max_context_share), window - settings.reply_max_tokens)
    if total <= allowed:
        return
    largest = max(tokens, key=lambda name: tokens[name])
    raise InvalidRequest(
        f"the character's permanent prompt (system prompt, description, personality, scenario, "
        f"post-history instructions) is {total} tokens for {model.spec.name!r}, but at most "
        f"{max(allowed, 0)} may be ({settings.card_max_context_share:.0%} of its {window}-token "
        f"context window), so that chat history and a {settings.reply_max_tokens}-token reply "
        f"fit; {largest} is the largest part ({tokens[largest]} tokens)",
        param=locate(largest),
        code=TOO_LARGE_CODE,
    )


def shown_texts(card: Card) -> Iterator[tuple[str, str]]:
    """Each text of `data` that reaches the prompt or the page, with its path in the card."""
    data = card.data
    for name in SHOWN_FIELDS:
        value = getattr(data, name)
        if isinstance(value, str) and value:
            yield f"data.{name}", value
    for index, text in enumerate(data.alternate_greetings):
        yield f"data.alternate_greetings.{index}", text
    for index, text in enumerate(data.group_only_greetings):
        yield f"data.group_only_greetings.{index}", text
    for language, text in (data.creator_notes_multilingual or {}).items():
        yield f"data.creator_notes_multilingual.{language}", text
    book = data.character_book
    if book is not None:
        if book.description:
            yield "data.character_book.description", book.description
        for index, entry in enumerate(book.entries):
            yield f"data.character_book.entries.{index}.content", entry.content


def all_texts(card: Card) -> Iterator[tuple[str, str]]:
    """Every string in the card, object keys included, with its path; embedded asset URIs
    (images) are left out."""
    stack: list[tuple[str, Any]] = [("", card.model_dump(mode="json", exclude_unset=True))]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not _is_asset_uri(path):
                yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else str(key)
                yield inner, str(key)
                stack.append((inner, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", item) for index, item in enumerate(value))


def _is_asset_uri(path: str) -> bool:
    parts = path.split(".")
    return len(parts) == 4 and parts[:2] == ["data", "assets"] and parts[3] == "uri"
