"""Subject keys: what a fact is about, whether it holds one value or many, and which query
words point at it.

Keys are dotted lowercase paths under `user.` (facts about the user) or `relationship.` (the
user and the character together): `user.name`, `user.pet.dog`, `user.sister.name`,
`user.favourite.colour`. A single-valued key holds one current value (a new one updates it);
a multi-valued key collects values (likes, allergies, siblings' names).
"""

from __future__ import annotations

import re

from reef.companion.memory.text import stem

SUBJECT_PATTERN = re.compile(r"^(?:user|relationship)(?:\.[a-z0-9_]+)+$")

SINGLE_VALUED = frozenset(
    {
        "user.name",
        "user.preferred_name",
        "user.age",
        "user.location",
        "user.hometown",
        "user.occupation",
        "user.employer",
        "user.birthday",
        "user.birth_year",
        "user.birthplace",
        "user.pronouns",
        "user.relationship_status",
        "user.school",
    }
)
SINGLE_VALUED_PREFIXES = ("user.pet.", "user.favourite.")
# Relations a person usually has one of; others (sister, friend, cousin...) may be several.
SINGLE_RELATIONS = frozenset(
    {
        "mother",
        "father",
        "wife",
        "husband",
        "partner",
        "girlfriend",
        "boyfriend",
        "fiance",
        "boss",
        "best_friend",
        "stepmother",
        "stepfather",
    }
)
# Keys whose facts contradict each other when they share a value.
OPPOSITES = {"user.likes": "user.dislikes", "user.dislikes": "user.likes"}

RELATION_WORDS: dict[str, str] = {
    "mother": "mother",
    "mom": "mother",
    "mum": "mother",
    "mommy": "mother",
    "mama": "mother",
    "father": "father",
    "dad": "father",
    "daddy": "father",
    "papa": "father",
    "sister": "sister",
    "brother": "brother",
    "wife": "wife",
    "husband": "husband",
    "partner": "partner",
    "girlfriend": "girlfriend",
    "boyfriend": "boyfriend",
    "fiance": "fiance",
    "fiancé": "fiance",
    "fiancee": "fiance",
    "fiancée": "fiance",
    "son": "son",
    "daughter": "daughter",
    "friend": "friend",
    "best friend": "best_friend",
    "boss": "boss",
    "grandmother": "grandmother",
    "grandma": "grandmother",
    "granny": "grandmother",
    "grandfather": "grandfather",
    "grandpa": "grandfather",
    "aunt": "aunt",
    "uncle": "uncle",
    "cousin": "cousin",
    "roommate": "roommate",
    "flatmate": "roommate",
    "niece": "niece",
    "nephew": "nephew",
    "kid": "child",
    "child": "child",
    "baby": "child",
    "stepmother": "stepmother",
    "stepmom": "stepmother",
    "stepfather": "stepfather",
    "stepdad": "stepfather",
    "teacher": "teacher",
    "neighbour": "neighbour",
    "neighbor": "neighbour",
    "coworker": "coworker",
    "colleague": "coworker",
}
PET_WORDS: dict[str, str] = {
    "dog": "dog",
    "puppy": "dog",
    "puppies": "dog",
    "pup": "dog",
    "cat": "cat",
    "kitten": "cat",
    "kitty": "cat",
    "kitties": "cat",
    "hamster": "hamster",
    "rabbit": "rabbit",
    "bunny": "rabbit",
    "bunnies": "rabbit",
    "parrot": "parrot",
    "bird": "bird",
    "budgie": "bird",
    "fish": "fish",
    "goldfish": "fish",
    "turtle": "turtle",
    "tortoise": "turtle",
    "snake": "snake",
    "lizard": "lizard",
    "gecko": "lizard",
    "horse": "horse",
    "pony": "horse",
    "guinea pig": "guinea_pig",
    "ferret": "ferret",
    "rat": "rat",
    "mouse": "mouse",
    "mice": "mouse",
    "chicken": "chicken",
}
_FAMILY = frozenset(
    {"mother", "father", "sister", "brother", "son", "daughter", "child", "grandmother"}
    | {"grandfather", "aunt", "uncle", "cousin", "niece", "nephew", "wife", "husband"}
    | {"stepmother", "stepfather"}
)

# Query words (stemmed) that point at a subject, by key or key prefix.
_SUBJECT_TERMS: dict[str, frozenset[str]] = {
    "user.name": frozenset({"name", "call", "called"}),
    "user.preferred_name": frozenset({"name", "call", "called", "nickname"}),
    "user.age": frozenset({"age", "old", "young", "birthday"}),
    "user.location": frozenset({"live", "city", "town", "country", "home", "moved", "place"}),
    "user.hometown": frozenset({"hometown", "grew", "grow", "born", "origin", "from"}),
    "user.occupation": frozenset({"job", "work", "career", "profession", "office", "shift"}),
    "user.employer": frozenset({"job", "work", "company", "employer", "office"}),
    "user.birthday": frozenset({"birthday", "born", "age"}),
    "user.birth_year": frozenset({"birthday", "born", "age", "old"}),
    "user.birthplace": frozenset({"born", "birthplace", "hometown"}),
    "user.pet": frozenset({"pet", "animal"}),
    "user.likes": frozenset({"hobby", "interest", "enjoy", "fan", "fun", "passion"}),
    "user.dislikes": frozenset({"hate", "dislike", "annoy", "annoying"}),
    "user.favourite": frozenset({"favourite", "favorite"}),
    "user.allergies": frozenset({"allergy", "allergic"}),
    "user.languages": frozenset({"language", "speak"}),
}


def is_valid_subject(subject: str) -> bool:
    return bool(SUBJECT_PATTERN.match(subject))


def is_single_valued(subject: str | None) -> bool:
    if subject is None:
        return False
    if subject in SINGLE_VALUED or subject.startswith(SINGLE_VALUED_PREFIXES):
        return True
    parts = subject.split(".")
    return (
        len(parts) == 3
        and parts[0] == "user"
        and parts[2] == "name"
        and (parts[1] in SINGLE_RELATIONS)
    )


def relation_key(word: str) -> str | None:
    """`user.<relation>.name` for a relation word ("mum" -> user.mother.name)."""
    relation = RELATION_WORDS.get(word.lower())
    return f"user.{relation}.name" if relation else None


def subject_terms(subject: str | None) -> frozenset[str]:
    """Stemmed query words that mean a question is about `subject`."""
    if subject is None:
        return frozenset()
    terms: set[str] = set()
    for key, words in _SUBJECT_TERMS.items():
        if subject == key or subject.startswith(key + "."):
            terms |= words
    parts = subject.split(".")
    if subject.startswith("user.pet.") and len(parts) >= 3:
        species = parts[2]
        terms |= {stem(w) for w, s in PET_WORDS.items() if s == species and " " not in w}
        terms.add(species.replace("_", " "))
    elif subject.startswith("user.favourite.") and len(parts) >= 3:
        terms |= {stem(part) for part in parts[2].split("_")}
    elif len(parts) == 3 and parts[2] == "name" and parts[1] != "preferred":
        relation = parts[1]
        terms |= {stem(w) for w, r in RELATION_WORDS.items() if r == relation and " " not in w}
        if relation in _FAMILY:
            terms |= {"family", "parent", "sibling", "relative"}
    return frozenset(terms)
