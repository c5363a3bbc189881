"""First start: an empty store gets an admin organisation so the operator can log in."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from reef.platform.accounts import add_org, any_org_exists
from reef.platform.keys import add_key
from reef.store.db import Database

ADMIN_ORG_NAME = "admin"


def ensure_admin_org(db: Database) -> str | None:
    """Create the `admin` organisation and its first key when no organisation exists yet.

    Returns the raw key (to show once) or None when the store already had organisations.
    Two replicas starting together race on the unique name; the loser gets None.
    """
    if any_org_exists(db):
        return None
    try:
        with db.session() as session:
            org = add_org(session, ADMIN_ORG_NAME, is_admin=True)
            raw, _ = add_key(session, org, name="bootstrap")
            return raw
    except IntegrityError:
        return None
