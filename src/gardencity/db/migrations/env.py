"""Alembic environment: the engine comes from :func:`gardencity.db.migrate.upgrade`."""

from __future__ import annotations

from alembic import context

from gardencity.db.registry import load_models

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through gardencity.db.migrate.upgrade(engine)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=load_models(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
