"""Alembic environment: runs on the connection handed over by `reef.store.db.migrate`,
or on `REEF_DATABASE_URL` when invoked through the `alembic` CLI."""

from alembic import context
from sqlalchemy import Connection

from reef.settings import Settings
from reef.store.db import make_engine
from reef.tables import metadata

target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(Settings().resolved_database_url)
    with engine.begin() as conn:
        _run(conn)
