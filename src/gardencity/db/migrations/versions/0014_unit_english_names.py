"""Units get an optional English name, shown on English pages (none: the Chinese name
romanised); the units already stored keep every column and have no English name yet

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


# Never by copying the table: other tables' foreign keys point at units, and SQLite (with
# foreign keys on) refuses to drop it; ADD/DROP COLUMN need SQLite 3.35 or later.


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("name_en", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("name_en")
