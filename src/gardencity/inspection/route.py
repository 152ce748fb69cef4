"""Inspection route planner (考查路线表): showcase sites ordered along the roads for one day.

1. :func:`choose_showcase_sites` takes the best-scored sites per category (sites with open
   cases are removed first with :func:`~gardencity.inspection.sites.exclude_sites_with_open_cases`).
2. :func:`plan_inspection_route` orders them from a start to an end point: nearest neighbour,
   then 2-opt with fixed ends, also started from the given order, and keeps the best of them,
   so the plan is never worse than visiting the sites in the order given. Travel times come
   from :mod:`gardencity.inspection.travel` (road network, speeds per grade, or walking).
3. The schedule adds visit durations and waits for opening times (``open_from``/``open_to``
   columns, "HH:MM", optional); when the day (``day_start``–``day_end``) cannot hold every
   site, the lowest-scored sites are dropped one by one until it can, and listed as dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
import shapely.ops

from gardencity.errors import DataError
from gardencity.inspection.travel import (
    Mode,
    StopMatrix,
    TravelGraph,
    stop_matrix,
    travel_graph_from_roads,
)
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)

__all__ = [
    "DEFAULT_ACCESS_MINUTES",
    "DEFAULT_VISIT_MINUTES",
    "PlannedRoute",
    "Schedule",
    "choose_showcase_sites",
    "order_stops",
    "plan_inspection_route",
    "schedule_stops",
]

DEFAULT_VISIT_MINUTES: dict[str, float] = {"park": 40, "road": 15, "compound": 25, "unit": 25}
DEFAULT_ACCESS_MINUTES: dict[str, float] = {"park": 10, "road": 5, "compound": 8, "unit": 8}
"""Parking the coach and walking to the site and back, added to each visit."""


def _minutes(text: str | float | None) -> float | None:
    if text is None or (isinstance(text, float) and np.isnan(text)) or text == "":
        return None
    if isinstance(text, int | float):
        return float(text)
    try:
        hours, minutes = str(text).split(":")
        return int(hours) * 60.0 + int(minutes)
    except ValueError as exc:
        raise DataError(MESSAGES.message("time_not_hhmm", text=text)) from exc


def clock(minutes: float) -> str:
    """``510.0`` → ``"08:30"`` (rounded to the minute)."""
    total = round(minutes)
    return f"{total // 60:02d}:{total % 60:02d}"


def choose_showcase_sites(
    sites: gpd.GeoDataFrame,
    per_kind: Mapping[str, int],
    *,
    min_score: float | None = None,
    min_size: Mapping[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """The ``per_kind[kind]`` best sites of each kind: highest ``quality`` (else ``score``)
    first, then largest ``size``, taking the classes of a kind in turn (``class_name``: the
    best 综合公园, the best 社区公园, …, then the second best of each), so the experts see
    each class the standard asks about; sites below ``min_score`` or below ``min_size[kind]``
    (m² or m), or without a score, are never chosen.

    >>> sites = gpd.GeoDataFrame({"kind": ["park", "park", "road"], "score": [50.0, 80.0, 10.0],
    ...     "size": [1.0, 1.0, 1.0]}, geometry=[shapely.Point(0, 0)] * 3, crs=4547)
    >>> choose_showcase_sites(sites, {"park": 1, "road": 1}, min_score=20).index.tolist()
    [1]
    """
    chosen = []
    rank_by = "quality" if "quality" in sites else "score"
    for kind, count in per_kind.items():
        pool = sites[(sites["kind"] == kind) & sites["score"].notna()]
        if min_score is not None:
            pool = pool[pool["score"] >= min_score]
        if min_size and kind in min_size:
            pool = pool[pool["size"] >= min_size[kind]]
        pool = pool.sort_values([rank_by, "size"], ascending=False)
        if "class_name" in pool:
            turn = pool.groupby("class_name", sort=False).cumcount()
            pool = pool.assign(_turn=turn.to_numpy()).sort_values("_turn", kind="stable")
            pool = pool.drop(columns="_turn")
        chosen.append(pool.head(max(count, 0)))
    if not chosen:
        return sites.iloc[0:0]
    return gpd.GeoDataFrame(pd.concat(chosen), crs=sites.crs)


@dataclass(frozen=True)
class Schedule:
    """Arrival and departure (minutes after midnight) at each stop of an order."""

    order: list[int]
    arrive: list[float]
    depart: list[float]
    wait: list[float]
    late_stops: list[int]
    """Stops reached after their closing time."""
    breaks: dict[int, tuple[float, float]] = field(default_factory=dict)
    """Position in the order → (start, end) of a break (lunch) taken on arrival there."""

    @property
    def end(self) -> float:
        return self.arrive[-1]

    @property
    def violations(self) -> int:
        return len(self.late_stops)


def schedule_stops(
    order: Sequence[int],
    seconds: npt.NDArray[np.float64],
    visit_minutes: Sequence[float],
    day_start: float,
    opens: Sequence[float | None] | None = None,
    closes: Sequence[float | None] | None = None,
    lunch: tuple[float, float] | None = None,
) -> Schedule:
    """Times along ``order``: arrive = previous departure + travel; a break (``lunch``:
    earliest start, minutes) is taken on arrival at the first stop reached after its
    earliest start (counted as waiting); wait until the stop opens; depart = start of visit
    + visit duration; late if the visit ends after the stop closes.

    >>> seconds = np.array([[0, 600, 900], [600, 0, 300], [900, 300, 0]], dtype=float)
    >>> s = schedule_stops([0, 1, 2], seconds, [0, 30, 0], day_start=480)
    >>> s.arrive, s.depart
    ([480.0, 490.0, 525.0], [480.0, 520.0, 525.0])
    """
    n = len(visit_minutes)
    opens = opens if opens is not None else [None] * n
    closes = closes if closes is not None else [None] * n
    arrive, depart, wait, late = [], [], [], []
    breaks: dict[int, tuple[float, float]] = {}
    now = float(day_start)
    previous: int | None = None
    for position, stop in enumerate(order):
        if previous is not None:
            now += float(seconds[previous, stop]) / 60.0
        arrive.append(now)
        rest = 0.0
        if lunch is not None and previous is not None and not breaks and now >= lunch[0]:
            breaks[position] = (now, now + lunch[1])
            rest = lunch[1]
        opening = opens[stop]
        waited = rest + (max(0.0, opening - now - rest) if opening is not None else 0.0)
        wait.append(waited)
        now += waited + float(visit_minutes[stop])
        closing = closes[stop]
        if closing is not None and now > closing + 1e-9:
            late.append(stop)
        depart.append(now)
        previous = stop
    return Schedule(list(order), arrive, depart, wait, late, breaks)


def _two_opt(order: list[int], cost: Callable[[list[int]], tuple[int, float]]) -> list[int]:
    best, best_cost = order[:], cost(order)
    improved = True
    while improved:
        improved = False
        for i in range(1, len(best) - 2):
            for k in range(i + 1, len(best) - 1):
                candidate = best[:i] + best[i : k + 1][::-1] + best[k + 1 :]
                candidate_cost = cost(candidate)
                if candidate_cost < best_cost:
                    best, best_cost, improved = candidate, candidate_cost, True
    return best


def _nearest_neighbour(seconds: npt.NDArray[np.float64], start: int, end: int) -> list[int]:
    todo = [i for i in range(len(seconds)) if i not in (start, end)]
    order = [start]
    while todo:
        here = order[-1]
        nearest = min(todo, key=lambda j: (seconds[here, j], j))
        order.append(nearest)
        todo.remove(nearest)
    return [*order, end]


def order_stops(
    seconds: npt.NDArray[np.float64],
    *,
    start: int,
    end: int,
    given: Sequence[int] | None = None,
    visit_minutes: Sequence[float] | None = None,
    day_start: float = 0.0,
    opens: Sequence[float | None] | None = None,
    closes: Sequence[float | None] | None = None,
    lunch: tuple[float, float] | None = None,
) -> list[int]:
    """An order of all stops from ``start`` to ``end`` minimising (late stops, finishing time).

    Nearest neighbour + 2-opt (fixed ends), and 2-opt from ``given`` (default: index order);
    the better result is returned, so it is never worse than ``given``.

    >>> square = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]], float) * 60
    >>> order_stops(square, start=0, end=0, given=[0, 2, 1, 3, 0])
    [0, 1, 2, 3, 0]
    """
    n = len(seconds)
    visits = list(visit_minutes) if visit_minutes is not None else [0.0] * n

    def cost(order: list[int]) -> tuple[int, float]:
        s = schedule_stops(order, seconds, visits, day_start, opens, closes, lunch)
        return (s.violations, round(s.end, 9))

    if given is None:
        middle = [i for i in range(n) if i not in (start, end)]
        given = [start, *middle, end]
    given = list(given)
    if (
        given[0] != start
        or given[-1] != end
        or sorted(given[1:-1]) != sorted(i for i in range(n) if i not in (start, end))
    ):
        raise DataError(MESSAGES.message("route_order_invalid"))
    candidates = [
        _two_opt(_nearest_neighbour(seconds, start, end), cost),
        _two_opt(given, cost),
    ]
    return min(candidates, key=cost)


@dataclass
class PlannedRoute:
    """One day's route: the stop table, the legs, what did not fit, and the comparison."""

    stops: pd.DataFrame
    legs: gpd.GeoDataFrame
    dropped: gpd.GeoDataFrame
    day_start: str
    day_end: str
    mode: str
    travel_minutes: float
    visit_minutes: float
    wait_minutes: float
    total_minutes: float
    given_order_total_minutes: float
    feasible: bool
    sites: gpd.GeoDataFrame = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "day_start": self.day_start,
            "day_end": self.day_end,
            "mode": self.mode,
            "feasible": self.feasible,
            "travel_minutes": round(self.travel_minutes, 1),
            "visit_minutes": round(self.visit_minutes, 1),
            "wait_minutes": round(self.wait_minutes, 1),
            "total_minutes": round(self.total_minutes, 1),
            "given_order_total_minutes": round(self.given_order_total_minutes, 1),
            "stops": self.stops.to_dict("records"),
            "dropped": self.dropped.drop(columns="geometry").to_dict("records"),
        }


