"""API keys: generated once, stored only as a hash, listed by prefix, revocable."""

from __future__ import annotations

import hashlib
import string

import pytest
from sqlalchemy import select

from reef.errors import InvalidRequest, NotFound
from reef.platform import accounts, keys
from reef.platform.bootstrap import ensure_admin_org
from reef.store.db import Database
from reef.store.tables import ApiKey

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def test_created_key_is_scheme_plus_40_url_safe_chars_and_only_its_hash_is_stored(
    db: Database,
) -> None:
    accounts.create_org(db, "acme")
    raw, info = keys.create_key(db, "acme", name="ci", rpm=10, tpm=1000, allowed_models=["a"])

    assert raw.startswith("sk-reef-")
    secret = raw.removeprefix("sk-reef-")
    assert len(secret) == 40 and set(secret) <= URL_SAFE
    assert info.prefix == raw[:14] and info.org_name == "acme" and info.name == "ci"
    assert (info.rpm, info.tpm, info.allowed_models) == (10, 1000, ("a",))
    with db.session() as session:
        row = session.scalars(select(ApiKey)).one()
        stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not any(secret in value for value in stored)


def test_keys_are_unique(db: Database) -> None:
    accounts.create_org(db, "acme")
    raws = {keys.create_key(db, "acme")[0] for _ in range(20)}
    assert len(raws) == 20


def test_list_keys_filters_by_org_and_includes_revoked(db: Database) -> None:
    accounts.create_org(db, "acme")
    accounts.create_org(db, "globex")
    _, first = keys.create_key(db, "acme", name="one")
    _, second = keys.create_key(db, "globex", name="two")
    keys.revoke_key(db, first.id)

    assert [k.id for k in keys.list_keys(db)] == [first.id, second.id]
    (acme_key,) = keys.list_keys(db, "acme")
    assert acme_key.name == "one" and acme_key.revoked_at is not None
    assert [k.name for k in keys.list_keys(db, "globex")] == ["two"]


@pytest.mark.parametrize("ref_kind", ["id", "id-as-text", "prefix", "full key"])
def test_revoke_by_any_reference(db: Database, ref_kind: str) -> None:
    accounts.create_org(db, "acme")
    raw, info = keys.create_key(db, "acme")
    _, other = keys.create_key(db, "acme")
    ref = {"id": info.id, "id-as-text": str(info.id), "prefix": info.prefix, "full key": raw}[
        ref_kind
    ]

    revoked = keys.revoke_key(db, ref)

    assert revoked.id == info.id and revoked.revoked_at is not None
    by_id = {k.id: k for k in keys.list_keys(db)}
    assert by_id[other.id].revoked_at is None


def test_revoking_twice_keeps_the_first_time(db: Database) -> None:
    accounts.create_org(db, "acme")
    _, info = keys.create_key(db, "acme")
    first = keys.revoke_key(db, info.id)
    again = keys.revoke_key(db, info.id)
    assert again.revoked_at == first.revoked_at


def test_unknown_key_reference_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match="sk-reef-nope"):
        keys.revoke_key(db, "sk-reef-nope")
    with pytest.raises(NotFound):
        keys.revoke_key(db, 424242)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"rpm": 0}, "rpm"),
        ({"tpm": -5}, "tpm"),
        ({"allowed_models": []}, "allowed_models"),
        ({"allowed_models": ["ok", " "]}, "allowed_models"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_bad_key_settings_are_rejected_and_create_nothing(
    db: Database, kwargs: dict[str, object], param: str
) -> None:
    accounts.create_org(db, "acme")
    with pytest.raises(InvalidRequest) as caught:
        keys.create_key(db, "acme", **kwargs)  # type: ignore[arg-type]
    assert caught.value.param == param
    assert keys.list_keys(db) == []


def test_key_for_unknown_org_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match="ghost"):
        keys.create_key(db, "ghost")


def test_mask_key_hides_the_secret() -> None:
    raw = keys.generate_key()
    masked = keys.mask_key(raw)
    assert masked == f"{raw[:10]}***{raw[-3:]}"
    assert keys.mask_key("short") == "***"


def test_first_start_creates_an_admin_org_once(db: Database) -> None:
    raw = ensure_admin_org(db)

    assert raw is not None and raw.startswith("sk-reef-")
    (admin,) = accounts.list_orgs(db)
    assert admin.name == "admin" and admin.is_admin
    (key,) = keys.list_keys(db, "admin")
    assert key.prefix == raw[:14]
    assert ensure_admin_org(db) is None
    assert len(keys.list_keys(db)) == 1


def test_no_admin_org_when_the_store_already_has_organisations(db: Database) -> None:
    accounts.create_org(db, "acme")
    assert ensure_admin_org(db) is None
    assert [o.name for o in accounts.list_orgs(db)] == ["acme"]


def test_provision_creates_org_sets_budget_and_adds_a_key(db: Database) -> None:
    raw, info, org, created = keys.provision_key(db, "acme", rpm=3, monthly_budget_usd=9.0)
    _, second, same_org, created_again = keys.provision_key(db, "acme")

    assert created and not created_again and same_org.id == org.id
    assert org.monthly_budget_usd == same_org.monthly_budget_usd == 9.0
    assert [k.id for k in keys.list_keys(db, "acme")] == [info.id, second.id]
    assert info.prefix == raw[:14] and info.rpm == 3


def test_provision_with_bad_input_changes_nothing(db: Database) -> None:
    with pytest.raises(InvalidRequest, match="rpm"):
        keys.provision_key(db, "acme", rpm=-1, monthly_budget_usd=5.0)
    assert accounts.list_orgs(db) == []
