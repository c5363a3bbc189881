"""The extraction rules, in the order they run on each clause of the user's message."""

from __future__ import annotations

from reef.companion.memory import rule_grammar as g
from reef.companion.memory.rule_facts import (
    Rule,
    age_facts,
    birthday_facts,
    born_facts,
    calls_character_facts,
    favourite_facts,
    likes_rule,
    list_rule,
    loves_character_facts,
    name_facts,
    no_pet_facts,
    not_into_facts,
    not_name_facts,
    not_preferred_name_facts,
    occupation_rule,
    pet_facts,
    pet_gone_facts,
    place_rule,
    preferred_name_facts,
    quit_job_facts,
    relation_facts,
    works_as_facts,
)

RULES: tuple[Rule, ...] = (
    Rule(
        "name_negated",
        g.rx(rf"\bmy name(?:\s+is\s+not|\s+isn't|'s\s+not)\s+{g.NAME}"),
        not_name_facts,
    ),
    Rule("name", g.rx(rf"\bmy name(?:'s|\s+is)\s+{g.NAME}"), name_facts),
    Rule("called", g.rx(rf"\b{g.I_AM}\s+called\s+{g.NAME}"), name_facts),
    Rule(
        "introduction",
        g.rx(rf"^(?:{g.I_AM}|this is|it's)\s+{g.CAPITAL_NAME}(?:\s+(?:here|btw))?\s*$"),
        name_facts,
        first_clause_only=True,
    ),
    Rule(
        "not_call_me",
        g.rx(rf"\b(?:don't|do not|never)\s+call me\s+{g.NAME}"),
        not_preferred_name_facts,
    ),
    Rule(
        "call_me", g.rx(rf"(?<!n't )(?<!not )(?<!never )\bcall me\s+{g.NAME}"), preferred_name_facts
    ),
    Rule("nickname", g.rx(rf"\bmy nickname is\s+{g.NAME}"), preferred_name_facts),
    Rule("age", g.rx(rf"\b{g.I_AM}\s+(?P<v>\d{{1,3}})\s*(?:years?|yrs?)(?:\s+old)?\b"), age_facts),
    Rule("age_bare", g.rx(rf"\b{g.I_AM}\s+(?P<v>\d{{1,3}})(?:\s*y/?o)?\s*$"), age_facts),
    Rule("age_turned", g.rx(r"\bi\s+(?:just\s+)?turned\s+(?P<v>\d{1,3})\b"), age_facts),
    Rule("age_is", g.rx(r"\bmy age is\s+(?P<v>\d{1,3})\b"), age_facts),
    Rule(
        "location_negated",
        g.rx(rf"{g.I_DO_NOT}\s+live\s+in\s+{g.PHRASE}"),
        place_rule("user.location", "The user no longer lives in {}.", negated=True),
    ),
    Rule(
        "moved_away",
        g.rx(rf"\b(?:i|we)\s+moved\s+(?:away\s+from|out\s+of)\s+{g.PHRASE}"),
        place_rule("user.location", "The user no longer lives in {}.", negated=True),
    ),
    Rule(
        "location",
        g.rx(
            rf"\b(?:(?:i|we)\s+(?:currently\s+|now\s+|still\s+|actually\s+)?(?:live|reside)|"
            rf"{g.I_AM}\s+(?:currently\s+|now\s+)?(?:living|based|staying))\s+in\s+{g.PHRASE}"
        ),
        place_rule("user.location", "The user lives in {}."),
    ),
    Rule(
        "moved",
        g.rx(
            rf"\b(?:i|we)\s+(?:just\s+|recently\s+|finally\s+|actually\s+)?"
            rf"(?:moved|relocated)\s+(?:to|into)\s+{g.PHRASE}"
        ),
        place_rule("user.location", "The user lives in {}."),
    ),
    Rule(
        "hometown_negated",
        g.rx(rf"\b{g.I_AM}\s+not\s+(?:originally\s+)?from\s+{g.PHRASE}"),
        place_rule("user.hometown", "The user is not from {}.", negated=True),
    ),
    Rule(
        "hometown",
        g.rx(
            rf"\b(?:{g.I_AM}\s+(?:originally\s+)?from|i\s+(?:originally\s+)?come\s+from|"
            rf"i\s+grew\s+up\s+in)\s+{g.PHRASE}"
        ),
        place_rule("user.hometown", "The user is from {}."),
    ),
    Rule("born", g.rx(rf"\bi\s+was\s+born\s+(?:on|in)\s+{g.PHRASE}"), born_facts),
    Rule("birthday", g.rx(rf"\bmy\s+birthday\s+is\s+(?:on\s+)?{g.PHRASE}"), birthday_facts),
    Rule("quit_job", g.rx(r"\bi\s+(?:just\s+)?(?:quit|left|lost)\s+my\s+job\b"), quit_job_facts),
    Rule(
        "occupation_negated",
        g.rx(rf"\b{g.I_AM}\s+(?:not|no\s+longer)\s+(?:an?\s+)?(?P<v>[a-z\- ]+)"),
        occupation_rule(strict=True, negated=True),
    ),
    Rule(
        "works_as",
        g.rx(
            rf"\b(?:i|{g.I_AM})\s+(?:currently\s+|now\s+)?(?:work|working|am employed|employed)"
            rf"\s+as\s+(?:an?\s+)?{g.PHRASE}"
        ),
        works_as_facts,
    ),
    Rule(
        "job_is",
        g.rx(rf"\bmy\s+(?:job|profession|occupation)\s+is\s+(?:being\s+)?(?:an?\s+)?{g.PHRASE}"),
        occupation_rule(strict=False),
    ),
    Rule("i_am_a", g.rx(rf"\b{g.I_AM}\s+an?\s+(?P<v>[a-z\- ]+)"), occupation_rule(strict=True)),
    Rule(
        "employer_negated",
        g.rx(rf"{g.I_DO_NOT}\s+work\s+(?:at|for)\s+{g.PHRASE}"),
        place_rule("user.employer", "The user no longer works at {}.", negated=True),
    ),
    Rule(
        "employer",
        g.rx(rf"\bi\s+(?:currently\s+|now\s+)?work\s+(?:at|for)\s+{g.PHRASE}"),
        place_rule("user.employer", "The user works at {}."),
    ),
    Rule(
        "loves_character",
        g.rx(r"\bi\s+(?:really\s+|truly\s+|do\s+)?love\s+you\b"),
        loves_character_facts,
    ),
    Rule(
        "calls_character",
        g.rx(
            r"\byou(?:'re|\s+are|r)\s+my\s+(?P<v>best friend|only friend|friend|everything|"
            r"favou?rite person|person|hero|world|girlfriend|boyfriend|partner)\b"
        ),
        calls_character_facts,
    ),
    Rule(
        "dislikes_negated_verb",
        g.rx(
            rf"\bi\s+{g.ADVERBS}(?P<verb>don't|do not|dont|no longer)\s+{g.ADVERBS}"
            rf"(?:like|love|enjoy)\s+{g.LIST_PHRASE}"
        ),
        likes_rule("user.dislikes", "don't"),
    ),
    Rule(
        "dislikes",
        g.rx(
            rf"\bi\s+{g.ADVERBS}(?P<verb>hate|dislike|detest|despise|loathe|can't stand|"
            rf"cannot stand)\s+{g.LIST_PHRASE}"
        ),
        likes_rule("user.dislikes", "dislike"),
    ),
    Rule(
        "likes",
        g.rx(rf"\bi\s+{g.ADVERBS}(?P<verb>like|love|enjoy|adore)\s+{g.LIST_PHRASE}"),
        likes_rule("user.likes", "like"),
    ),
    Rule(
        "not_into",
        g.rx(rf"\b{g.I_AM}\s+(?:not|no\s+longer)\s+(?:into|a\s+fan\s+of)\s+{g.LIST_PHRASE}"),
        not_into_facts,
    ),
    Rule(
        "into",
        g.rx(
            rf"\b{g.I_AM}\s+{g.ADVERBS}(?:into|obsessed with|passionate about|crazy about|"
            rf"a\s+(?:big\s+|huge\s+)?fan\s+of)\s+{g.LIST_PHRASE}"
        ),
        likes_rule("user.likes", "like"),
    ),
    Rule(
        "favourite",
        g.rx(
            rf"\bmy\s+(?:all[- ]time\s+|absolute\s+)?favou?rite\s+(?P<thing>[a-z]+(?:\s+[a-z]+)?)"
            rf"\s+(?:is|are)\s+{g.PHRASE}"
        ),
        favourite_facts,
    ),
    Rule(
        "favourite_reversed",
        g.rx(
            r"^(?P<v>[^,.;!?()]{1,40}?)\s+(?:is|are)\s+my\s+(?:all[- ]time\s+)?favou?rite\s+"
            r"(?P<thing>[a-z]+)\b"
        ),
        favourite_facts,
    ),
    Rule(
        "relation_named",
        g.rx(
            rf"\bmy\s+{g.RELATION}(?:'s\s+name\s+is|\s+is\s+(?:called|named)|\s+goes\s+by)"
            rf"\s+{g.NAME}"
        ),
        relation_facts,
    ),
    Rule(
        "relation_apposition", g.rx(rf"\bmy\s+{g.RELATION},?\s+{g.CAPITAL_NAME}\b"), relation_facts
    ),
    Rule(
        "has_relation_named",
        g.rx(rf"\bi\s+have\s+(?:an?\s+|one\s+)?{g.RELATION}\s+(?:named|called)\s+{g.NAME}"),
        relation_facts,
    ),
    Rule(
        "no_pet",
        g.rx(rf"{g.I_DO_NOT}\s+(?:have|own)\s+(?:a|an|any|my)?\s*{g.PET}\b"),
        no_pet_facts,
    ),
    Rule(
        "pet_gone",
        g.rx(
            rf"\bmy\s+(?:pet\s+)?{g.PET}(?:\s+{g.CAPITAL_NAME})?\s+"
            r"(?P<event>died|passed away|ran away|was put down|is gone)"
        ),
        pet_gone_facts,
    ),
    Rule(
        "has_pet",
        g.rx(
            rf"\bi\s+(?:just\s+|recently\s+|finally\s+|also\s+)?(?:have|own|got|adopted|rescued)"
            rf"\s+(?:got\s+)?{g.COUNT}\s+"
            r"(?:(?:new|little|cute|pet|young|old|baby|rescue|big|small|fluffy|black|white|grey|"
            rf"gray|brown)\s+)*{g.PET}(?:\s+(?:named|called)\s+{g.NAME})?\b"
        ),
        pet_facts,
    ),
    Rule(
        "pet_named",
        g.rx(
            rf"\bmy\s+(?:pet\s+)?{g.PET}(?:'s\s+name\s+is|\s+is\s+(?:called|named)|\s+goes\s+by)"
            rf"\s+{g.NAME}"
        ),
        pet_facts,
    ),
    Rule("pet_apposition", g.rx(rf"\bmy\s+(?:pet\s+)?{g.PET},?\s+{g.CAPITAL_NAME}\b"), pet_facts),
    Rule(
        "allergies",
        g.rx(rf"\b{g.I_AM}\s+(?:very\s+|severely\s+|highly\s+)?allergic\s+to\s+{g.LIST_PHRASE}"),
        list_rule("user.allergies", "The user is allergic to {}."),
    ),
    Rule(
        "languages",
        g.rx(rf"\bi\s+(?:can\s+)?speak\s+{g.LIST_PHRASE}"),
        list_rule("user.languages", "The user speaks {}."),
    ),
)
