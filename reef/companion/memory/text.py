"""Word-level text handling shared by extraction, reconciliation and retrieval."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ARTICLES = re.compile(r"^(?:a|an|the|my|some)\s+")
_PUNCTUATION = re.compile(r"[^\w\s'-]+")

# Words too common to say what a memory or a query is about. "user" is here because every
# stored fact starts with "The user".
_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing don down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just let me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon us very was
    we were what when where which while who whom why will with would you your yours yourself
    yourselves user users i'm you're it's that's what's let's i've i'd i'll don't can't tell
    know think really also yes yeah okay ok oh well hey hi hello please thanks thank going get
    got like something anything thing things much many one lot
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A light plural/possessive stripper: enough to match "pets" with "pet", "hobbies" with
    "hobby", "Rex's" with "rex", without a stemming library."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lowercase word tokens, apostrophes normalised."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (stopwords dropped), in order, repeats kept."""
    terms = []
    for word in words(text):
        stemmed = stem(word)
        if word not in STOPWORDS and stemmed not in STOPWORDS:
            terms.append(stemmed)
    return terms


def normalize_value(value: str | None) -> str:
    """A value as compared between facts: lowercase, no articles or punctuation, single spaces
    ("a Dog!" and "dog" are the same value)."""
    if not value:
        return ""
    text = _PUNCTUATION.sub(" ", value.lower().replace("\u2019", "'"))
    text = " ".join(text.split())
    while True:
        stripped = _ARTICLES.sub("", text)
        if stripped == text:
            return text
        text = stripped


def normalize_text(text: str) -> str:
    """A fact text as compared for exact duplicates."""
    return " ".join(words(text))