def _point(value: shapely.Geometry | tuple[float, float]) -> shapely.Geometry:
    if isinstance(value, tuple):
        return shapely.Point(value)
    return value


def plan_inspection_route(
    sites: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    start: shapely.Geometry | tuple[float, float],
    end: shapely.Geometry | tuple[float, float] | None = None,
    day_start: str = "08:30",
    day_end: str = "17:30",
    visit_minutes: Mapping[str, float] | None = None,
    mode: Mode = "drive",
    speeds_kmh: Mapping[str, float] | None = None,
    graph: TravelGraph | None = None,
    briefing_minutes: float = 60.0,
    lunch: tuple[str, float] | None = ("11:45", 60.0),
    access_minutes: Mapping[str, float] | None = None,
) -> PlannedRoute:
    """Plan one day from ``start`` to ``end`` (default: back to ``start``) through ``sites``
    (in the roads' CRS; columns ``site_id``, ``kind``, ``name``, ``score``, optional
    ``quality``, ``class_name``, ``address``, ``visit_minutes``, ``open_from``, ``open_to``),
    dropping the lowest-rated sites until the day fits. The day opens with the briefing
    (汇报会, ``briefing_minutes`` at the start point); lunch (earliest start, minutes) is
    taken at the first stop reached after its time; every visit adds the time to park the
    coach and walk to the site and back (``access_minutes`` per kind). The sites' row order is
    "the given order" the plan is compared with.
    """
    if sites.crs is None or roads.crs is None or sites.crs != roads.crs:
        raise DataError(MESSAGES.message("route_crs_differ"))
    begin, finish = _minutes(day_start), _minutes(day_end)
    assert begin is not None and finish is not None
    if finish <= begin:
        raise DataError(
            MESSAGES.message("route_day_inverted", day_start=day_start, day_end=day_end)
        )
    durations = dict(DEFAULT_VISIT_MINUTES) | dict(visit_minutes or {})
    graph = graph or travel_graph_from_roads(roads, mode=mode, speeds_kmh=speeds_kmh)
    ends = [_point(start), _point(end if end is not None else start)]
    stop_geoms = np.array([ends[0], *sites.geometry.to_numpy(), ends[1]], dtype=object)
    matrix = stop_matrix(graph, stop_geoms)
    walks = dict(DEFAULT_ACCESS_MINUTES) | dict(access_minutes or {})
    access = [0.0, *(float(walks.get(kind, 5.0)) for kind in sites["kind"]), 0.0]
    visits = _visit_minutes(sites, durations, briefing_minutes)
    visits = [v + a for v, a in zip(visits, access, strict=True)]
    lunch_at = (_minutes(lunch[0]) or 0.0, float(lunch[1])) if lunch is not None else None
    opens = [None, *[_minutes(v) for v in sites.get("open_from", [None] * len(sites))], None]
    closes = [None, *[_minutes(v) for v in sites.get("open_to", [None] * len(sites))], finish]
    rating = sites["quality"] if "quality" in sites else sites["score"]
    sched, keep = _drop_until_the_day_fits(
        matrix.seconds,
        visits,
        rating.fillna(-np.inf).to_numpy(),
        (begin, finish),
        opens,
        closes,
        lunch_at,
    )
    n_all = len(sites) + 2
    given = schedule_stops(
        [0, *keep, n_all - 1], matrix.seconds, visits, begin, opens, closes, lunch_at
    )
    return _assemble(
        sites,
        graph,
        matrix,
        sched,
        visits,
        access,
        keep,
        given.end - begin,
        day_start,
        day_end,
        finish,
        mode,
    )


