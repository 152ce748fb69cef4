"""Rate-limit counters and log-in failures shared by all server processes; API tokens
remember their name and the log-in session that created them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.Column("minute", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "client", "minute"),
    )
    op.create_table(
        "login_failures",
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.Float(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # counters need no crash safety: skip the write-ahead log (SQLite keeps them in a
        # side file instead; see gardencity.auth.throttle)
        op.execute("ALTER TABLE rate_counters SET UNLOGGED")
        op.execute("ALTER TABLE login_failures SET UNLOGGED")
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_auth_tokens_session_id"), ["session_id"])
        batch_op.create_foreign_key(
            "fk_auth_tokens_session_id", "auth_tokens", ["session_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.drop_constraint("fk_auth_tokens_session_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_auth_tokens_session_id"))
        batch_op.drop_column("session_id")
        batch_op.drop_column("name")
    op.drop_table("login_failures")
    op.drop_table("rate_counters")
