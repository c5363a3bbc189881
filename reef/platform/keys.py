"""API keys: generation, hashing, and their rows in the store.

Only a SHA-256 hash and a short display prefix are stored, so a leaked database never
yields a usable key; the raw key is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reef.errors import InvalidRequest, NotFound
from reef.platform.accounts import OrgRef, add_org, check_budget, org_info, resolve_org
from reef.platform.clock import as_utc
from reef.platform.types import KeyInfo, OrgInfo
from reef.store.db import Database
from reef.store.tables import ApiKey, Organization, utcnow

KEY_SCHEME = "sk-reef-"
KEY_RANDOM_BYTES = 30  # 40 url-safe characters
DISPLAY_RANDOM_CHARS = 6
MAX_NAME_LENGTH = 200


class KeyNotFound(NotFound):
    code = "api_key_not_found"


def generate_key() -> str:
    """A fresh secret: the scheme prefix plus 40 url-safe random characters."""
    return KEY_SCHEME + secrets.token_urlsafe(KEY_RANDOM_BYTES)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def display_prefix(raw_key: str) -> str:
    """Enough of the key to recognise it in a list without revealing it."""
    return raw_key[: len(KEY_SCHEME) + DISPLAY_RANDOM_CHARS]


def mask_key(raw_key: str) -> str:
    """OpenAI-style redaction for error messages: `sk-reef-ab***xyz`."""
    head = len(KEY_SCHEME) + 2
    if len(raw_key) < head + 6:
        return "***"
    return f"{raw_key[:head]}***{raw_key[-3:]}"


def _validate_limit(value: int | None, field: str) -> None:
    if value is not None and value <= 0:
        raise InvalidRequest(f"{field} must be a positive integer, got {value}", param=field)


def _validate_models(models: Sequence[str] | None) -> tuple[str, ...] | None:
    if models is None:
        return None
    cleaned = tuple(dict.fromkeys(m.strip() for m in models))
    if not cleaned or any(not m for m in cleaned):
        raise InvalidRequest(
            "allowed_models must list at least one non-empty model name", param="allowed_models"
        )
    return cleaned


def key_info(key: ApiKey, org_name: str) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        org_name=org_name,
        name=key.name,
        prefix=key.key_prefix,
        rpm=key.rpm,
        tpm=key.tpm,
        allowed_models=tuple(key.allowed_models) if key.allowed_models is not None else None,
        created_at=as_utc(key.created_at),
        revoked_at=as_utc(key.revoked_at) if key.revoked_at is not None else None,
    )


def add_key(
    session: Session,
    org: Organization,
    *,
    name: str = "",
    rpm: int | None = None,
    tpm: int | None = None,
    allowed_models: Sequence[str] | None = None,
) -> tuple[str, KeyInfo]:
    """Insert a key for `org` inside an open session; returns the raw key and its info."""
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(f"key name is longer than {MAX_NAME_LENGTH} characters", param="name")
    _validate_limit(rpm, "rpm")
    _validate_limit(tpm, "tpm")
    models = _validate_models(allowed_models)
    raw = generate_key()
    key = ApiKey(
        org_id=org.id,
        name=name,
        key_hash=hash_key(raw),
        key_prefix=display_prefix(raw),
        rpm=rpm,
        tpm=tpm,
        allowed_models=list(models) if models is not None else None,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return raw, key_info(key, org.name)


def create_key(
    db: Database,
    org: OrgRef,
    *,
    name: str = "",
    rpm: int | None = None,
    tpm: int | None = None,
    allowed_models: Sequence[str] | None = None,
) -> tuple[str, KeyInfo]:
    """Create a key for an existing organisation; the raw key is returned only here."""
    with db.session() as session:
        organization = resolve_org(session, org)
        return add_key(
            session, organization, name=name, rpm=rpm, tpm=tpm, allowed_models=allowed_models
        )


def provision_key(
    db: Database,
    org_name: str,
    *,
    name: str = "",
    rpm: int | None = None,
    tpm: int | None = None,
    allowed_models: Sequence[str] | None = None,
    monthly_budget_usd: float | None = None,
) -> tuple[str, KeyInfo, OrgInfo, bool]:
    """Create the organisation if new, set its budget if given, and add a key: all or nothing.

    Returns the raw key, its info, the organisation and whether it was created.
    """
    check_budget(monthly_budget_usd)
    try:
        return _provision(db, org_name, name, rpm, tpm, allowed_models, monthly_budget_usd)
    except IntegrityError:
        # Another process created the organisation meanwhile; now it exists.
        return _provision(db, org_name, name, rpm, tpm, allowed_models, monthly_budget_usd)


def _provision(
    db: Database,
    org_name: str,
    name: str,
    rpm: int | None,
    tpm: int | None,
    allowed_models: Sequence[str] | None,
    monthly_budget_usd: float | None,
) -> tuple[str, KeyInfo, OrgInfo, bool]:
    with db.session() as session:
        organization = session.scalar(
            select(Organization).where(Organization.name == org_name.strip())
        )
        created = organization is None
        if organization is None:
            organization = add_org(session, org_name)
        if monthly_budget_usd is not None:
            organization.monthly_budget_usd = monthly_budget_usd
        raw, info = add_key(
            session, organization, name=name, rpm=rpm, tpm=tpm, allowed_models=allowed_models
        )
        return raw, info, org_info(organization), created


def list_keys(db: Database, org: OrgRef | None = None) -> list[KeyInfo]:
    """Keys (revoked ones included) oldest first, optionally of one organisation."""
    with db.session() as session:
        query = select(ApiKey, Organization.name).join(Organization).order_by(ApiKey.id)
        if org is not None:
            query = query.where(ApiKey.org_id == resolve_org(session, org).id)
        return [key_info(key, org_name) for key, org_name in session.execute(query)]


def _find_key(session: Session, ref: int | str) -> tuple[ApiKey, str]:
    """A key by id, display prefix, or the full raw key."""
    query = select(ApiKey, Organization.name).join(Organization)
    if isinstance(ref, int) or ref.isdigit():
        query = query.where(ApiKey.id == int(ref))
    elif len(ref) > len(KEY_SCHEME) + DISPLAY_RANDOM_CHARS:
        query = query.where(ApiKey.key_hash == hash_key(ref))
    else:
        query = query.where(ApiKey.key_prefix == ref)
    rows = session.execute(query).all()
    if not rows:
        raise KeyNotFound(f"No API key matches {ref!r}", param="key")
    if len(rows) > 1:
        ids = ", ".join(str(key.id) for key, _ in rows)
        raise InvalidRequest(f"{ref!r} matches several keys ({ids}); use the key id", param="key")
    key, org_name = rows[0]
    return key, org_name


def revoke_key(db: Database, ref: int | str) -> KeyInfo:
    """Revoke by id, display prefix or full key; revoking twice keeps the first time."""
    with db.session() as session:
        key, org_name = _find_key(session, ref)
        if key.revoked_at is None:
            key.revoked_at = utcnow()
        return key_info(key, org_name)
