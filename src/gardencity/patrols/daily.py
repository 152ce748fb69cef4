"""Each grid cell's patrol coverage per day, stored as the track points arrive, so that the
coverage map, the cockpit, the ranking and the weekly summary read figures instead of
buffering a week of tracks in the request.

Two tables: for each patrol, day of the city and grid cell, the part of the cell the patrol
covered that day (:class:`~gardencity.patrols.models.PatrolCellCover`, a polygon in the
grid's metric CRS), and for each day and cell the share the day's patrols covered together
(:class:`~gardencity.patrols.models.PatrolCellDay`) — the figure
:func:`~gardencity.patrols.coverage.covered_share` gives for the day's points.

A batch whose points all come after the patrol's stored points of that day (the phone sends
its points in order, also after an hour without signal) adds the stretch from the last stored
good point on, in the request: the patrol's cover grows by that stretch's cover (about 0.1 s
for 50 points). A batch with a point before a stored one (batches sent out of order) changes
the segments between stored points: the patrol's day is marked stale and computed again from
all its points after the response (:func:`refresh_stale`, seconds for a day of walking).
Either way only the cells the change touches are summed again, and only those cells'
geometries are read (by bounding box).

The stored figures follow the settings ``sight_m``, ``max_accuracy_m`` and ``max_gap_s`` in
force when the points arrived; after changing them (or after importing another grid), run
``gardencity recompute-patrol-coverage`` (:func:`recompute`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from gardencity.auth.models import Grid
from gardencity.db.engine import Database
from gardencity.io.crs import local_metric_crs
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.coverage import track_cover
from gardencity.patrols.days import day_start
from gardencity.patrols.models import (
    Patrol,
    PatrolCellCover,
    PatrolCellDay,
    PatrolCoverStale,
    PatrolPoint,
)

__all__ = [
    "any_stale",
    "daily_shares",
    "grid_metric_crs",
    "recompute",
    "record_points",
    "refresh_stale",
]
LOCK_BASE = 0x6763_0000_0000  # PostgreSQL advisory locks: one per day of the city
MARGIN_DEG = 1e-4  # a cover's box in degrees is widened by this much (about 10 m)
POINT_COLUMNS = ["seq", "at", "lon", "lat", "accuracy"]


def grid_metric_crs(session: Session) -> CRS | None:
    """The metric CRS :func:`covered_share` picks for the whole grid (None: no grid)."""
    bounds = session.execute(
        select(func.min(Grid.minx), func.min(Grid.miny), func.max(Grid.maxx), func.max(Grid.maxy))
    ).one()
    if bounds[0] is None:
        return None
    frame = gpd.GeoDataFrame(geometry=[shapely.box(*bounds)], crs=4326)
    return local_metric_crs(frame)


def _day_points(
    session: Session, patrol_id: int, day: date, zone: str, *, seqs: Iterable[int] | None = None
) -> pd.DataFrame:
    query = select(
        PatrolPoint.seq, PatrolPoint.at, PatrolPoint.lon, PatrolPoint.lat, PatrolPoint.accuracy
    ).where(
        PatrolPoint.patrol_id == patrol_id,
        PatrolPoint.at >= day_start(day, zone),
        PatrolPoint.at < day_start(day + timedelta(1), zone),
    )
    if seqs is not None:
        query = query.where(PatrolPoint.seq.in_(list(seqs)))
    frame = pd.DataFrame(session.execute(query).all(), columns=POINT_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def _cover(points: pd.DataFrame, crs: CRS, config: PatrolConfig) -> shapely.Geometry:
    if points.empty:
        return shapely.Polygon()
    xy = gpd.GeoSeries(shapely.points(points["lon"], points["lat"]), crs=4326).to_crs(crs)
    located = points.assign(track=0, x=xy.x.to_numpy(), y=xy.y.to_numpy())
    return track_cover(
        located,
        sight_m=config.sight_m,
        max_accuracy_m=config.max_accuracy_m,
        max_gap_s=config.max_gap_s,
    )


def _cells(
    session: Session, crs: CRS, *, near: shapely.Geometry | None = None, codes: Iterable[str] = ()
) -> gpd.GeoSeries:
    """Grid cells in ``crs``: those whose box meets ``near``'s, or those of ``codes``."""
    query = select(Grid.code, Grid.geometry)
    if near is not None:
        box = gpd.GeoSeries([shapely.box(*near.bounds)], crs=crs).to_crs(4326).total_bounds
        query = query.where(
            Grid.maxx >= box[0] - MARGIN_DEG,
            Grid.minx <= box[2] + MARGIN_DEG,
            Grid.maxy >= box[1] - MARGIN_DEG,
            Grid.miny <= box[3] + MARGIN_DEG,
        )
    else:
        query = query.where(Grid.code.in_(sorted(set(codes))))
    rows = session.execute(query).all()
    return gpd.GeoSeries(
        [r.geometry for r in rows], index=[r.code for r in rows], crs=4326, dtype="geometry"
    ).to_crs(crs)


