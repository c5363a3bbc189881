"""Prompts for the speculative-decoding measurements, in two disjoint sets.

`DEV` was used while choosing the drafter's settings; `HELD_OUT` (other texts, other records,
other characters) is only measured to decide the default. Each kind says whether prompt lookup
should help: answers that quote, summarise or restructure a given text, and companion turns
that echo the card, reuse tokens from the prompt; free prose does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HELPS = ("quote", "summarise", "json", "companion")
NEUTRAL = ("prose",)


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    messages: list[dict[str, str]]

    @property
    def should_help(self) -> bool:
        return self.kind in HELPS


_DEV_TEXTS = {
    "lighthouse": (
        "The lighthouse at Carrow Point was built in 1871 from granite quarried on the island. "
        "Its lamp burned whale oil until 1904, then paraffin, and since 1962 it has been "
        "electric. The tower is 31 metres tall and its light can be seen 22 nautical miles out "
        "to sea. The last keeper, Agnes Moore, left in 1987, when the light became automatic. "
        "Today the keeper's cottage is a small museum that opens every summer."
    ),
    "bakery": (
        "Hollis Bakery opened on Mill Street in 1958. Its founder, Ruth Hollis, baked rye bread "
        "in a wood-fired oven that is still used every morning. The bakery sells about 400 "
        "loaves a day, and on Saturdays a queue forms before the doors open at seven. In 2015 "
        "her grandson Tom added a cafe with six tables and a garden at the back."
    ),
}
_HELD_OUT_TEXTS = {
    "canal": (
        "The Ashby Canal was dug between 1794 and 1804 to carry coal from the Leicestershire "
        "pits. It runs for 22 miles without a single lock, following one level contour of the "
        "land. Commercial traffic ended in 1966, and volunteers have since restored a stretch "
        "near Snarestone. Narrowboats now cruise it in summer, and a trip boat runs from "
        "Shackerstone station on Sundays."
    ),
    "observatory": (
        "The Kettle Hill Observatory houses a 60-centimetre reflecting telescope installed in "
        "1934. Astronomers there catalogued more than 3,000 variable stars before city lights "
        "made serious work impossible in the 1980s. The dome was repaired in 2009, and on clear "
        "Friday evenings the public can look at Saturn, the Moon and the Orion Nebula for free."
    ),
    "orchard": (
        "Brambling Orchard grows 42 varieties of apple on nine hectares of south-facing slope. "
        "The oldest trees, a row of Bramley's Seedling, were planted in 1921. Picking starts in "
        "late August with Discovery and ends in November with Egremont Russet. Windfalls go to "
        "a cider press in the barn, which produces around 6,000 litres a year."
    ),
}
_DEV_RECORDS = [
    "Order 5521: two blue kettles at 24.99 each, shipped to Leeds on 3 March, paid by card.",
    "Ticket 88: printer on floor 2 jams on A3 paper; reported by Sam Ortiz; priority high.",
]
_HELD_OUT_RECORDS = [
    "Booking 7310: table for four at 19:30 on 12 June, name Priya Shah, one vegetarian.",
    "Invoice 2044: 18 hours of design work at 55 pounds an hour for Fernlea Ltd, due 30 April.",
    "Flight BA 117 from London Heathrow to New York JFK departs 08:25, gate B32, seat 14C.",
]
_DEV_CARDS = {
    "Captain Mira Vale": (
        "Captain Mira Vale is a retired starship pilot who runs a tea shop on a quiet moon "
        "called Hesper. She speaks warmly, loves old engines and tells short stories about the "
        "outer colonies. Her shop sells smoked lapsang, moon-mint and a spiced chai she "
        "calls Engine Oil."
    ),
}
_HELD_OUT_CARDS = {
    "Professor Odo Finch": (
        "Professor Odo Finch is a botanist obsessed with desert succulents and rare cacti. He "
        "answers precisely, cites the Latin names of plants and dislikes small talk. His "
        "greenhouse in Tucson holds 900 species, and his favourite is Ariocarpus fissuratus, "
        "the living rock cactus."
    ),
    "Nell the innkeeper": (
        "Nell keeps the Crooked Lantern inn at the crossroads of the Old North Road. She knows "
        "every traveller's business, serves barley stew and dark ale, and warns guests about "
        "the bridge troll who demands riddles instead of coins."
    ),
}
_DEV_PROSE = [
    "Write a story about a fox who learns to sing.",
    "Describe a walk through a city at dawn.",
]
_HELD_OUT_PROSE = [
    "Write a story about a robot who paints the sea.",
    "Describe a thunderstorm over the mountains.",
    "Invent a legend about why owls hunt at night.",
]


def _user(content: str, system: str | None = None) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": content}]


def _build(
    texts: dict[str, str], records: list[str], cards: dict[str, str], prose: list[str]
) -> list[Workload]:
    out: list[Workload] = []
    for name, text in texts.items():
        out.append(Workload("quote", name, _user(f"Repeat this text word for word:\n\n{text}")))
        out.append(Workload("summarise", name, _user(f"Summarise this text:\n\n{text}")))
    for i, record in enumerate(records):
        ask = (
            "Convert this record to a JSON object, one key per field, quoting the values "
            f"exactly as written:\n\n{record}"
        )
        out.append(Workload("json", f"record{i}", _user(ask)))
    for name, card in cards.items():
        system = f"You are {name}. {card} Stay in character and describe yourself when asked."
        ask = "Tell me about yourself and your place."
        out.append(Workload("companion", name, _user(ask, system)))
    for i, ask in enumerate(prose):
        out.append(Workload("prose", f"prose{i}", _user(ask)))
    return out


DEV = _build(_DEV_TEXTS, _DEV_RECORDS, _DEV_CARDS, _DEV_PROSE)
HELD_OUT = _build(_HELD_OUT_TEXTS, _HELD_OUT_RECORDS, _HELD_OUT_CARDS, _HELD_OUT_PROSE)


def request_fields(max_tokens: int, temperature: float) -> dict[str, Any]:
    return {"max_tokens": max_tokens, "temperature": temperature, "seed": 7}
