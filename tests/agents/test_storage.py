"""Toolsets in the store, on SQLite and PostgreSQL: within one organisation, appended in order,
vectors round-tripped, and nothing stored when an addition is refused."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from reef.agents.toolsearch import storage, tool_doc
from reef.agents.toolsearch.tools import ToolDoc
from reef.errors import InvalidRequest, NotFound
from reef.platform import accounts
from reef.store.db import Database
from tests.agents.sample_tools import TOOLS

DOCS = [tool_doc(t) for t in TOOLS]


def new_org(db: Database) -> int:
    return accounts.create_org(db, f"tools-{uuid.uuid4().hex[:10]}").id


def vectors_for(tools: list[ToolDoc], seed: int = 0) -> np.ndarray:
    matrix = np.random.default_rng(seed).normal(size=(len(tools), 8)).astype(np.float32)
    return matrix


def test_create_load_and_append_in_order(db: Database) -> None:
    org = new_org(db)
    first, rest = DOCS[:5], DOCS[5:]
    made = storage.create_toolset(db, org, "travel", first, vectors_for(first), "m", cap=100)
    assert (made.name, made.tool_count, made.version, made.embedding_model) == (
        "travel",
        5,
        1,
        "m",
    )
    grown = storage.add_tools(db, org, made.id, rest, vectors_for(rest, 1), cap=100)
    assert (grown.tool_count, grown.version) == (len(DOCS), 2)
    loaded = storage.load_tools(db, org, made.id)
    assert [t.name for t in loaded.tools] == [d.name for d in DOCS]
    assert loaded.tools[1] == DOCS[1]  # definitions survive the round trip
    assert loaded.vectors is not None
    expected = np.vstack([vectors_for(first), vectors_for(rest, 1)])
    assert np.array_equal(loaded.vectors, expected)


def test_refused_additions_store_nothing(db: Database) -> None:
    org = new_org(db)
    made = storage.create_toolset(db, org, "s", DOCS[:3], None, None, cap=5)
    with pytest.raises(InvalidRequest) as duplicate:
        storage.add_tools(db, org, made.id, [DOCS[5], DOCS[1]], None, cap=5)
    assert (duplicate.value.code, duplicate.value.param) == ("duplicate_tool_name", "tools[1]")
    with pytest.raises(InvalidRequest) as too_many:
        storage.add_tools(db, org, made.id, DOCS[3:6], None, cap=5)
    assert too_many.value.code == "toolset_too_large"
    with pytest.raises(InvalidRequest):
        storage.check_addable(db, org, made.id, DOCS[3:6], cap=5)
    after = storage.load_tools(db, org, made.id)
    assert (after.toolset.tool_count, after.toolset.version) == (3, 1)
    assert [t.name for t in after.tools] == [d.name for d in DOCS[:3]]
    assert after.vectors is None


def test_other_organisations_see_nothing(db: Database) -> None:
    owner, stranger = new_org(db), new_org(db)
    made = storage.create_toolset(db, owner, "mine", DOCS[:2], None, None, cap=10)
    for attempt in (
        lambda: storage.get_toolset(db, stranger, made.id),
        lambda: storage.load_tools(db, stranger, made.id),
        lambda: storage.add_tools(db, stranger, made.id, DOCS[2:3], None, cap=10),
        lambda: storage.delete_toolset(db, stranger, made.id),
    ):
        with pytest.raises(NotFound) as caught:
            attempt()
        assert caught.value.code == "toolset_not_found"
    assert storage.list_toolsets(db, stranger, 10, None) == []
    with pytest.raises(InvalidRequest):  # a foreign id is no cursor either
        storage.list_toolsets(db, stranger, 10, made.id)
    assert storage.get_toolset(db, owner, made.id).tool_count == 2


def test_list_pages_newest_first_and_delete_cascades(db: Database) -> None:
    org = new_org(db)
    made = [
        storage.create_toolset(db, org, f"t{i}", DOCS[i : i + 1], None, None, 10) for i in range(3)
    ]
    page = storage.list_toolsets(db, org, 2, None)
    assert [t.id for t in page] == [made[2].id, made[1].id]
    rest = storage.list_toolsets(db, org, 2, page[-1].id)
    assert [t.id for t in rest] == [made[0].id]
    storage.delete_toolset(db, org, made[1].id)
    assert [t.id for t in storage.list_toolsets(db, org, 10, None)] == [made[2].id, made[0].id]
    with pytest.raises(NotFound):
        storage.load_tools(db, org, made[1].id)
    # the deleted toolset's tool names are free again in a new toolset
    again = storage.create_toolset(db, org, "again", DOCS[1:2], None, None, 10)
    assert again.tool_count == 1
