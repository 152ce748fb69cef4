"""Alembic environment: the engine comes from :func:`gardencity.db.migrate.upgrade`."""

from __future__ import annotations

from alembic import context

import gardencity.auth.throttle  # noqa: F401  (its tables belong to the schema)
from gardencity.campaign.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through gardencity.db.migrate.upgrade(engine)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
