"""world books: an organisation's SillyTavern lorebooks and the characters they are attached to

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(40)
NAME = sa.String(200)


def upgrade() -> None:
    op.create_table(
        "companion_worldbooks",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", NAME, nullable=False),
        sa.Column("book", sa.JSON(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("org_id", "name", name="uq_companion_worldbooks_org_name"),
    )
    op.create_index(
        "ix_companion_worldbooks_org_created", "companion_worldbooks", ["org_id", "created_at"]
    )
    op.create_table(
        "companion_character_worldbooks",
        sa.Column(
            "character_id",
            ID,
            sa.ForeignKey("companion_characters.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "worldbook_id",
            ID,
            sa.ForeignKey("companion_worldbooks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_companion_character_worldbooks_book",
        "companion_character_worldbooks",
        ["worldbook_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_companion_character_worldbooks_book", table_name="companion_character_worldbooks"
    )
    op.drop_table("companion_character_worldbooks")
    op.drop_index("ix_companion_worldbooks_org_created", table_name="companion_worldbooks")
    op.drop_table("companion_worldbooks")
