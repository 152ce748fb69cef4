"""Notifications: channels, the outbox (and inbox), residents' opt-ins, the scheduler's
lease and runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gardencity.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "scheduler_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("slot", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("started_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "slot"),
    )
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("group_code", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_notification_channels_group_code"),
        "notification_channels",
        ["group_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_channels_kind"), "notification_channels", ["kind"], unique=False
    )
    op.create_index(
        op.f("ix_notification_channels_unit_id"), "notification_channels", ["unit_id"], unique=False
    )
    op.create_index(
        op.f("ix_notification_channels_user_id"), "notification_channels", ["user_id"], unique=False
    )
    op.create_table(
        "resident_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("stop_token", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "channel"),
        sa.UniqueConstraint("stop_token"),
    )
    op.create_index(
        op.f("ix_resident_subscriptions_case_id"),
        "resident_subscriptions",
        ["case_id"],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_event_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("audience", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("lease_until", gardencity.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("read_at", gardencity.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_event_id"],
            ["case_events.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(["channel_id"], ["notification_channels.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["resident_subscriptions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index(op.f("ix_notifications_case_id"), "notifications", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_notifications_channel_id"), "notifications", ["channel_id"], unique=False
    )
    op.create_index(
        "ix_notifications_due", "notifications", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_notifications_inbox", "notifications", ["user_id", "channel", "read_at"], unique=False
    )
    op.create_index(
        op.f("ix_notifications_subscription_id"), "notifications", ["subscription_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notifications_subscription_id"), table_name="notifications")
    op.drop_index("ix_notifications_inbox", table_name="notifications")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_index(op.f("ix_notifications_channel_id"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_case_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_resident_subscriptions_case_id"), table_name="resident_subscriptions")
    op.drop_table("resident_subscriptions")
    op.drop_index(op.f("ix_notification_channels_user_id"), table_name="notification_channels")
    op.drop_index(op.f("ix_notification_channels_unit_id"), table_name="notification_channels")
    op.drop_index(op.f("ix_notification_channels_kind"), table_name="notification_channels")
    op.drop_index(op.f("ix_notification_channels_group_code"), table_name="notification_channels")
    op.drop_table("notification_channels")
    op.drop_table("scheduler_runs")
    op.drop_table("scheduler_leases")
