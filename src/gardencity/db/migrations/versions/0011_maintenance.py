"""Maintenance inspections: the sites kept, their inspections and each check-list item's
result

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gardencity.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintained_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site_type", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("geometry", gardencity.db.types.Geometry(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("maintained_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maintained_sites_site_type"), ["site_type"])
        batch_op.create_index(batch_op.f("ix_maintained_sites_unit_id"), ["unit_id"])
        batch_op.create_index(batch_op.f("ix_maintained_sites_district_id"), ["district_id"])
    op.create_table(
        "maintenance_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=True),
        sa.Column("inspected_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["inspector_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["maintained_sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("maintenance_inspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maintenance_inspections_site_id"), ["site_id"])
        batch_op.create_index(
            batch_op.f("ix_maintenance_inspections_inspected_at"), ["inspected_at"]
        )
        batch_op.create_index("ix_maintenance_site_time", ["site_id", "inspected_at"])
    op.create_table(
        "maintenance_inspection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["inspection_id"], ["maintenance_inspections.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("maintenance_inspection_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_inspection_items_inspection_id"), ["inspection_id"]
        )


def downgrade() -> None:
    op.drop_table("maintenance_inspection_items")
    op.drop_table("maintenance_inspections")
    op.drop_table("maintained_sites")