def _visit_minutes(
    sites: gpd.GeoDataFrame, durations: Mapping[str, float], briefing_minutes: float
) -> list[float]:
    """Minutes spent at each stop: the briefing at the start, each site's own time or its
    kind's, nothing at the end."""
    own = sites["visit_minutes"] if "visit_minutes" in sites else pd.Series(np.nan, sites.index)
    visits = [float(briefing_minutes)]
    for kind, minutes in zip(sites["kind"], own, strict=True):
        visits.append(float(minutes) if pd.notna(minutes) else float(durations.get(kind, 20.0)))
    return [*visits, 0.0]


def _drop_until_the_day_fits(
    seconds: npt.NDArray[np.float64],
    visits: list[float],
    scores: npt.NDArray[np.float64],
    day: tuple[float, float],
    opens: list[float | None],
    closes: list[float | None],
    lunch_at: tuple[float, float] | None,
) -> tuple[Schedule, list[int]]:
    """The best order of the kept stops, dropping the lowest-rated site until the day
    (start, end in minutes) holds every visit in its opening hours; the kept stops."""
    begin, finish = day
    n_all = len(visits)
    keep = list(range(1, n_all - 1))
    while True:
        idx = [0, *keep, n_all - 1]
        order_local = order_stops(
            seconds[np.ix_(idx, idx)],
            start=0,
            end=len(idx) - 1,
            visit_minutes=[visits[i] for i in idx],
            day_start=begin,
            opens=[opens[i] for i in idx],
            closes=[closes[i] for i in idx],
            lunch=lunch_at,
        )
        order = [idx[i] for i in order_local]
        sched = schedule_stops(order, seconds, visits, begin, opens, closes, lunch_at)
        if (sched.violations == 0 and sched.end <= finish + 1e-9) or not keep:
            return sched, keep
        keep.remove(min(keep, key=lambda i: (scores[i - 1], -i)))


