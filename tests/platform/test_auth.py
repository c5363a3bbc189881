"""Authentication: bearer keys, OpenAI-style errors, a TTL cache, revocation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reef.errors import AuthenticationFailed
from reef.platform import accounts, keys
from reef.store.db import Database
from tests.support.clock import ManualClock

TTL_S = 5.0


async def test_valid_key_yields_its_principal(
    db: Database, make_services: Callable[..., Any]
) -> None:
    services = await make_services(db)
    await services.create_org("acme", monthly_budget_usd=3.0)
    raw, info = await services.create_key("acme", rpm=7, tpm=700, allowed_models=["m1", "m2"])

    principal = await services.authenticate(f"Bearer {raw}")

    assert principal.org_name == "acme" and principal.key_id == info.id
    assert (principal.rpm, principal.tpm) == (7, 700)
    assert principal.allowed_models == ("m1", "m2")
    assert principal.monthly_budget_usd == 3.0 and not principal.is_admin
    assert (await services.authenticate(f"bearer   {raw} ")).key_id == info.id


async def test_admin_org_key_is_an_admin_principal(
    sqlite_db: Database, make_services: Callable[..., Any]
) -> None:
    services = await make_services(sqlite_db)
    raw = await services.ensure_admin_org()
    assert raw is not None
    assert (await services.authenticate(f"Bearer {raw}")).is_admin


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic a b"])
async def test_missing_key_is_rejected(
    sqlite_db: Database, make_services: Callable[..., Any], header: str | None
) -> None:
    services = await make_services(sqlite_db)
    with pytest.raises(AuthenticationFailed, match="didn't provide an API key") as caught:
        await services.authenticate(header)
    assert caught.value.status == 401 and caught.value.code == "invalid_api_key"


async def test_wrong_key_error_masks_the_key(
    sqlite_db: Database, make_services: Callable[..., Any]
) -> None:
    services = await make_services(sqlite_db)
    wrong = keys.generate_key()
    with pytest.raises(AuthenticationFailed) as caught:
        await services.authenticate(f"Bearer {wrong}")
    message = caught.value.message
    assert message == f"Incorrect API key provided: {wrong[:10]}***{wrong[-3:]}."
    assert wrong[10:-3] not in message


async def test_revoking_through_the_service_takes_effect_at_once(
    sqlite_db: Database, make_services: Callable[..., Any], clock: ManualClock
) -> None:
    services = await make_services(sqlite_db, clock=clock, key_cache_ttl_s=TTL_S)
    await services.create_org("acme")
    raw, info = await services.create_key("acme")
    await services.authenticate(f"Bearer {raw}")  # now cached

    await services.revoke_key(info.prefix)

    with pytest.raises(AuthenticationFailed, match="Incorrect API key"):
        await services.authenticate(f"Bearer {raw}")


async def test_revocation_elsewhere_takes_effect_within_the_ttl(
    sqlite_url: str, make_services: Callable[..., Any], clock: ManualClock
) -> None:
    server_db, cli_db = Database(sqlite_url), Database(sqlite_url)
    try:
        services = await make_services(server_db, clock=clock, key_cache_ttl_s=TTL_S)
        accounts.create_org(cli_db, "acme")
        raw, info = keys.create_key(cli_db, "acme")
        assert (await services.authenticate(f"Bearer {raw}")).key_id == info.id

        keys.revoke_key(cli_db, info.id)  # another process's store handle
        clock.advance(TTL_S / 2)
        assert (await services.authenticate(f"Bearer {raw}")).key_id == info.id  # still cached

        clock.advance(TTL_S)
        with pytest.raises(AuthenticationFailed):
            await services.authenticate(f"Bearer {raw}")
    finally:
        cli_db.dispose()
        server_db.dispose()


async def test_budget_change_elsewhere_reaches_the_principal_after_the_ttl(
    sqlite_db: Database, make_services: Callable[..., Any], clock: ManualClock
) -> None:
    services = await make_services(sqlite_db, clock=clock, key_cache_ttl_s=TTL_S)
    accounts.create_org(sqlite_db, "acme")
    raw, _ = keys.create_key(sqlite_db, "acme")
    assert (await services.authenticate(f"Bearer {raw}")).monthly_budget_usd is None

    accounts.set_budget(sqlite_db, "acme", 4.0)
    clock.advance(TTL_S + 1)

    assert (await services.authenticate(f"Bearer {raw}")).monthly_budget_usd == 4.0


async def test_set_budget_through_the_service_refreshes_cached_principals(
    sqlite_db: Database, make_services: Callable[..., Any], clock: ManualClock
) -> None:
    services = await make_services(sqlite_db, clock=clock, key_cache_ttl_s=TTL_S)
    await services.create_org("acme")
    raw, _ = await services.create_key("acme")
    await services.authenticate(f"Bearer {raw}")

    await services.set_budget("acme", 2.0)

    assert (await services.authenticate(f"Bearer {raw}")).monthly_budget_usd == 2.0
