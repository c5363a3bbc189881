"""Companion memory in the manner of mem0 and Letta: after each exchange, extract facts about
the user and the relationship, reconcile them with what is stored (ADD / UPDATE / DELETE /
NONE), keep a bounded relationship summary, and recall only relevant memories into the prompt.

Everything here is pure logic over injected dependencies: a `MemoryStore`, an async
`embed(texts)`, a `count_tokens(text)` and, optionally, an async `complete(messages,
json_schema)` for LLM extraction, arbitration and summaries.

Typical turn:

    memory = CompanionMemory(store, embed, count_tokens, settings=settings.companion.memory)
    scope = MemoryScope(user_id="org1:alice", character_id="mira")
    lines = await memory.context_lines(scope, user_message)  # -> assemble_prompt(memories=...)
    ...generate the reply...
    await memory.observe(scope, Exchange(user_message, reply, "Mira", "Alice", context))
"""

from reef.companion.memory.controls import (
    correct_memory,
    delete_memory,
    forget_everything,
    list_memories,
)
from reef.companion.memory.extract import (
    CombinedExtractor,
    FactExtractor,
    LLMExtractor,
)
from reef.companion.memory.hashing import HashingEmbedder
from reef.companion.memory.reconcile import Reconciler
from reef.companion.memory.retrieve import Recall, Retriever, ScoredMemory, render_line
from reef.companion.memory.rules import RuleExtractor
from reef.companion.memory.service import (
    CompanionMemory,
    MemoryContext,
    Observation,
    default_extractor,
)
from reef.companion.memory.store import InMemoryMemoryStore, MemoryStore, cosine
from reef.companion.memory.summary import RelationshipSummarizer
from reef.companion.memory.types import (
    CandidateFact,
    CompleteFn,
    CountTokensFn,
    EmbedFn,
    Exchange,
    Memory,
    MemoryOperation,
    MemoryRevision,
    MemoryScope,
    RelationshipSummary,
)

__all__ = [
    "CandidateFact",
    "CombinedExtractor",
    "CompanionMemory",
    "CompleteFn",
    "CountTokensFn",
    "EmbedFn",
    "Exchange",
    "FactExtractor",
    "HashingEmbedder",
    "InMemoryMemoryStore",
    "LLMExtractor",
    "Memory",
    "MemoryContext",
    "MemoryOperation",
    "MemoryRevision",
    "MemoryScope",
    "MemoryStore",
    "Observation",
    "Recall",
    "Reconciler",
    "RelationshipSummarizer",
    "RelationshipSummary",
    "Retriever",
    "RuleExtractor",
    "ScoredMemory",
    "correct_memory",
    "cosine",
    "default_extractor",
    "delete_memory",
    "forget_everything",
    "list_memories",
    "render_line",
]
