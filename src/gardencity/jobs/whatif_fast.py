"""What-if runs (drawn parks, roads marked shaded) without a re-run: the job worker keeps an
:class:`~gardencity.whatif.IncrementalAssessment` of the workspace between runs.

An assessment run leaves its engine beside its outputs (:mod:`gardencity.whatif.persist`) and
in the worker's memory; the first what-if after a start loads the newest saved engine that
matches the workspace's files, and only without one assesses the workspace once. Every what-if
applies its parks to the kept state, reads the indicators and takes the parks out again, in
well under a second on a megacity. The outputs carry the indicator values (scorecard,
report); the diagnostics layers are those of a full run only.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import geopandas as gpd

from gardencity.assessment.evaluate import Progress
from gardencity.assessment.results import Assessment
from gardencity.jobs.whatif import check_edits, drawn_geometries
from gardencity.whatif import IncrementalAssessment
from gardencity.whatif.persist import STATE_FILE, load_engine, save_engine, workspace_stamp

__all__ = ["incremental_whatif", "keep_engine"]

_KEPT: dict[str, tuple[tuple[Any, ...], IncrementalAssessment]] = {}
log = logging.getLogger(__name__)


def keep_engine(workspace: Path, assessment: Assessment, out: Path) -> None:
    """After an assessment run: its what-if engine, kept in memory and saved beside the
    run's outputs in ``out`` for the first what-if after a restart."""
    stamp = workspace_stamp(workspace)
    try:
        engine = IncrementalAssessment(workspace, base=assessment)
    except Exception:  # the what-if assesses on its own then, as without a saved engine
        log.exception("what-if engine of %s not built", workspace)
        return
    _KEPT[str(Path(workspace).resolve())] = (stamp, engine)
    try:
        saved = save_engine(engine, out / STATE_FILE)
    except Exception:  # an optimisation after the run succeeded: it must not fail the run
        log.exception("what-if state of %s not saved", out)
        return
    for older in (Path(workspace) / "runs").glob(f"*/{STATE_FILE}"):
        if older.resolve() != saved.resolve():  # only the newest run's engine is kept
            older.unlink(missing_ok=True)


def _saved(workspace: Path) -> IncrementalAssessment | None:
    """The newest engine saved with a run of ``workspace`` that matches its files."""
    saved = sorted(
        (Path(workspace) / "runs").glob(f"*/{STATE_FILE}"),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for path in saved:
        engine = load_engine(path, workspace)
        if engine is not None:
            return engine
    return None


def _engine(workspace: Path, progress: Progress | None) -> IncrementalAssessment:
    from gardencity.assessment import run_assessment

    key = str(workspace.resolve())
    stamp = workspace_stamp(workspace)
    kept = _KEPT.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    _KEPT.pop(key, None)
    engine = _saved(workspace)
    if engine is None:
        engine = IncrementalAssessment(workspace, base=run_assessment(workspace, progress=progress))
    _KEPT[key] = (stamp, engine)
    return engine


def incremental_whatif(
    workspace: Path,
    edits: dict[str, Any],
    progress: Progress | None = None,
) -> Assessment:
    """The assessment with the drawn ``parks`` added and the ``shaded_roads`` shaded (GeoJSON
    in WGS 84, as :func:`gardencity.jobs.whatif.apply_edits` takes them)."""
    check_edits(edits)
    engine = _engine(workspace, progress)
    crs = engine.zones.crs
    parks = gpd.GeoSeries(drawn_geometries(edits, "parks"), crs=4326).to_crs(crs)
    roads = gpd.GeoSeries(drawn_geometries(edits, "shaded_roads"), crs=4326).to_crs(crs)
    park_keys: list[Hashable] = []
    shade_keys: list[Hashable] = []
    try:
        for geometry in parks:
            park_keys.append(engine.add_park(geometry))
        for line in roads:
            shade_keys.append(engine.shade_road(line))
        return engine.assessment()
    finally:  # the kept state goes back to the workspace as it is
        for key in park_keys:
            engine.remove_park(key)
        for key in shade_keys:
            engine.unshade_road(key)
