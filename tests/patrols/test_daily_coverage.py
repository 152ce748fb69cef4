"""The stored daily coverage (kept up to date as batches of points arrive) is the measure's:
for every cell and day, the share :func:`covered_share` gives for all of the day's points —
batches sent in order, batches sent out of order, tracks crossing midnight, vague points and
gaps in time — on the demo city's grid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gardencity.auth.models import Grid, User
from gardencity.db.engine import Database
from gardencity.patrols import daily
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.coverage import covered_share
from gardencity.patrols.daily import daily_shares, recompute, record_points, refresh_stale
from gardencity.patrols.models import (
    Patrol,
    PatrolCellCover,
    PatrolCellDay,
    PatrolCoverStale,
    PatrolPoint,
)
from gardencity.patrols.status import patrolled_days

DEMO_CRS = 4548
ZONE = "Asia/Shanghai"
CONFIG = PatrolConfig()
START = datetime(2026, 5, 4, 15, 40, tzinfo=UTC)  # 23:40 in the city: the walks cross midnight


@pytest.fixture(scope="module")
def db(demo_city: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.seed import seed_organisation
    from gardencity.db.engine import open_database
    from gardencity.io.workspace import Workspace
    from gardencity.storage.files import FileStore

    root = tmp_path_factory.mktemp("daily")
    database = open_database(f"sqlite:///{root / 'campaign.db'}")
    districts = Workspace.open(demo_city).load_layer("districts")
    ctx = ServiceContext(load_campaign_config(), FileStore(root / "files"))
    with database.session() as s:
        seed_organisation(s, ctx, districts)
    yield database
    database.dispose()


def _grid(session: Session) -> gpd.GeoSeries:
    rows = session.execute(select(Grid.code, Grid.geometry)).all()
    return gpd.GeoSeries([r.geometry for r in rows], index=[r.code for r in rows], crs=4326)


def _walks(session: Session, patrols: int, seed: int) -> pd.DataFrame:
    """Random walks at 1.4 m/s sampled every 10 s through the middle of the city; some points
    vague (±150 m), some after a pause longer than ``max_gap_s``."""
    rng = np.random.default_rng(seed)
    middle = _grid(session).to_crs(DEMO_CRS).union_all().centroid
    user = session.scalars(select(User.id)).first()
    frames = []
    for n in range(patrols):
        patrol = Patrol(
            uuid=f"00000000-0000-4000-8000-{seed:06d}{n:06d}",
            user_id=user,
            started_at=START,
            created_at=START,
        )
        session.add(patrol)
        session.flush()
        count = 240
        heading = np.cumsum(rng.normal(0, 0.5, count)) + rng.uniform(0, 2 * np.pi)
        step = 14.0 * np.column_stack([np.cos(heading), np.sin(heading)])
        xy = np.array([middle.x, middle.y]) + rng.normal(0, 400, 2) + np.cumsum(step, axis=0)
        seconds = np.cumsum(np.where(rng.random(count) < 0.03, 420.0, 10.0))
        accuracy = np.where(rng.random(count) < 0.05, 150.0, rng.uniform(3, 40, count))
        lonlat = gpd.GeoSeries(shapely.points(xy), crs=DEMO_CRS).to_crs(4326)
        frames.append(
            pd.DataFrame(
                {
                    "track": patrol.id,
                    "seq": np.arange(count),
                    "at": [START + timedelta(seconds=float(s)) for s in seconds],
                    "lon": lonlat.x.to_numpy(),
                    "lat": lonlat.y.to_numpy(),
                    "accuracy": accuracy,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _send(db: Database, points: pd.DataFrame, batch: int, *, shuffled: bool) -> int:
    """Store the points a batch a transaction at a time, as the points' route does (a day
    marked stale is computed again after the batch); how many batches marked one."""
    rng = np.random.default_rng(7)
    marked = 0
    for patrol_id, track in points.groupby("track"):
        chunks = [track.iloc[i : i + batch] for i in range(0, len(track), batch)]
        order = rng.permutation(len(chunks)) if shuffled else range(len(chunks))
        for k in order:
            stale = _store(db, int(patrol_id), chunks[k])
            if stale:
                marked += 1
                assert refresh_stale(db, config=CONFIG, zone=ZONE) >= 1
    return marked


def _measure(session: Session, points: pd.DataFrame) -> pd.DataFrame:
    """The measure on each day's points: a row per cell, a column per day."""
    grid = _grid(session)
    day = pd.to_datetime(points["at"], utc=True).dt.tz_convert(ZONE).dt.date
    columns = {}
    for d, of_day in points.groupby(day):
        columns[d] = covered_share(
            of_day,
            grid,
            sight_m=CONFIG.sight_m,
            max_accuracy_m=CONFIG.max_accuracy_m,
            max_gap_s=CONFIG.max_gap_s,
        )
    return pd.DataFrame(columns)


