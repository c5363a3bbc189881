"""What each extraction rule makes of its match: short third-person facts with subject keys.

Builders get the regex match of one clause (see rule_table.py) and return candidate facts;
the value cleaners cut a captured phrase down to the value itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reef.companion.memory import rule_grammar as g
from reef.companion.memory.subjects import PET_WORDS, RELATION_WORDS, relation_key
from reef.companion.memory.text import stem
from reef.companion.memory.types import CandidateFact

Build = Callable[[re.Match[str], "RuleContext"], list[CandidateFact]]


@dataclass(frozen=True)
class RuleContext:
    """What a builder may need beyond its match: the time, for "my birthday is today"."""

    now: datetime


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    build: Build
    first_clause_only: bool = False


def _fact(text: str, subject: str, value: str | None, negated: bool = False) -> CandidateFact:
    return CandidateFact(text=text, subject=subject, value=value, negated=negated, source="rule")


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def clean_phrase(raw: str, max_words: int = 8) -> str | None:
    """A captured value without the clause that follows it, filler words and punctuation."""
    value = g.VALUE_END.sub("", raw.strip())
    value = g.TRAILING_FILLER.sub("", value).strip(" '\"-")
    words = value.split()
    if not words:
        return None
    return " ".join(words[:max_words])


def clean_name(raw: str) -> str | None:
    """A person's or pet's name: at most three words, none a common word; lowercase input is
    capitalised ("sam" -> "Sam")."""
    words = raw.strip(" '\"-").split()
    if not words or len(words) > 3 or words[0].lower() in g.NOT_A_NAME:
        return None
    return " ".join(w if any(c.isupper() for c in w) else w.capitalize() for w in words)


def _items(raw: str) -> list[str]:
    """A list value split into items ("hiking, reading and jazz")."""
    value = clean_phrase(raw)
    if value is None:
        return []
    items = [item.strip() for item in g.LIST_COMMA.split(value) if item.strip()]
    if len(items) > 1:  # "and" splits only a real list: "rock and roll" stays one item
        items[-1:] = [item.strip() for item in g.LIST_FINAL.split(items[-1]) if item.strip()]
    return items


_NOT_PREFERENCES = g.NON_PREFERENCE_OBJECTS | {"my", "our", "his", "their", "with", "about", "for"}


def _is_preference_object(item: str) -> bool:
    """Whether "I love <item>" is a lasting preference ("jazz", "to swim"), not a pronoun,
    a person of theirs ("my dog") or a preposition."""
    words = item.lower().split()
    if words[0] == "to":
        return len(words) > 1
    return item.lower() not in g.NON_PREFERENCE_OBJECTS and words[0] not in _NOT_PREFERENCES


# -- builders ------------------------------------------------------------------------------


def name_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    name = clean_name(m["v"])
    return [_fact(f"The user's name is {name}.", "user.name", name)] if name else []


def not_name_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    name = clean_name(m["v"])
    return [_fact(f"The user's name is not {name}.", "user.name", name, True)] if name else []


def preferred_name_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    name = clean_name(m["v"])
    if not name:
        return []
    return [_fact(f"The user wants to be called {name}.", "user.preferred_name", name)]


def not_preferred_name_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    name = clean_name(m["v"])
    if not name:
        return []
    text = f"The user does not want to be called {name}."
    return [_fact(text, "user.preferred_name", name, True)]


def age_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    age = int(m["v"])
    if not 1 <= age <= 120:
        return []
    return [_fact(f"The user is {age} years old.", "user.age", str(age))]


_PLACE_END = re.compile(r"\s+(?:with|for|to)\s+", re.IGNORECASE)


def place_rule(subject: str, template: str, negated: bool = False) -> Build:
    def build(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
        place = clean_phrase(_PLACE_END.split(m["v"])[0], max_words=5)
        return [_fact(template.format(place), subject, place, negated)] if place else []

    return build


def born_facts(m: re.Match[str], ctx: RuleContext) -> list[CandidateFact]:
    value = clean_phrase(m["v"], max_words=5)
    if not value:
        return []
    if g.YEAR.match(value):
        return [_fact(f"The user was born in {value}.", "user.birth_year", value)]
    date = g.DATE.search(value)
    if date:
        return [_fact(f"The user's birthday is {date[0]}.", "user.birthday", date[0])]
    return [_fact(f"The user was born in {value}.", "user.birthplace", value)]


def birthday_facts(m: re.Match[str], ctx: RuleContext) -> list[CandidateFact]:
    value = clean_phrase(m["v"], max_words=5) or ""
    relative = {"today": 0, "tomorrow": 1, "yesterday": -1}.get(value.lower())
    if relative is not None:
        day = ctx.now + timedelta(days=relative)
        found = f"{day.day} {day.strftime('%B')}"
    else:
        date = g.DATE.search(value)
        if not date:
            return []
        found = date[0]
    return [_fact(f"The user's birthday is {found}.", "user.birthday", found)]


def _occupation_words(raw: str) -> str | None:
    """The words of "a retired nurse at ..." up to the first occupation noun."""
    kept: list[str] = []
    for word in raw.lower().split()[:4]:
        kept.append(word)
        if word in g.OCCUPATIONS or word.endswith(g.OCCUPATION_SUFFIXES):
            return " ".join(kept)
    return None


def job_facts(raw: str, *, strict: bool, negated: bool = False) -> list[CandidateFact]:
    """`strict`: only when the words name a known occupation ("I'm a nurse", not "I'm a
    vegetarian"); otherwise the phrase after "I work as" is taken as it is."""
    job = _occupation_words(raw) if strict else clean_phrase(raw, max_words=5)
    if not job:
        return []
    if negated:
        text = f"The user is no longer {_article(job)} {job}."
    else:
        text = f"The user is {_article(job)} {job}."
    return [_fact(text, "user.occupation", job, negated)]


def occupation_rule(strict: bool, negated: bool = False) -> Build:
    def build(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
        return job_facts(m["v"], strict=strict, negated=negated)

    return build


_EMPLOYER_SPLIT = re.compile(r"\s+(?:at|for)\s+", re.IGNORECASE)


def works_as_facts(m: re.Match[str], ctx: RuleContext) -> list[CandidateFact]:
    """ "I work as a nurse at St Mary's": the occupation, and the employer when named."""
    job_part, *employer = _EMPLOYER_SPLIT.split(m["v"], maxsplit=1)
    facts = job_facts(job_part, strict=False)
    employer_name = clean_phrase(employer[0], max_words=5) if employer else None
    if facts and employer_name:
        text = f"The user works at {employer_name}."
        facts.append(_fact(text, "user.employer", employer_name))
    return facts


def quit_job_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    return [
        _fact("The user no longer has their job.", "user.occupation", None, True),
        _fact("The user no longer has their job.", "user.employer", None, True),
    ]


def likes_rule(subject: str, verb: str) -> Build:
    def build(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
        said = (m.groupdict().get("verb") or verb).lower()
        return [
            _fact(f"The user {_third_person(said)} {item}.", subject, item)
            for item in _items(m["v"])
            if _is_preference_object(item)
        ]

    return build


def _third_person(verb: str) -> str:
    irregular = {"can't stand": "can't stand", "cannot stand": "can't stand"}
    if verb in irregular:
        return irregular[verb]
    if verb.startswith(("don't", "do not", "dont", "no longer")):
        return "does not like"
    return verb + ("es" if verb.endswith(("sh", "ch", "s")) else "s")


def not_into_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    return [
        _fact(f"The user no longer likes {item}.", "user.likes", item, True)
        for item in _items(m["v"])
    ]


def favourite_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    thing_words = [stem(w) for w in m["thing"].lower().split()]
    thing_words = ["colour" if w == "color" else w for w in thing_words]
    value = clean_phrase(m["v"], max_words=6)
    if not value or value.lower() in g.NON_PREFERENCE_OBJECTS:
        return []
    thing = " ".join(thing_words)
    subject = "user.favourite." + "_".join(thing_words)
    return [_fact(f"The user's favourite {thing} is {value}.", subject, value)]


def relation_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    word = m["rel"].lower()
    subject, name = relation_key(word), clean_name(m["v"])
    if not subject or not name:
        return []
    relation = RELATION_WORDS[word].replace("_", " ")
    return [_fact(f"The user's {relation} is called {name}.", subject, name)]


_COUNTS = {"one": "a", "a": "a", "an": "a"}


def pet_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    species = PET_WORDS[m["species"].lower()]
    noun = species.replace("_", " ")
    found = m.groupdict()
    name = clean_name(found["v"]) if found.get("v") else None
    count = _COUNTS.get((found.get("count") or "a").lower(), (found.get("count") or "").lower())
    plural = count not in {"a", ""}
    has = f"{count} {noun}s" if plural else f"{_article(noun)} {noun}"
    text = f"The user has {has} named {name}." if name else f"The user has {has}."
    return [_fact(text, f"user.pet.{species}", name)]


def no_pet_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    species = PET_WORDS[m["species"].lower()]
    noun = species.replace("_", " ")
    return [
        _fact(f"The user no longer has {_article(noun)} {noun}.", f"user.pet.{species}", None, True)
    ]


def pet_gone_facts(m: re.Match[str], ctx: RuleContext) -> list[CandidateFact]:
    species = PET_WORDS[m["species"].lower()]
    noun = species.replace("_", " ")
    event = clean_phrase(m["event"], max_words=4) or "is gone"
    name = m.groupdict().get("v")
    who = f"{noun} {name}" if name else noun
    return [
        *no_pet_facts(m, ctx),
        _fact(f"The user's {who} {event}.", "user.events", f"{noun} {event}"),
    ]


def list_rule(subject: str, template: str) -> Build:
    def build(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
        return [
            _fact(template.format(item), subject, item)
            for item in _items(m["v"])
            if _is_preference_object(item)
        ]

    return build


def loves_character_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    text = "The user told {{char}} that they love {{char}}."
    return [_fact(text, "relationship.affection", "love")]


def calls_character_facts(m: re.Match[str], _: RuleContext) -> list[CandidateFact]:
    role = m["v"].lower()
    return [_fact(f"The user calls {{{{char}}}} their {role}.", "relationship.role", role)]