def _assemble(
    sites: gpd.GeoDataFrame,
    graph: TravelGraph,
    matrix: StopMatrix,
    sched: Schedule,
    visits: list[float],
    access: list[float],
    keep: list[int],
    given_total: float,
    day_start: str,
    day_end: str,
    finish: float,
    mode: str,
) -> PlannedRoute:
    n_all = len(sites) + 2
    rows = []
    legs = []
    for position, stop in enumerate(sched.order):
        previous = sched.order[position - 1] if position else None
        rows.append(_stop_row(sites, graph, matrix, sched, position, (visits, access)))
        if previous is not None:
            legs.append(
                {
                    "seq": position,
                    "minutes": float(matrix.seconds[previous, stop]) / 60.0,
                    "geometry": matrix.path_line(graph, previous, stop),
                }
            )
    stops = pd.DataFrame(rows)
    travel = float(stops["travel_min"].sum())
    visit = float(sum(visits[i] for i in sched.order))
    wait = float(sum(sched.wait))
    dropped_idx = [i - 1 for i in range(1, n_all - 1) if i not in keep]
    total = sched.end - sched.arrive[0]
    return PlannedRoute(
        stops=stops,
        legs=gpd.GeoDataFrame(legs, geometry="geometry", crs=sites.crs)
        if legs
        else gpd.GeoDataFrame({"seq": [], "minutes": []}, geometry=[], crs=sites.crs),
        dropped=sites.iloc[dropped_idx][["site_id", "kind", "name", "score", "geometry"]],
        day_start=day_start,
        day_end=day_end,
        mode=mode,
        travel_minutes=travel,
        visit_minutes=visit,
        wait_minutes=wait,
        total_minutes=total,
        given_order_total_minutes=given_total,
        feasible=sched.violations == 0 and sched.end <= finish + 1e-9,
        sites=sites,
    )


