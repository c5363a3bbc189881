"""Regular-expression building blocks for the rule-based fact extractor.

Every pattern runs on one clause of the user's message (quotes normalised, leading discourse
markers such as "actually," removed) with re.IGNORECASE; `(?-i:...)` marks the parts where
capitalisation matters (names written mid-sentence).
"""

from __future__ import annotations

import re

from reef.companion.memory.subjects import PET_WORDS, RELATION_WORDS


def _alternatives(words: list[str]) -> str:
    """A regex alternation, longest first so "best friend" wins over "friend"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


I_AM = r"(?:i'm|i am|im)"
I_DO_NOT = r"(?:i\s+(?:don't|do not|dont|didn't|did not|no longer))"
ADVERBS = (
    r"(?:(?:really|truly|totally|absolutely|also|just|kind of|kinda|sort of|still|actually|"
    r"genuinely|honestly|so|very much|especially|particularly|totally)\s+)*"
)
NAME = r"(?P<v>[a-z][a-z'\-]*(?-i:(?:\s+[A-Z][A-Za-z'\-]*){0,2}))"
CAPITAL_NAME = r"(?P<v>(?-i:[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?))"
PHRASE = r"(?P<v>[^,.;!?()]+)"
LIST_PHRASE = r"(?P<v>[^.;!?()]+)"
RELATION = rf"(?P<rel>{_alternatives(list(RELATION_WORDS))})"
PET = rf"(?P<species>{_alternatives(list(PET_WORDS))})(?:s|es)?"
COUNT = r"(?P<count>a|an|one|two|three|four|five|\d+)"
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})|(?:{MONTHS})\s+\d{{1,2}}"
    rf"(?:st|nd|rd|th)?|\d{{1,2}}[/.-]\d{{1,2}}(?:[/.-]\d{{2,4}})?)\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"^(?:19|20)\d{2}$")


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Sentences end at . ! ? or a line break; clauses split at a conjunction or comma that starts
# a new first-person statement ("I live in Oslo and I work as a nurse").
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
CLAUSE_BREAK = rx(
    r"(?:\s*[,;]\s*(?:and|but|so|because|although|though|while)?\s*|"
    r"\s+(?:and|but|so|because|although|though|while)\s+)(?=(?:i|i'm|im|i've|my)\b)"
)
LEADING_MARKERS = rx(
    r"^(?:(?:actually|well|oh|so|btw|by the way|fyi|also|and|but|now|anyway|anyways|ok|okay|"
    r"yeah|yes|no|nope|um|uh|hmm|haha|lol|oops|sorry|correction|wait|ah|just so you know)"
    r"\b[\s,:!-]*)+"
)
# "I'm 25, you?": the trailing question is about the character; the statement stands.
QUESTION_TAG = rx(
    r"[,.]?\s*(?:and\s+|what\s+about\s+|how\s+about\s+)?(?:you|u|yourself|wbu|hbu)\s*\?+$"
)
AFTER_GREETING = rx(r"^[\s,!.]*(?:(?:there|everyone|again)\b)?[\s,!.]*")
GREETING = rx(r"^(?:hi|hello|hey|heya|hiya|greetings|good (?:morning|evening|afternoon))\b")
# Words before a match that make a statement hypothetical, past or wished-for.
HYPOTHETICAL = rx(
    r"\b(?:if|wish|would|could|might|maybe|perhaps|pretend|imagine|suppose|hope|want|wanna|"
    r"plan|planning|should|used to|when i was|pretending|someday|one day)\b"
)
# A value ends where a new clause begins.
VALUE_END = rx(
    r"\s+(?:because|since|when|while|which|who|whom|where|whenever|if|so that|but|though|"
    r"although|as long as|unless)\b.*$"
)
TRAILING_FILLER = rx(
    r"(?:\s+(?:now|anymore|any more|too|as well|a lot|so much|very much|these days|right now|"
    r"at the moment|lately|though|actually|haha|lol|btw|honestly|really|either|already|"
    r"currently|either way|originally|again|for now|for good|recently|yesterday|today|tonight|"
    r"last\s+(?:week|month|year|summer|winter|spring|autumn|fall|night)|"
    r"this\s+(?:week|month|year|summer|winter|spring|autumn|fall)|"
    r"(?:a|one|two|three|a few|a couple of|some|\d+)\s+(?:days?|weeks?|months?|years?)\s+ago))+$"
)
LIST_COMMA = rx(r"\s*,\s*(?:and\s+|or\s+)?")
LIST_FINAL = rx(r"\s+(?:and|or|&)\s+")

# Objects that make "I love X" about something other than a lasting preference.
NON_PREFERENCE_OBJECTS = frozenset(
    {"it", "that", "this", "him", "her", "them", "those", "these", "what", "how", "when"}
    | {"being", "the way", "everything", "nothing", "anything", "myself", "us", "all", "one"}
    | {"when you", "talking", "u", "ya", "you", "your", "yourself", "a", "an", "the", "some"}
)
# First words that show a would-be name is no name ("call me back", "my name is not ...").
NOT_A_NAME = frozenset(
    {"back", "later", "tomorrow", "crazy", "anytime", "sometime", "soon", "now", "whatever"}
    | {"anything", "not", "a", "an", "the", "what", "when", "if", "maybe", "so", "just", "too"}
    | {"very", "really", "still", "actually", "secret", "none", "nothing", "unknown", "here"}
    | {"going", "sure", "old", "tired", "fine", "ok", "okay", "sorry", "happy", "sad", "also"}
    | {"important", "relevant", "known", "real", "public", "given", "that", "this", "it"}
)
# Nouns (last word of "I'm a ...") that name an occupation.
_OCCUPATION_TEXT = """
    accountant actor actress architect artist assistant baker barber barista bartender builder
    butcher carpenter cashier chef cleaner coach consultant cook dancer dentist designer
    detective developer doctor driver economist editor electrician engineer farmer firefighter
    freelancer gardener hairdresser journalist judge lawyer librarian lecturer manager mechanic
    midwife model musician nanny nurse officer painter paramedic pharmacist photographer
    physician physicist pilot plumber poet policeman policewoman politician professor
    programmer psychologist receptionist researcher salesman saleswoman scientist secretary
    singer soldier student surgeon tailor teacher technician therapist translator tutor
    veterinarian vet waiter waitress writer youtuber streamer analyst administrator clerk
    sailor fisherman miner guard courier janitor caretaker retiree intern apprentice pianist
    guitarist violinist drummer comedian illustrator animator cartoonist novelist chemist
    biologist geologist dietitian optician paralegal banker investor entrepreneur ceo founder
    realtor trader broker contractor welder roofer landscaper florist jeweler stylist
    influencer blogger podcaster coder homemaker housewife househusband volunteer mathematician
    statistician historian astronaut archaeologist zookeeper beekeeper shopkeeper
"""
OCCUPATIONS = frozenset(_OCCUPATION_TEXT.split())
OCCUPATION_SUFFIXES = ("ographer",)
