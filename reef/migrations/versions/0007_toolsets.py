"""toolsets: agent tool catalogues searched by /v1/tools/search

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_toolsets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tool_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("embedding_model", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_agent_toolsets_org_created", "agent_toolsets", ["org_id", "created_at"])
    op.create_table(
        "agent_toolset_tools",
        sa.Column(
            "toolset_id",
            sa.String(40),
            sa.ForeignKey("agent_toolsets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint("toolset_id", "name", name="uq_agent_toolset_tools_toolset_name"),
    )


def downgrade() -> None:
    op.drop_table("agent_toolset_tools")
    op.drop_index("ix_agent_toolsets_org_created", table_name="agent_toolsets")
    op.drop_table("agent_toolsets")