def _lock_day(session: Session, day: date) -> None:
    """Patrols of one day are summed one transaction at a time (SQLite writes one at a time
    anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        key = LOCK_BASE + day.toordinal()
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _apply(
    session: Session,
    patrol_id: int,
    day: date,
    cover: shapely.Geometry,
    crs: CRS,
    *,
    replace: bool,
) -> None:
    """Add ``cover`` to the patrol's cover of ``day`` (or, ``replace``, make it that), then
    sum again the cells it touched."""
    _lock_day(session, day)
    of_day = (PatrolCellCover.patrol_id == patrol_id, PatrolCellCover.day == day)
    stored = {r.grid_code: r for r in session.scalars(select(PatrolCellCover).where(*of_day))}
    touched = set(stored) if replace else set()
    if replace:
        session.execute(delete(PatrolCellCover).where(*of_day))
        stored = {}
    if not cover.is_empty:
        cells = _cells(session, crs, near=cover)
        geoms = cells.to_numpy()
        near = shapely.intersects(geoms, cover)
        pieces = shapely.intersection(geoms[near], cover)
        for code, piece in zip(cells.index[near], pieces, strict=True):
            if shapely.area(piece) <= 0:
                continue
            row = stored.get(code)
            if row is None:
                session.add(
                    PatrolCellCover(
                        patrol_id=patrol_id, day=day, grid_code=code, cover=shapely.to_wkb(piece)
                    )
                )
            else:
                row.cover = shapely.to_wkb(shapely.union(shapely.from_wkb(row.cover), piece))
            touched.add(code)
    session.flush()
    _sum_cells(session, day, touched, crs)


def _sum_cells(session: Session, day: date, codes: set[str], crs: CRS) -> None:
    if not codes:
        return
    pieces: dict[str, list[bytes]] = {}
    for code, cover in session.execute(
        select(PatrolCellCover.grid_code, PatrolCellCover.cover).where(
            PatrolCellCover.day == day, PatrolCellCover.grid_code.in_(sorted(codes))
        )
    ):
        pieces.setdefault(code, []).append(cover)
    areas = _cells(session, crs, codes=codes).area
    rows = {
        r.grid_code: r
        for r in session.scalars(
            select(PatrolCellDay).where(
                PatrolCellDay.day == day, PatrolCellDay.grid_code.in_(sorted(codes))
            )
        )
    }
    for code in sorted(codes):
        row = rows.get(code)
        if code not in pieces or code not in areas.index:
            if row is not None:
                session.delete(row)
            continue
        union = shapely.union_all(shapely.from_wkb(np.array(pieces[code], dtype=object)))
        share = float(shapely.area(union) / areas[code])
        if row is None:
            session.add(PatrolCellDay(day=day, grid_code=code, share=share))
        else:
            row.share = share
    session.flush()


def _in_day(patrol_id: int, day: date, zone: str) -> tuple[Any, ...]:
    return (
        PatrolPoint.patrol_id == patrol_id,
        PatrolPoint.at >= day_start(day, zone),
        PatrolPoint.at < day_start(day + timedelta(1), zone),
    )


def _mark_stale(session: Session, patrol_id: int, day: date) -> None:
    found = session.scalar(
        select(PatrolCoverStale.id).where(
            PatrolCoverStale.patrol_id == patrol_id, PatrolCoverStale.day == day
        )
    )
    if found is None:
        session.add(PatrolCoverStale(patrol_id=patrol_id, day=day))
        session.flush()


def record_points(
    session: Session, patrol_id: int, seqs: list[int], *, config: PatrolConfig, zone: str
) -> bool:
    """Bring the stored coverage up to date with the patrol's newly stored points ``seqs``:
    True when a day must be computed again in full (:func:`refresh_stale` does it)."""
    crs = grid_metric_crs(session)
    if crs is None or not seqs:
        return False
    query = select(PatrolPoint.at).where(
        PatrolPoint.patrol_id == patrol_id, PatrolPoint.seq.in_(seqs)
    )
    moments = pd.to_datetime(pd.Series(session.scalars(query).all()), utc=True)
    stale = False
    for day in sorted(set(moments.dt.tz_convert(zone).dt.date)):
        _lock_day(session, day)
        new = _day_points(session, patrol_id, day, zone, seqs=seqs)
        first = int(new["seq"].min())
        in_day = _in_day(patrol_id, day, zone)
        marked = session.scalar(
            select(PatrolCoverStale.id).where(
                PatrolCoverStale.patrol_id == patrol_id, PatrolCoverStale.day == day
            )
        )
        later = session.scalar(
            select(func.count()).where(
                *in_day, PatrolPoint.seq > first, PatrolPoint.seq.not_in(seqs)
            )
        )
        if marked is not None or later:  # a batch sent before one already stored
            _mark_stale(session, patrol_id, day)
            stale = True
            continue
        previous = session.execute(
            select(*(getattr(PatrolPoint, c) for c in POINT_COLUMNS))
            .where(
                *in_day,
                PatrolPoint.seq < first,
                PatrolPoint.accuracy > 0,
                PatrolPoint.accuracy <= config.max_accuracy_m,
            )
            .order_by(PatrolPoint.seq.desc())
            .limit(1)
        ).all()
        if previous:
            before = pd.DataFrame(previous, columns=POINT_COLUMNS)
            before["at"] = pd.to_datetime(before["at"], utc=True)
            new = pd.concat([before, new], ignore_index=True)
        _apply(session, patrol_id, day, _cover(new, crs, config), crs, replace=False)
    return stale


def any_stale(session: Session) -> bool:
    """Whether a patrol day waits to be computed again (:func:`refresh_stale`)."""
    return session.scalar(select(PatrolCoverStale.id).limit(1)) is not None


def refresh_stale(db: Database, *, config: PatrolConfig, zone: str) -> int:
    """Compute again, from all their points, the patrol days marked stale: the cover is
    computed outside any transaction, then written if no point came meanwhile (else the day
    is computed again). The number of days written. Run after the request that marked them
    (and after the next batch, for any a stopped server left)."""
    done = 0
    for _attempt in range(20):
        with db.session() as session:
            marks = session.execute(select(PatrolCoverStale.patrol_id, PatrolCoverStale.day)).all()
            crs = grid_metric_crs(session)
        if not marks or crs is None:
            return done
        for patrol_id, day in marks:
            with db.session() as session:
                points = _day_points(session, patrol_id, day, zone)
            cover = _cover(points, crs, config)
            with db.session() as session:
                _lock_day(session, day)
                mark = session.scalars(
                    select(PatrolCoverStale).where(
                        PatrolCoverStale.patrol_id == patrol_id, PatrolCoverStale.day == day
                    )
                ).first()
                count = session.scalar(select(func.count()).where(*_in_day(patrol_id, day, zone)))
                if mark is None or count != len(points):
                    continue  # done by another worker, or points came meanwhile
                _apply(session, patrol_id, day, cover, crs, replace=True)
                session.delete(mark)
                done += 1
    return done


def recompute(session: Session, *, config: PatrolConfig, zone: str) -> int:
    """Compute the stored coverage again from every stored point (after the settings or the
    grid changed); the number of patrol days computed."""
    for model in (PatrolCellCover, PatrolCellDay, PatrolCoverStale):
        session.execute(delete(model))
    crs = grid_metric_crs(session)
    if crs is None:
        return 0
    count = 0
    for patrol_id in session.scalars(select(Patrol.id).order_by(Patrol.id)).all():
        moments = session.scalars(
            select(PatrolPoint.at).where(PatrolPoint.patrol_id == patrol_id)
        ).all()
        days = sorted(set(pd.to_datetime(pd.Series(moments), utc=True).dt.tz_convert(zone).dt.date))
        for day in days:
            cover = _cover(_day_points(session, patrol_id, day, zone), crs, config)
            _apply(session, patrol_id, day, cover, crs, replace=True)
            count += 1
    return count


def daily_shares(
    session: Session, first: date, last: date, codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """The stored shares from ``first`` to ``last``: columns ``day``, ``grid_code``,
    ``share``, a row per cell and day the patrols covered any of."""
    query = select(PatrolCellDay.day, PatrolCellDay.grid_code, PatrolCellDay.share).where(
        PatrolCellDay.day >= first, PatrolCellDay.day <= last
    )
    if codes is not None:
        query = query.where(PatrolCellDay.grid_code.in_(sorted(set(codes))))
    return pd.DataFrame(session.execute(query).all(), columns=["day", "grid_code", "share"])
