"""Rule-based extraction: each pattern, retractions and corrections, and what is not a fact."""

from __future__ import annotations

import pytest

from reef.companion.memory import Exchange, RuleExtractor
from reef.companion.memory.types import CandidateFact
from tests.companion.memory.support import ManualClock

Found = set[tuple[str | None, str | None, bool]]


def found(message: str, extractor: RuleExtractor | None = None) -> Found:
    facts = (extractor or RuleExtractor()).extract_text(message)
    return {(f.subject, f.value, f.negated) for f in facts}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("My name is Sam.", {("user.name", "Sam", False)}),
        ("my name's sam", {("user.name", "Sam", False)}),
        ("I'm called Priya Shah", {("user.name", "Priya Shah", False)}),
        ("Hi! I'm Sam.", {("user.name", "Sam", False)}),
        ("hey there, I'm Jo", {("user.name", "Jo", False)}),
        ("Call me Sammy", {("user.preferred_name", "Sammy", False)}),
        ("my nickname is Bee", {("user.preferred_name", "Bee", False)}),
        ("I'm 29 years old", {("user.age", "29", False)}),
        ("I am 31", {("user.age", "31", False)}),
        ("I just turned 40!", {("user.age", "40", False)}),
        ("I'm 29, you?", {("user.age", "29", False)}),
        ("I live in Berlin now.", {("user.location", "Berlin", False)}),
        ("I'm based in New York City", {("user.location", "New York City", False)}),
        ("I moved to Lyon for work", {("user.location", "Lyon", False)}),
        ("I'm from Lisbon originally", {("user.hometown", "Lisbon", False)}),
        ("I grew up in a small village", {("user.hometown", "a small village", False)}),
        ("I was born in 1994", {("user.birth_year", "1994", False)}),
        ("I was born in Porto", {("user.birthplace", "Porto", False)}),
        ("My birthday is on 3 May", {("user.birthday", "3 May", False)}),
        ("my birthday is March 12th", {("user.birthday", "March 12th", False)}),
        ("I'm a nurse", {("user.occupation", "nurse", False)}),
        ("I'm a retired teacher", {("user.occupation", "retired teacher", False)}),
        ("My job is accountant", {("user.occupation", "accountant", False)}),
        (
            "I work as a software engineer at Google",
            {("user.occupation", "software engineer", False), ("user.employer", "Google", False)},
        ),
        ("I work at a bakery", {("user.employer", "a bakery", False)}),
        ("I love jazz", {("user.likes", "jazz", False)}),
        (
            "I really enjoy hiking, reading and baking",
            {
                ("user.likes", "hiking", False),
                ("user.likes", "reading", False),
                ("user.likes", "baking", False),
            },
        ),
        ("I like rock and roll", {("user.likes", "rock and roll", False)}),
        ("I like to swim in the sea", {("user.likes", "to swim in the sea", False)}),
        ("I'm a big fan of anime", {("user.likes", "anime", False)}),
        ("I'm into bouldering", {("user.likes", "bouldering", False)}),
        ("I hate cold weather", {("user.dislikes", "cold weather", False)}),
        ("I don't like horror movies", {("user.dislikes", "horror movies", False)}),
        ("I can't stand loud music", {("user.dislikes", "loud music", False)}),
        ("My favourite colour is green", {("user.favourite.colour", "green", False)}),
        ("my favorite color is green", {("user.favourite.colour", "green", False)}),
        ("Sushi is my favourite food", {("user.favourite.food", "Sushi", False)}),
        ("My sister is called Anna", {("user.sister.name", "Anna", False)}),
        ("My mum's name is Linda", {("user.mother.name", "Linda", False)}),
        ("my best friend Tom is visiting", {("user.best_friend.name", "Tom", False)}),
        ("I have a brother named Luca", {("user.brother.name", "Luca", False)}),
        ("I have a dog named Rex", {("user.pet.dog", "Rex", False)}),
        ("I have two cats", {("user.pet.cat", None, False)}),
        ("I just adopted a puppy", {("user.pet.dog", None, False)}),
        ("My dog is called Biscuit", {("user.pet.dog", "Biscuit", False)}),
        ("I love my dog Rex", {("user.pet.dog", "Rex", False)}),
        ("I'm allergic to peanuts", {("user.allergies", "peanuts", False)}),
        ("I speak French", {("user.languages", "French", False)}),
        ("I love you", {("relationship.affection", "love", False)}),
        ("you're my best friend", {("relationship.role", "best friend", False)}),
    ],
)
def test_each_pattern_yields_its_keyed_fact(message: str, expected: Found) -> None:
    assert found(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("I don't have a dog anymore", {("user.pet.dog", None, True)}),
        ("I no longer have a cat", {("user.pet.cat", None, True)}),
        ("I don't live in Paris anymore", {("user.location", "Paris", True)}),
        ("I moved away from Paris", {("user.location", "Paris", True)}),
        ("I'm not from Spain", {("user.hometown", "Spain", True)}),
        ("My name isn't Bob", {("user.name", "Bob", True)}),
        ("Please don't call me Samuel", {("user.preferred_name", "Samuel", True)}),
        ("I'm not a teacher anymore", {("user.occupation", "teacher", True)}),
        ("I'm not into anime anymore", {("user.likes", "anime", True)}),
        ("I don't work at Google anymore", {("user.employer", "Google", True)}),
        (
            "I quit my job",
            {("user.occupation", None, True), ("user.employer", None, True)},
        ),
        ("Actually, I moved to Berlin last month.", {("user.location", "Berlin", False)}),
        ("No, my name is Sam", {("user.name", "Sam", False)}),
    ],
)
def test_retractions_are_negated_and_corrections_are_plain_facts(
    message: str, expected: Found
) -> None:
    assert found(message) == expected


