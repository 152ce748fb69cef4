"""Patrol coverage on a large city: what a batch of track points costs to take in (the grid's
daily coverage brought up to date with it), and what the pages then pay to read coverage.

The L demo city's districts (3 × 3, about 31 km across) are seeded with their 500 m grid in
a fresh SQLite database (or ``--database``). ``--teams`` patrols a day for ``--days`` days,
each ``--hours`` of walking at 1.4 m/s sampled every 10 s (±5–25 m, now and then a pause
longer than ``max_gap_s``), each team in its own part of the city:

* the days before the last are taken in one patrol day at a time (the path of
  ``gardencity recompute-patrol-coverage``), timed as ``patrol_day_full_ms``;
* the last day is sent as the phone sends it, ``batch_size`` points a request through
  :func:`gardencity.patrols.tracks.add_points` (points stored, coverage updated, committed):
  ``ingest_batch_ms`` (median, p95, max);
* ``late_batch_ms``: a batch arriving after later ones were stored, on a sample of
  patrols (the request marks the patrol's day stale), and ``late_day_recompute_ms``: the
  day computed again from all its points after the answer;
* reads from the stored coverage: the map's cell states (``cell_states``), the cockpit's
  zones not patrolled, the ranking's coverage per unit (a week) and a district's weekly
  summary rows: ``read_ms``;
* for scale, ``measure_one_day_ms``: the measure over one day of every track (what each
  request paid per day of tracks before the coverage was stored).

    python -m benchmarks.patrol_coverage [--size L] [--teams 50] [--days 7] [--hours 8]

Records benchmarks/results/patrol_coverage.json (figures from a shared machine are marked
provisional).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.server_tools import machine
from gardencity.auth.models import Grid, Unit, User
from gardencity.campaign.config import load_campaign_config
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.seed import seed_organisation
from gardencity.db.engine import open_database
from gardencity.demo.city import DISTRICT_NAMES
from gardencity.demo.layout import BLOCK, SIZES, plan_city, warp_geoms
from gardencity.patrols.config import PatrolConfig
from gardencity.patrols.coverage import covered_share
from gardencity.patrols.daily import grid_metric_crs, record_points, refresh_stale
from gardencity.patrols.models import Patrol, PatrolPoint
from gardencity.patrols.schemas import PointsIn
from gardencity.patrols.status import cell_states, coverage_by_unit, zones_not_patrolled
from gardencity.patrols.summary import district_week_rows
from gardencity.patrols.tracks import add_points
from gardencity.storage.files import FileStore

RESULTS = Path(__file__).resolve().parent / "results" / "patrol_coverage.json"
ZONE = "Asia/Shanghai"
CONFIG = PatrolConfig()
FIRST_DAY = date(2026, 5, 4)


def demo_districts(size: str) -> gpd.GeoDataFrame:
    """The demo city's districts (as :mod:`gardencity.demo.city` draws them), without
    generating the rest of the city."""
    plan = plan_city(size)
    cols, rows = SIZES[size].districts
    xs = [-BLOCK] + [(math.ceil(c * plan.n / cols) + 0.5) * BLOCK for c in range(1, cols)]
    ys = [-BLOCK] + [(math.ceil(r * plan.n / rows) + 0.5) * BLOCK for r in range(1, rows)]
    xs.append(plan.extent + BLOCK)
    ys.append(plan.extent + BLOCK)
    boxes = [
        shapely.box(xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(rows) for c in range(cols)
    ]
    geoms = warp_geoms(np.array(boxes, dtype=object), plan.extent)
    outline = warp_geoms(np.array([plan.boundary]), plan.extent)[0]
    names = DISTRICT_NAMES[: len(boxes)]
    return gpd.GeoDataFrame(
        {"name": names}, geometry=shapely.intersection(geoms, outline), crs="EPSG:4548"
    )


def walk(
    rng: np.random.Generator, centre: tuple[float, float], start: datetime, hours: float
) -> pd.DataFrame:
    """A walk in metres (EPSG:4548) around ``centre``, a point every 10 s."""
    count = int(hours * 360)
    heading = np.cumsum(rng.normal(0, 0.25, count)) + rng.uniform(0, 2 * np.pi)
    steps = 14.0 * np.column_stack([np.cos(heading), np.sin(heading)])
    xy = np.array(centre) + np.cumsum(steps, axis=0)
    # kept within 1.5 km of the centre: a walk that strays is folded back
    offset = xy - np.array(centre)
    offset = np.where(np.abs(offset) > 1500, np.sign(offset) * 3000 - offset, offset)
    xy = np.array(centre) + offset
    seconds = np.cumsum(np.where(rng.random(count) < 0.002, 600.0, 10.0))
    lonlat = gpd.GeoSeries(shapely.points(xy), crs="EPSG:4548").to_crs(4326)
    return pd.DataFrame(
        {
            "seq": np.arange(count),
            "at": [start + timedelta(seconds=float(s)) for s in seconds],
            "lon": lonlat.x.to_numpy(),
            "lat": lonlat.y.to_numpy(),
            "accuracy": rng.uniform(5, 25, count),
        }
    )


def _patrol(session: Session, user_id: int, day: int, team: int, start: datetime) -> Patrol:
    patrol = Patrol(
        uuid=f"00000000-0000-4000-8000-{day:06d}{team:06d}",
        user_id=user_id,
        started_at=start,
        created_at=start,
    )
    session.add(patrol)
    session.flush()
    return patrol


def _store(session: Session, patrol: Patrol, points: pd.DataFrame) -> None:
    session.add_all(
        PatrolPoint(
            patrol_id=patrol.id,
            seq=int(r.seq),
            at=r.at,
            lon=float(r.lon),
            lat=float(r.lat),
            accuracy=float(r.accuracy),
        )
        for r in points.itertuples()
    )
    session.flush()


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max": round(ordered[-1], 1),
        "count": len(ordered),
    }


def _timed(call: Any) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="patrol-bench-"))
    db = open_database(args.database or f"sqlite:///{root / 'campaign.db'}")
    ctx = ServiceContext(load_campaign_config(), FileStore(root / "files"))
    with db.session() as session:
        seed_organisation(session, ctx, demo_districts(args.size))
    rng = np.random.default_rng(18)
    with db.sessions() as session:
        cells = session.scalar(select(Grid.id).order_by(Grid.id.desc()).limit(1))
        grid = gpd.GeoSeries(
            [g for (g,) in session.execute(select(Grid.geometry)).all()], crs=4326
        ).to_crs("EPSG:4548")
        centres = [
            (p.x, p.y) for p in grid.sample(args.teams, random_state=1).representative_point()
        ]
        user = session.scalars(select(User).where(User.username == "patrol1")).first()
        user = user or session.scalars(select(User)).first()
        assert user is not None
        crs = grid_metric_crs(session)
        assert crs is not None
        full_day_ms: list[float] = []
        last_day_points: list[pd.DataFrame] = []
        for d in range(args.days):
            start = datetime(2026, 5, 4, 0, 30, tzinfo=UTC) + timedelta(days=d)  # 08:30
            for team, centre in enumerate(centres):
                points = walk(rng, centre, start, args.hours)
                patrol = _patrol(session, user.id, d, team, start)
                if d == args.days - 1:
                    last_day_points.append(points.assign(patrol=patrol.uuid))
                    continue
                _store(session, patrol, points)
                seqs = [int(s) for s in points["seq"]]
                full_day_ms.append(
                    _timed(
                        lambda p=patrol, s=seqs: record_points(
                            session, p.id, s, config=CONFIG, zone=ZONE
                        )
                    )
                )
            session.commit()
        now = datetime(2026, 5, 4, 23, 0, tzinfo=UTC) + timedelta(days=args.days - 1)
        clock = ServiceContext(ctx.config, ctx.files, clock=lambda: now)
        ingest_ms: list[float] = []
        size = CONFIG.batch_size
        batches = [
            (team, str(p["patrol"].iloc[0]), p.iloc[i : i + size])
            for i in range(0, int(args.hours * 360), size)
            for team, p in enumerate(last_day_points)
        ]
        late: list[tuple[str, pd.DataFrame]] = []
        for team, uuid, chunk in batches:
            if chunk["seq"].iloc[0] == size * 3 and team % 5 == 0:
                late.append((uuid, chunk))  # held back: it arrives after later batches
                continue
            body = PointsIn.model_validate(
                {"points": chunk.drop(columns="patrol").to_dict("records")}
            )

            def send(u: str = uuid, b: PointsIn = body) -> None:
                add_points(session, clock, user, u, b, config=CONFIG, zone=ZONE)
                session.commit()

            ingest_ms.append(_timed(send))
        late_ms: list[float] = []
        recompute_ms: list[float] = []
        for uuid, chunk in late:
            body = PointsIn.model_validate(
                {"points": chunk.drop(columns="patrol").to_dict("records")}
            )

            def send_late(u: str = uuid, b: PointsIn = body) -> None:
                add_points(session, clock, user, u, b, config=CONFIG, zone=ZONE)
                session.commit()

            late_ms.append(_timed(send_late))
            recompute_ms.append(
                _timed(lambda: refresh_stale(db, config=CONFIG, zone=ZONE))  # after the answer
            )
        today = FIRST_DAY + timedelta(days=args.days - 1)
        district = session.scalars(select(Unit.id).where(Unit.kind == "district")).first()
        week_start = datetime(2026, 5, 3, 16, tzinfo=UTC) + timedelta(days=args.days - 7)
        reads = {
            "cell_states": lambda: cell_states(session, CONFIG, today, ZONE),
            "zones_not_patrolled": lambda: zones_not_patrolled(session, CONFIG, today, ZONE),
            "coverage_by_unit_week": lambda: coverage_by_unit(
                session, week_start, week_start + timedelta(days=7), config=CONFIG, zone=ZONE
            ),
            "district_week_rows": lambda: district_week_rows(
                session,
                int(district or 0),
                week_start,
                week_start + timedelta(days=7),
                config=CONFIG,
                zone=ZONE,
            ),
        }
        read_ms = {}
        for name, call in reads.items():
            call()  # warm
            read_ms[name] = round(statistics.median(_timed(call) for _ in range(3)), 1)
        day_points = pd.concat(last_day_points, ignore_index=True)
        day_points["track"] = day_points["patrol"]
        grid_wgs = gpd.GeoSeries(
            [g for (g,) in session.execute(select(Grid.geometry)).all()], crs=4326
        )
        measure_ms = _timed(lambda: covered_share(day_points, grid_wgs, sight_m=CONFIG.sight_m))
        stored_points = session.scalar(select(PatrolPoint.id).order_by(PatrolPoint.id.desc()))
    db.dispose()
    return {
        "city": args.size,
        "grid_cells": int(cells or 0),
        "teams": args.teams,
        "days": args.days,
        "hours_a_day": args.hours,
        "sampling_s": 10,
        "batch_size": size,
        "points": int(stored_points or 0),
        "patrol_day_full_ms": _ms(full_day_ms),
        "ingest_batch_ms": _ms(ingest_ms),
        "late_batch_ms": _ms(late_ms),
        "late_day_recompute_ms": _ms(recompute_ms),
        "read_ms": read_ms,
        "measure_one_day_ms": round(measure_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L", choices=sorted(SIZES))
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args()
    result = {
        "what": " ".join(__doc__.split("\n\n")[0].split()),
        "machine": machine(),
        "database": "PostgreSQL" if args.database else "SQLite (embedded)",
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "provisional": "measured on a shared 2-core machine while other work ran: re-run on "
        "a quiet one",
        **run(args),
    }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if not args.no_record:
        RESULTS.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
