"""The words search reads from a tool and from a query.

Tool names are identifiers (`getWeatherForecast`, `flight.book_v2`): they are split into words
so that "weather forecast" finds them. Lexical terms are lowercased, stemmed with Snowball
(PyStemmer, the stemmer `bm25s` is built around) and stripped of stopwords; the embedding text
is plain language the sentence model reads.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import Stemmer

from reef.agents.toolsearch.tools import ToolDoc

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
MAX_SCHEMA_DEPTH = 4
MAX_ENUM_VALUES = 30

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    etc few for from further had has have having he her here hers him his how i if in
    into is it its itself just me more most my no nor not of off on once only or other
    our out over own same she should so some such than that the their them then there
    these they this those through to too under until up us very was we were what when
    where which while who whom why will with would you your e g ie eg please want need
    like given specified provided get many much show look
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


_local = threading.local()


def _stemmer() -> Any:
    """One stemmer per thread: PyStemmer's objects must not be shared between threads."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def split_identifier(text: str) -> list[str]:
    """`getHTTPResponse_v2.fetch` -> ['get', 'http', 'response', 'v', '2', 'fetch']."""
    spaced = _LETTER_DIGIT.sub(" ", _CAMEL.sub(" ", text))
    return [word.lower() for word in _WORD.findall(spaced)]


def terms(text: str) -> list[str]:
    """Stemmed, lowercased words without stopwords or single letters, in order, repeats kept
    ("get" is here too: half of all tool names start with it)."""
    words = [w for w in split_identifier(text) if len(w) > 1 and w not in _STOPWORDS]
    stems: list[str] = _stemmer().stemWords(words)
    return stems


@dataclass(frozen=True)
class DocumentWeights:
    """How many times each part of a tool counts in its lexical document (BM25 reads repeats
    as importance)."""

    name: int = 2
    description: int = 1
    parameters: int = 1


def _parameter_texts(schema: Mapping[str, Any], depth: int = 0) -> Iterator[str]:
    """Names, descriptions and enum values of a schema's properties, nested ones included."""
    if depth > MAX_SCHEMA_DEPTH:
        return
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, prop in properties.items():
            yield str(name)
            if isinstance(prop, Mapping):
                yield from _property_texts(prop, depth)
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from _property_texts(items, depth)


def _property_texts(prop: Mapping[str, Any], depth: int) -> Iterator[str]:
    description = prop.get("description")
    if isinstance(description, str):
        yield description
    enum = prop.get("enum")
    if isinstance(enum, list):
        yield " ".join(str(v) for v in enum[:MAX_ENUM_VALUES])
    yield from _parameter_texts(prop, depth + 1)


def parameter_names(schema: Mapping[str, Any]) -> list[str]:
    properties = schema.get("properties")
    return [str(name) for name in properties] if isinstance(properties, Mapping) else []


def lexical_terms(tool: ToolDoc, weights: DocumentWeights) -> list[str]:
    """The tool's BM25 document: name, description and parameters, repeated by weight."""
    name = terms(tool.name)
    description = terms(tool.description)
    parameters = terms(" ".join(_parameter_texts(tool.parameters)))
    return name * weights.name + description * weights.description + parameters * weights.parameters


def embedding_text(tool: ToolDoc, *, with_parameters: bool = True) -> str:
    """The sentence the embedding model reads: the name in words, the description, and the
    parameter names in words."""
    text = " ".join(split_identifier(tool.name))
    if tool.description:
        text += f": {tool.description.strip()}"
    names = parameter_names(tool.parameters)
    if with_parameters and names:
        text += " Parameters: " + ", ".join(" ".join(split_identifier(n)) for n in names) + "."
    return text
