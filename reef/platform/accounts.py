"""Organisations: the unit that owns keys, pays for usage and has a monthly budget."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reef.errors import InvalidRequest, NotFound
from reef.platform.clock import as_utc
from reef.platform.types import OrgInfo
from reef.store.db import Database
from reef.store.tables import Organization, utcnow

OrgRef = int | str
"""An organisation by id (int) or by name (str)."""

MAX_ORG_NAME_LENGTH = 200


class OrganizationNotFound(NotFound):
    code = "organization_not_found"


def org_info(org: Organization) -> OrgInfo:
    return OrgInfo(
        id=org.id,
        name=org.name,
        is_admin=org.is_admin,
        monthly_budget_usd=org.monthly_budget_usd,
        created_at=as_utc(org.created_at),
    )


def resolve_org(session: Session, org: OrgRef) -> Organization:
    if isinstance(org, int):
        found = session.get(Organization, org)
    else:
        found = session.scalar(select(Organization).where(Organization.name == org))
    if found is None:
        raise OrganizationNotFound(f"Organization {org!r} does not exist", param="org")
    return found


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidRequest("organization name must not be empty", param="name")
    if len(cleaned) > MAX_ORG_NAME_LENGTH:
        raise InvalidRequest(
            f"organization name is longer than {MAX_ORG_NAME_LENGTH} characters", param="name"
        )
    return cleaned


def check_budget(usd: float | None) -> None:
    if usd is not None and not (math.isfinite(usd) and usd >= 0):
        raise InvalidRequest(
            f"monthly budget must be a non-negative amount of USD, got {usd}", param="budget"
        )


def add_org(
    session: Session, name: str, *, is_admin: bool = False, monthly_budget_usd: float | None = None
) -> Organization:
    """Insert inside an open session; a taken name raises IntegrityError at flush."""
    org = Organization(
        name=_clean_name(name),
        is_admin=is_admin,
        monthly_budget_usd=monthly_budget_usd,
        created_at=utcnow(),
    )
    session.add(org)
    session.flush()
    return org


def create_org(
    db: Database, name: str, *, is_admin: bool = False, monthly_budget_usd: float | None = None
) -> OrgInfo:
    check_budget(monthly_budget_usd)
    try:
        with db.session() as session:
            return org_info(
                add_org(session, name, is_admin=is_admin, monthly_budget_usd=monthly_budget_usd)
            )
    except IntegrityError as exc:
        raise InvalidRequest(
            f"Organization {name.strip()!r} already exists", param="name", code="already_exists"
        ) from exc


def get_org(db: Database, org: OrgRef) -> OrgInfo:
    with db.session() as session:
        return org_info(resolve_org(session, org))


def get_or_create_org(db: Database, name: str) -> tuple[OrgInfo, bool]:
    """The organisation called `name`, and whether this call created it."""
    cleaned = _clean_name(name)
    with db.session() as session:
        existing = session.scalar(select(Organization).where(Organization.name == cleaned))
        if existing is not None:
            return org_info(existing), False
    try:
        return create_org(db, cleaned), True
    except InvalidRequest:
        # Another process created it between our read and our insert.
        return get_org(db, cleaned), False


def list_orgs(db: Database) -> list[OrgInfo]:
    with db.session() as session:
        return [
            org_info(o) for o in session.scalars(select(Organization).order_by(Organization.id))
        ]


def set_budget(db: Database, org: OrgRef, usd: float | None) -> OrgInfo:
    """Set the monthly budget in USD; None removes the limit."""
    check_budget(usd)
    with db.session() as session:
        organization = resolve_org(session, org)
        organization.monthly_budget_usd = usd
        return org_info(organization)


def any_org_exists(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(select(Organization.id).limit(1)) is not None