def test_a_pet_that_died_is_retracted_and_remembered_as_an_event() -> None:
    facts = RuleExtractor().extract_text("My dog Rex died last week.")
    assert [(f.subject, f.negated) for f in facts] == [
        ("user.pet.dog", True),
        ("user.events", False),
    ]
    assert facts[1].text == "The user's dog Rex died."


@pytest.mark.parametrize(
    "message",
    [
        "Do you like cats?",
        "What's your name?",
        "If I had a dog I would call him Max",
        "I used to live in Rome",
        "I want to live in Tokyo someday",
        "I'm a vegetarian",
        "I'm a bit tired",
        "I like it",
        "I love that",
        "I'd like a coffee",
        "Call me back later",
        "my name is not important",
        "I'm 5 minutes away",
        "I love my job",
        "The weather is nice today.",
    ],
)
def test_questions_hypotheticals_and_small_talk_give_no_facts(message: str) -> None:
    assert found(message) == set()


def test_several_statements_in_one_message() -> None:
    message = (
        "Hi, I'm Sam! I live in Oslo and I work as a nurse. My brother Tom is a chef, "
        "and I have a cat named Mochi. Do you like cats?"
    )
    assert found(message) == {
        ("user.name", "Sam", False),
        ("user.location", "Oslo", False),
        ("user.occupation", "nurse", False),
        ("user.brother.name", "Tom", False),
        ("user.pet.cat", "Mochi", False),
    }


def test_facts_are_short_third_person_statements() -> None:
    message = "My name is Sam. I have a dog named Rex. I love jazz. My sister is called Anna."
    facts = RuleExtractor().extract_text(message)
    assert [f.text for f in facts] == [
        "The user's name is Sam.",
        "The user has a dog named Rex.",
        "The user loves jazz.",
        "The user's sister is called Anna.",
    ]
    assert all(f.source == "rule" for f in facts)


def test_birthday_today_is_resolved_with_the_clock(clock: ManualClock) -> None:
    assert found("My birthday is today!", RuleExtractor(clock=clock)) == {
        ("user.birthday", "14 March", False)
    }


def test_repeats_are_dropped_and_the_count_is_capped() -> None:
    assert found("I love jazz. I love jazz!") == {("user.likes", "jazz", False)}
    many = "I love jazz, techno, opera, folk, blues, soul, funk and disco."
    assert len(RuleExtractor(max_facts=3).extract_text(many)) == 3


async def test_extract_reads_only_the_users_message() -> None:
    exchange = Exchange(
        user_message="I have a dog named Rex",
        reply="My name is Mira and I live in the lighthouse.",
        character_name="Mira",
    )
    facts = await RuleExtractor().extract(exchange)
    assert facts == [
        CandidateFact("The user has a dog named Rex.", "user.pet.dog", "Rex", source="rule")
    ]
