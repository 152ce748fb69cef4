"""Migrations match the models; the registry names every model module; the engine refuses bad
URLs; the spatial index answers."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
import shapely
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from gardencity.auth.models import Grid
from gardencity.db.base import Base
from gardencity.db.engine import make_engine, open_database
from gardencity.db.migrate import current_revision, head_revision
from gardencity.db.registry import MODEL_MODULES, load_models
from gardencity.db.spatial import in_bbox
from gardencity.errors import DatabaseError
from gardencity.settings import Settings
from tests._campaign import CampaignEnv


def _ours(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    """Leave out the spatial indexes (R*Tree tables, GiST indexes: made by the migration
    itself, tested below) and PostGIS's own table."""
    del obj, reflected, other
    if kind == "index" and name and name.endswith("_gist"):
        return False
    return not (kind == "table" and name and ("_rtree" in name or name == "spatial_ref_sys"))


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry'")
def test_migrations_build_exactly_the_models(campaign: CampaignEnv) -> None:
    db = campaign.app.state.db
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _ours, "compare_type": False}
        )
        diff = compare_metadata(context, load_models())
    assert diff == [], "write a migration for the model change"


def test_the_registry_names_every_module_that_defines_tables() -> None:
    import gardencity

    for info in pkgutil.walk_packages(gardencity.__path__, "gardencity."):
        if ".migrations" not in info.name and info.name != "gardencity.__main__":
            importlib.import_module(info.name)
    defining = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert defining == set(MODEL_MODULES)
    assert set(load_models().tables) == {
        table.name for mapper in Base.registry.mappers for table in mapper.tables
    }


def test_spatial_index_finds_grid_cells_by_box(campaign: CampaignEnv) -> None:
    db = campaign.app.state.db
    lon, lat = campaign.lonlat(500_500, 3_800_500)
    with db.session() as session:
        hits = session.scalars(
            select(Grid.code).where(in_bbox(db.backend, Grid, (lon, lat, lon, lat)))
        ).all()
        assert hits == ["0101010001"]
        far = session.scalars(
            select(Grid.code).where(in_bbox(db.backend, Grid, (0.0, 0.0, 1.0, 1.0)))
        ).all()
        assert far == []
        cell = session.scalars(select(Grid).where(Grid.code == "0101010001")).one()
        assert shapely.contains(cell.geometry, shapely.Point(lon, lat))


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "oracle://x"])
def test_unsupported_databases_say_what_to_use(url: str) -> None:
    with pytest.raises(DatabaseError, match="(?i)postgresql"):
        make_engine(url)


def test_remote_production_database_needs_secure_cookies(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SECURE_COOKIES"):
        Settings(database_url="postgresql+psycopg://u@db.example.org/gc", files_dir=tmp_path)
    settings = Settings.for_workspace(tmp_path)
    assert settings.database_url.startswith("sqlite:///") and "campaign.db" in settings.database_url


def test_reopening_an_existing_database_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    db = open_database(url)
    with db.session() as session:
        grid = Grid(code="1", geometry=shapely.box(0, 0, 1, 1))
        grid.set_bounds(grid.geometry)
        session.add(grid)
    db.dispose()
    again = open_database(url)
    with again.session() as session:
        assert session.scalars(select(Grid.code)).all() == ["1"]
    again.dispose()
