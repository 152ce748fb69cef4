"""What-if runs of drawn parks without a re-run: the job worker keeps an
:class:`~gardencity.assessment.incremental.IncrementalAssessment` of the workspace between runs.

The first what-if after a start (or after the workspace's files changed) assesses the
workspace once; every later one applies its parks to the kept state, reads the indicators
and takes the parks out again, in well under a second on a megacity. The outputs carry the
indicator values (scorecard, report); the diagnostics layers are those of a full run only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd

from gardencity.assessment.incremental import IncrementalAssessment
from gardencity.assessment.results import Assessment
from gardencity.jobs.whatif import check_edits, drawn_geometries

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


def _engine(
    workspace: Path, progress: Callable[[str, int, int], None] | None
) -> IncrementalAssessment:
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
    progress: Callable[[str, int, int], None] | None = None,
) -> Assessment:
    """The assessment with the drawn ``parks`` of ``edits`` (GeoJSON, WGS 84) added."""
    check_edits(edits)
    engine = _engine(workspace, progress)
    parks = gpd.GeoSeries(drawn_geometries(edits, "parks"), crs=4326).to_crs(engine.zones.crs)
    keys = []
    try:
        for geometry in parks:
            keys.append(engine.add_park(geometry))
        return engine.assessment()
    finally:
        for key in keys:
            engine.remove_park(key)