def _stop_row(
    sites: gpd.GeoDataFrame,
    graph: TravelGraph,
    matrix: StopMatrix,
    sched: Schedule,
    position: int,
    minutes: tuple[list[float], list[float]],
) -> dict[str, object]:
    """The route table's row of the stop at ``position`` in the schedule."""
    visits, access = minutes
    n_all = len(sites) + 2
    stop = sched.order[position]
    previous = sched.order[position - 1] if position else None
    travel_s = matrix.seconds[previous, stop] if previous is not None else 0.0
    travel_m = matrix.metres[previous, stop] if previous is not None else 0.0
    node_xy = shapely.Point(graph.nodes[matrix.node[stop]])
    extra = {"class_name": "", "address": ""}
    if stop == 0 or stop == n_all - 1:
        at = node_xy
        site_id, kind, score = "", "start" if stop == 0 else "end", np.nan
        name = "出发点" if stop == 0 else "终点"
    else:
        at = shapely.ops.nearest_points(sites.geometry.iloc[stop - 1], node_xy)[0]
        row = sites.iloc[stop - 1]
        site_id, kind, name, score = row["site_id"], row["kind"], row["name"], row["score"]
        extra = {k: str(row.get(k, "") or "") for k in extra}
    lunch_slot = sched.breaks.get(position)
    return {
        "seq": position,
        "site_id": site_id,
        "kind": kind,
        "name": name,
        "score": score,
        "travel_min": round(float(travel_s) / 60.0, 1),
        "travel_km": round(float(travel_m) / 1000.0, 2),
        "arrive": clock(sched.arrive[position]),
        "wait_min": round(sched.wait[position], 1),
        "visit_min": visits[stop],
        "access_min": access[stop],
        "depart": clock(sched.depart[position]),
        **extra,
        "lunch": f"{clock(lunch_slot[0])}—{clock(lunch_slot[1])}" if lunch_slot else "",
        "x": round(at.x, 2),
        "y": round(at.y, 2),
    }
