"""Every table of the database, in one place: the model modules of the domains.

Alembic's environment (``db/migrations/env.py``), the backup and :func:`~gardencity.db.engine.
open_database` call :func:`load_models`, which imports the modules named in
:data:`MODEL_MODULES` so that all their tables are on :attr:`Base.metadata`. The list is data
(module names), so ``db`` — the layer every domain builds on — imports none of them;
``tests/db/test_schema.py`` checks that no model module is missing from it.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from gardencity.db.base import Base

__all__ = ["MODEL_MODULES", "load_models"]

MODEL_MODULES = (
    "gardencity.auth.models",
    "gardencity.campaign.models",
    "gardencity.jobs.models",
    "gardencity.inspection.models",
    "gardencity.notifications.models",
    "gardencity.patrols.models",
    "gardencity.maintenance.models",
)


def load_models() -> MetaData:
    """Import every model module and return the metadata that holds all their tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
