"""The Alembic migrations build, tear down and rebuild the schema on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from reef.store.db import MIGRATIONS_DIR, make_engine, migrate
from reef.store.tables import Base

PLATFORM_TABLES = {"organizations", "api_keys", "usage_events"}


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _run(engine: Engine, action: str, revision: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def test_upgrade_from_empty_reaches_head_with_all_model_tables(engine: Engine) -> None:
    assert not set(inspect(engine).get_table_names()) & PLATFORM_TABLES
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert tables >= PLATFORM_TABLES
    assert _current_revision(engine) == ScriptDirectory.from_config(_config()).get_current_head()


def test_migrations_match_models(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_then_upgrade_rebuilds_a_working_schema(engine: Engine) -> None:
    migrate(engine)
    _run(engine, "downgrade", "base")
    assert not set(inspect(engine).get_table_names()) & set(Base.metadata.tables)
    assert _current_revision(engine) is None

    _run(engine, "upgrade", "head")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organizations (name, is_admin, created_at) "
                "VALUES ('acme', false, CURRENT_TIMESTAMP)"
            )
        )
        names = conn.execute(text("SELECT name FROM organizations")).scalars().all()
    assert names == ["acme"]


def test_migrating_twice_is_a_no_op(engine: Engine) -> None:
    migrate(engine)
    head = _current_revision(engine)
    migrate(engine)
    assert _current_revision(engine) == head


def test_the_worldbooks_revision_upgrades_and_downgrades_a_database_in_use(engine: Engine) -> None:
    """0002 -> 0003 adds the world book tables beside existing characters; going back to 0002
    drops them (and the attachments) and keeps the characters."""
    _run(engine, "upgrade", "0002")
    assert "companion_worldbooks" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organizations (id, name, is_admin, created_at) "
                "VALUES (1, 'acme', false, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO companion_characters (id, org_id, name, visibility, card, voice, "
                "temperament, created_at, updated_at) VALUES ('chr_1', 1, 'Mira', 'private', "
                "'{}', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    _run(engine, "upgrade", "0003")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO companion_worldbooks (id, org_id, name, book, entry_count, "
                "size_bytes, created_at, updated_at) VALUES ('wb_1', 1, 'Coast', "
                "'{\"entries\": {}}', 0, 15, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO companion_character_worldbooks (character_id, worldbook_id, "
                "position) VALUES ('chr_1', 'wb_1', 0)"
            )
        )
        conn.execute(text("DELETE FROM companion_worldbooks WHERE id = 'wb_1'"))
        left = conn.execute(text("SELECT count(*) FROM companion_character_worldbooks"))
        assert left.scalar() == 0  # deleting a world book detaches it
    _run(engine, "downgrade", "0002")
    tables = set(inspect(engine).get_table_names())
    assert not {"companion_worldbooks", "companion_character_worldbooks"} & tables
    with engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM companion_characters")).scalars().all()
    assert names == ["Mira"]
