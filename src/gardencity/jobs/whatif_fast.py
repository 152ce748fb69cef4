"""What-if runs (drawn parks, roads marked shaded) without a re-run: the job worker keeps an
:class:`~gardencity.whatif.IncrementalAssessment` of the workspace between runs.

The first what-if after a start (or after the workspace's files changed) assesses the
workspace once; every later one applies its parks to the kept state, reads the indicators
and takes the parks out again, in well under a second on a megacity. The outputs carry the
indicator values (scorecard, report); the diagnostics layers are those of a full run only.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import geopandas as gpd

from gardencity.assessment.evaluate import Progress
from gardencity.assessment.results import Assessment
from gardencity.jobs.whatif import check_edits, drawn_geometries
from gardencity.whatif import IncrementalAssessment

__all__ = ["incremental_whatif"]

_KEPT: dict[str, tuple[tuple[Any, ...], IncrementalAssessment]] = {}


def _fingerprint(workspace: Path) -> tuple[Any, ...]:
    """What a change of the workspace's data would change (its top-level files)."""
    return tuple(
        sorted(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size)
            for p in workspace.iterdir()
            if p.is_file()
        )
    )


def _engine(workspace: Path, progress: Progress | None) -> IncrementalAssessment:
    from gardencity.assessment import run_assessment

    key = str(workspace.resolve())
    stamp = _fingerprint(workspace)
    kept = _KEPT.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    _KEPT.pop(key, None)
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
