"""Organisations: unique names, admin flag, monthly budgets."""

from __future__ import annotations

import math

import pytest

from reef.errors import InvalidRequest, NotFound
from reef.platform import accounts
from reef.store.db import Database


def test_create_and_get_by_name_or_id(db: Database) -> None:
    created = accounts.create_org(db, "  acme ", monthly_budget_usd=12.5)
    assert created.name == "acme" and not created.is_admin
    assert accounts.get_org(db, "acme") == created
    assert accounts.get_org(db, created.id) == created
    assert created.monthly_budget_usd == 12.5


def test_names_are_unique(db: Database) -> None:
    accounts.create_org(db, "acme")
    with pytest.raises(InvalidRequest, match="already exists"):
        accounts.create_org(db, "acme")
    assert len(accounts.list_orgs(db)) == 1


def test_get_or_create_creates_once(db: Database) -> None:
    first, created = accounts.get_or_create_org(db, "acme")
    again, created_again = accounts.get_or_create_org(db, "acme")
    assert created and not created_again
    assert again.id == first.id


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_names_are_rejected(db: Database, name: str) -> None:
    with pytest.raises(InvalidRequest):
        accounts.create_org(db, name)
    assert accounts.list_orgs(db) == []


def test_set_and_clear_budget(db: Database) -> None:
    accounts.create_org(db, "acme")
    assert accounts.set_budget(db, "acme", 99.0).monthly_budget_usd == 99.0
    assert accounts.get_org(db, "acme").monthly_budget_usd == 99.0
    assert accounts.set_budget(db, "acme", None).monthly_budget_usd is None


@pytest.mark.parametrize("usd", [-1.0, math.nan, math.inf])
def test_bad_budget_is_rejected_and_changes_nothing(db: Database, usd: float) -> None:
    accounts.create_org(db, "acme", monthly_budget_usd=5.0)
    with pytest.raises(InvalidRequest, match="budget"):
        accounts.set_budget(db, "acme", usd)
    assert accounts.get_org(db, "acme").monthly_budget_usd == 5.0


def test_unknown_org_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match="ghost"):
        accounts.get_org(db, "ghost")
    with pytest.raises(NotFound):
        accounts.set_budget(db, "ghost", 1.0)