def _stored(session: Session, index: pd.Index, days: list[object]) -> pd.DataFrame:
    shares = daily_shares(session, min(days), max(days))  # type: ignore[type-var]
    table = shares.pivot(index="grid_code", columns="day", values="share")
    return table.reindex(index=index, columns=days).fillna(0.0)


def _store(db: Database, patrol_id: int, points: pd.DataFrame) -> bool:
    """Store a batch and record it, leaving a stale day to the caller."""
    with db.session() as s:
        s.add_all(
            PatrolPoint(
                patrol_id=patrol_id,
                seq=int(r.seq),
                at=r.at,
                lon=float(r.lon),
                lat=float(r.lat),
                accuracy=float(r.accuracy),
            )
            for r in points.itertuples()
        )
        s.flush()
        seqs = [int(q) for q in points["seq"]]
        return record_points(s, patrol_id, seqs, config=CONFIG, zone=ZONE)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        for model in (PatrolCellCover, PatrolCellDay, PatrolCoverStale, PatrolPoint, Patrol):
            s.execute(delete(model))
    with db.sessions() as s:
        yield s


@pytest.mark.parametrize("shuffled", [False, True], ids=["in order", "out of order"])
def test_stored_shares_are_the_measures(db: Database, session: Session, shuffled: bool) -> None:
    points = _walks(session, patrols=3, seed=11 if shuffled else 5)
    session.commit()
    marked = _send(db, points, batch=25, shuffled=shuffled)
    assert (marked > 0) is shuffled
    expected = _measure(session, points)
    assert len(expected.columns) == 2  # the walks cross the city's midnight
    assert (expected > 0).sum().sum() > 20  # and many cells
    stored = _stored(session, expected.index, list(expected.columns))
    np.testing.assert_allclose(stored.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    days = patrolled_days(session, CONFIG, min(expected.columns), max(expected.columns))
    patrolled = expected.reindex(days.index) >= CONFIG.threshold
    assert days.equals(patrolled[days.columns]) and set(days.columns) == set(expected.columns)
    # computed again from every point: the same figures
    assert recompute(session, config=CONFIG, zone=ZONE) == 3 * 2
    again = _stored(session, expected.index, list(expected.columns))
    np.testing.assert_allclose(again.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    session.rollback()


def test_a_point_arriving_while_the_day_is_computed_again_is_not_lost(
    db: Database, session: Session
) -> None:
    """The stale day is computed outside the transaction; a batch stored meanwhile makes the
    job compute it once more, from all the points."""
    points = _walks(session, patrols=1, seed=3)
    session.commit()
    (patrol_id,) = points["track"].unique()
    day_two = points[points["at"] >= datetime(2026, 5, 4, 16, tzinfo=UTC)]  # 00:00 on
    _send(db, day_two.iloc[40:], batch=1000, shuffled=False)
    assert _store(db, int(patrol_id), day_two.iloc[:20])  # an earlier batch: the day is stale
    arrived = False

    def meanwhile(*args: object, **kwargs: object) -> object:  # the job reads, then a batch
        nonlocal arrived
        if not arrived:
            arrived = True
            _store(db, int(patrol_id), day_two.iloc[20:40])
        return covered(*args, **kwargs)

    covered = daily._cover
    daily._cover = meanwhile  # type: ignore[assignment]
    try:
        refresh_stale(db, config=CONFIG, zone=ZONE)
    finally:
        daily._cover = covered  # type: ignore[assignment]
    assert arrived
    expected = _measure(session, day_two)
    stored = _stored(session, expected.index, list(expected.columns))
    np.testing.assert_allclose(stored.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    assert not daily.any_stale(session)
