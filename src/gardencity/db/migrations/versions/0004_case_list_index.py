"""Index for the case list's order (newest first, ties by id)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_created_at_id", "cases", ["created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_created_at_id", table_name="cases")
