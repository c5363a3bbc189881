"""usage_events.event_key: one idempotency key per usage record

A record is written before the client receives its last bytes; a write retried after an
ambiguous failure (the commit landed, the acknowledgement was lost) must not bill twice.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_events") as batch:
        batch.add_column(sa.Column("event_key", sa.String(32), nullable=True))
    op.create_index("ux_usage_event_key", "usage_events", ["event_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_usage_event_key", table_name="usage_events")
    with op.batch_alter_table("usage_events") as batch:
        batch.drop_column("event_key")
