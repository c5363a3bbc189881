"""companions: end users, characters, sessions, messages, memories

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(40)
NAME = sa.String(200)


def _org() -> sa.Column:
    return sa.Column(
        "org_id",
        sa.Integer(),
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    )


def _end_user() -> sa.Column:
    return sa.Column(
        "end_user_id",
        sa.Integer(),
        sa.ForeignKey("companion_end_users.id", ondelete="CASCADE"),
        nullable=False,
    )


def _character(name: str, *, nullable: bool, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(
        name,
        ID,
        sa.ForeignKey("companion_characters.id", ondelete=ondelete),
        nullable=nullable,
    )


def _stamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "companion_end_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org(),
        sa.Column("external_id", NAME, nullable=False),
        _stamp("created_at"),
        sa.UniqueConstraint("org_id", "external_id", name="uq_companion_end_users_org_external"),
    )
    op.create_table(
        "companion_characters",
        sa.Column("id", ID, primary_key=True),
        _org(),
        sa.Column(
            "owner_id",
            sa.Integer(),
            sa.ForeignKey("companion_end_users.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("name", NAME, nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("portrait", sa.LargeBinary(), nullable=True),
        sa.Column("voice", sa.JSON(), nullable=False),
        sa.Column("temperament", sa.JSON(), nullable=False),
        sa.Column("model", NAME, nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
    )
    op.create_index(
        "ix_companion_characters_org_visibility", "companion_characters", ["org_id", "visibility"]
    )
    op.create_index("ix_companion_characters_owner", "companion_characters", ["owner_id"])
    op.create_table(
        "companion_sessions",
        sa.Column("id", ID, primary_key=True),
        _org(),
        _end_user(),
        sa.Column("title", NAME, nullable=False),
        sa.Column("user_name", NAME, nullable=False),
        sa.Column("model", NAME, nullable=False),
        sa.Column("speaker_strategy", sa.String(16), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
    )
    op.create_index(
        "ix_companion_sessions_user_updated",
        "companion_sessions",
        ["org_id", "end_user_id", "updated_at"],
    )
    op.create_table(
        "companion_session_members",
        sa.Column(
            "session_id",
            ID,
            sa.ForeignKey("companion_sessions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        _character("character_id", nullable=False),
    )
    op.create_index(
        "ix_companion_session_members_character", "companion_session_members", ["character_id"]
    )
    op.create_table(
        "companion_messages",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "session_id",
            ID,
            sa.ForeignKey("companion_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _org(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _character("speaker_id", nullable=True, ondelete="SET NULL"),
        sa.Column("speaker_name", NAME, nullable=False),
        sa.Column("is_greeting", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("swipes", sa.JSON(), nullable=False),
        sa.Column("active_swipe", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("emotion", sa.JSON(), nullable=True),
        sa.Column("token_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        _stamp("created_at"),
        _stamp("edited_at", nullable=True),
        sa.UniqueConstraint("session_id", "seq", name="uq_companion_messages_session_seq"),
    )
    op.create_index("ix_companion_messages_speaker", "companion_messages", ["speaker_id"])
    op.create_table(
        "companion_memories",
        sa.Column("id", sa.String(64), primary_key=True),
        _org(),
        _end_user(),
        _character("character_id", nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("subject", NAME, nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("embedding", sa.JSON(), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
    )
    op.create_index(
        "ix_companion_memories_scope",
        "companion_memories",
        ["end_user_id", "character_id", "subject"],
    )
    op.create_index("ix_companion_memories_org", "companion_memories", ["org_id"])
    op.create_table(
        "companion_memory_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "memory_id",
            sa.String(64),
            sa.ForeignKey("companion_memories.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("subject", NAME, nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        _stamp("valid_from"),
        _stamp("replaced_at"),
    )
    op.create_index(
        "ix_companion_memory_revisions_memory",
        "companion_memory_revisions",
        ["memory_id", "position"],
    )
    op.create_table(
        "companion_relationship_summaries",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org(),
        _end_user(),
        _character("character_id", nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("exchanges", sa.Integer(), nullable=False),
        _stamp("updated_at"),
    )
    op.create_index(
        "ix_companion_summaries_scope",
        "companion_relationship_summaries",
        ["end_user_id", "character_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_companion_summaries_scope", table_name="companion_relationship_summaries")
    op.drop_table("companion_relationship_summaries")
    op.drop_index("ix_companion_memory_revisions_memory", table_name="companion_memory_revisions")
    op.drop_table("companion_memory_revisions")
    op.drop_index("ix_companion_memories_org", table_name="companion_memories")
    op.drop_index("ix_companion_memories_scope", table_name="companion_memories")
    op.drop_table("companion_memories")
    op.drop_index("ix_companion_messages_speaker", table_name="companion_messages")
    op.drop_table("companion_messages")
    op.drop_index("ix_companion_session_members_character", table_name="companion_session_members")
    op.drop_table("companion_session_members")
    op.drop_index("ix_companion_sessions_user_updated", table_name="companion_sessions")
    op.drop_table("companion_sessions")
    op.drop_index("ix_companion_characters_owner", table_name="companion_characters")
    op.drop_index("ix_companion_characters_org_visibility", table_name="companion_characters")
    op.drop_table("companion_characters")
    op.drop_table("companion_end_users")
