"""Internal case events by default; unguessable public ids for attachments

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00

Before this revision every event was public and nothing set it otherwise, so no existing
reason was ever a deliberate reply to the reporter: all become internal (the public still
sees each status change, without its reason). Attachments get a random ``public_id`` (the
anonymous media URL no longer uses the sequential id), ``public`` (true for the photos
residents sent with their reports, the only ones the public view showed) and
``metadata_stripped`` (false for every file stored so far: they are cleaned when served).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE case_events SET public = :no").bindparams(no=False))
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_id", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("metadata_stripped", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection = op.get_bind()
    attachments = sa.table(
        "attachments",
        sa.column("id", sa.Integer()),
        sa.column("public_id", sa.String()),
        sa.column("public", sa.Boolean()),
        sa.column("role", sa.String()),
        sa.column("uploaded_by", sa.Integer()),
    )
    ids = connection.execute(sa.select(attachments.c.id)).scalars().all()
    for attachment_id in ids:
        connection.execute(
            attachments.update()
            .where(attachments.c.id == attachment_id)
            .values(public_id=secrets.token_urlsafe(16))
        )
    connection.execute(
        attachments.update()
        .where(attachments.c.uploaded_by.is_(None), attachments.c.role == "before")
        .values(public=True)
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column("public_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint("uq_attachments_public_id", ["public_id"])


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint("uq_attachments_public_id", type_="unique")
        batch_op.drop_column("metadata_stripped")
        batch_op.drop_column("public")
        batch_op.drop_column("public_id")
