"""Patrol coverage stored per grid cell and day, kept up to date as track points arrive

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:00:00

Tracks stored before this revision are covered by ``gardencity recompute-patrol-coverage``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_cell_covers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grid_code", sa.String(length=64), nullable=False),
        sa.Column("cover", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrols.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patrol_id", "day", "grid_code"),
    )
    with op.batch_alter_table("patrol_cell_covers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_cell_covers_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_patrol_cell_covers_patrol_id"), ["patrol_id"], unique=False
        )
    op.create_table(
        "patrol_cell_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grid_code", sa.String(length=64), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "grid_code"),
    )
    with op.batch_alter_table("patrol_cell_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_cell_days_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_patrol_cell_days_grid_code"), ["grid_code"], unique=False
        )

    op.create_table(
        "patrol_cover_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrols.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patrol_id", "day"),
    )
    with op.batch_alter_table("patrol_cover_stale", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_cover_stale_patrol_id"), ["patrol_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("patrol_cover_stale")
    op.drop_table("patrol_cell_days")
    op.drop_table("patrol_cell_covers")
