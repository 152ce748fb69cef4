"""Patrols by zone: teams, their zones of grid cells, key sites, patrols with their GPS
tracks and the cases filed during them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:36:02.866065
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gardencity.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_key_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("geometry", gardencity.db.types.Geometry(), nullable=True),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("watcher_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.ForeignKeyConstraint(
            ["watcher_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patrol_key_sites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_key_sites_grid_code"), ["grid_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_patrol_key_sites_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_patrol_key_sites_watcher_id"), ["watcher_id"], unique=False
        )

    op.create_table(
        "patrol_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patrol_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_teams_leader_id"), ["leader_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_teams_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "patrol_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["patrol_teams.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id"),
    )
    with op.batch_alter_table("patrol_team_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_team_members_team_id"), ["team_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patrol_team_members_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "patrol_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["patrol_teams.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patrol_zones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_zones_end_date"), ["end_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_patrol_zones_start_date"), ["start_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_patrol_zones_team_id"), ["team_id"], unique=False)

    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("started_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["patrol_teams.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrols_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrols_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrols_user_id"), ["user_id"], unique=False)

    op.create_table(
        "patrol_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrols.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("patrol_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_cases_patrol_id"), ["patrol_id"], unique=False)

    op.create_table(
        "patrol_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrols.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patrol_id", "seq"),
    )
    with op.batch_alter_table("patrol_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_points_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_points_patrol_id"), ["patrol_id"], unique=False)

    op.create_table(
        "patrol_zone_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("grid_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["patrol_zones.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("zone_id", "grid_code"),
    )
    with op.batch_alter_table("patrol_zone_cells", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_zone_cells_grid_code"), ["grid_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_patrol_zone_cells_zone_id"), ["zone_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patrol_zone_cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_zone_cells_zone_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_zone_cells_grid_code"))

    op.drop_table("patrol_zone_cells")
    with op.batch_alter_table("patrol_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_points_patrol_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_points_at"))

    op.drop_table("patrol_points")
    with op.batch_alter_table("patrol_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_cases_patrol_id"))

    op.drop_table("patrol_cases")
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrols_user_id"))
        batch_op.drop_index(batch_op.f("ix_patrols_team_id"))
        batch_op.drop_index(batch_op.f("ix_patrols_started_at"))

    op.drop_table("patrols")
    with op.batch_alter_table("patrol_zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_zones_team_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_zones_start_date"))
        batch_op.drop_index(batch_op.f("ix_patrol_zones_end_date"))

    op.drop_table("patrol_zones")
    with op.batch_alter_table("patrol_team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_team_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_team_members_team_id"))

    op.drop_table("patrol_team_members")
    with op.batch_alter_table("patrol_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_teams_unit_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_teams_leader_id"))

    op.drop_table("patrol_teams")
    with op.batch_alter_table("patrol_key_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_key_sites_watcher_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_key_sites_unit_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_key_sites_grid_code"))

    op.drop_table("patrol_key_sites")
