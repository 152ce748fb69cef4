"""Migration 0014 on a database an older version filled: every unit, user and case stays,
the units get an (empty) English name column, and English answers name them by their
Chinese names romanised until an English name is given. Down and up again on SQLite and
PostgreSQL."""

from __future__ import annotations

import warnings

from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import SAWarning

from gardencity.auth.models import Unit
from gardencity.db.migrate import alembic_config, current_revision, head_revision, upgrade
from tests._campaign import CampaignEnv


def _columns(engine: Engine, table: str) -> set[str]:
    with warnings.catch_warnings():  # SQLAlchemy does not know PostGIS' geometry type
        warnings.simplefilter("ignore", SAWarning)
        return {c["name"] for c in inspect(engine).get_columns(table)}


def test_upgrade_from_0013_keeps_units_and_adds_english_names(campaign: CampaignEnv) -> None:
    env = campaign
    case = env.file("patrol1")
    engine = env.app.state.db.engine
    with env.app.state.db.session() as session:
        before = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.parent_id)).all()
    engine.dispose()
    command.downgrade(alembic_config(engine), "0013")
    assert current_revision(engine) == "0013"
    assert "name_en" not in _columns(engine, "units")
    with engine.connect() as connection:  # what an older version left
        assert connection.execute(text("SELECT count(*) FROM units")).scalar() == len(before)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with env.app.state.db.session() as session:
        after = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.parent_id)).all()
        assert sorted(after) == sorted(before)
        assert set(session.scalars(select(Unit.name_en)).all()) == {None}
    env.forget_logins()
    units = env.client.get("/api/v1/units?lang=en", headers=env.headers("admin")).json()
    labels = {u["code"]: u["label"] for u in units}
    assert labels["d1"] == "Gulou District" and labels["d2"] == "Yunlong District"
    chinese = env.client.get("/api/v1/units?lang=zh", headers=env.headers("admin")).json()
    assert {u["code"]: u["label"] for u in chinese}["d1"] == "鼓楼区"
    kept = env.client.get(f"/api/v1/cases/{case['id']}", headers=env.headers("coord1"))
    assert kept.status_code == 200 and kept.json()["reference"] == case["reference"]
