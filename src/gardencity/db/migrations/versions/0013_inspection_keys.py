"""Maintenance inspections sent from the phone's queue: the Idempotency-Key and a digest of
each inspection, so that a repeat is stored once

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("maintenance_inspections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_key", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_maintenance_inspections_inspector_id", ["inspector_id", "client_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("maintenance_inspections", schema=None) as batch_op:
        batch_op.drop_constraint("uq_maintenance_inspections_inspector_id", type_="unique")
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("client_key")
