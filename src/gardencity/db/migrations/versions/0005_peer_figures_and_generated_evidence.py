"""Peer figures (other cities' published values) and the run behind generated ledger evidence

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gardencity.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("province", sa.String(length=50), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("entered_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entered_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("city", "indicator_id", "year"),
    )
    with op.batch_alter_table("peer_figures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_peer_figures_city"), ["city"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_peer_figures_indicator_id"), ["indicator_id"], unique=False
        )
    with op.batch_alter_table("ledger_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_ledger_documents_run_id"), ["run_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_ledger_documents_run_id_assessment_runs", "assessment_runs", ["run_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_documents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ledger_documents_run_id_assessment_runs", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_ledger_documents_run_id"))
        batch_op.drop_column("run_id")
    with op.batch_alter_table("peer_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_figures_indicator_id"))
        batch_op.drop_index(batch_op.f("ix_peer_figures_city"))
    op.drop_table("peer_figures")
