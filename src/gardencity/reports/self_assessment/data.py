"""Everything the report shows, read from an assessment's output folder and the rehearsal
results on file (``WORKSPACE/inspection``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from gardencity.assessment.scorecard import SCORECARD_FILE, Scorecard
from gardencity.errors import WorkspaceError
from gardencity.io.raster import Raster
from gardencity.messages import Catalogue

__all__ = ["REHEARSAL_FILES", "ReportData", "read_rehearsal"]
MESSAGES = Catalogue(__package__)

REHEARSAL_FILES = {"spot_check": "spot_check.json", "survey": "survey_results.json"}


@dataclass
class ReportData:
    """The scorecard and maps' inputs, plus the campaign's figures (cases, targets, flags,
    ledger) and the rehearsal results when they exist."""

    scorecard: Scorecard
    zones: gpd.GeoDataFrame
    diagnostics: dict[str, gpd.GeoDataFrame]
    canopy: Raster | None = None
    temperature: Raster | None = None
    campaign: dict[str, Any] | None = None
    rehearsal: dict[str, Any] | None = None
    figures: list[tuple[str, bytes]] | None = None
    """The maps, drawn once and shared by both editions and both formats."""

    @classmethod
    def from_outputs(
        cls,
        out_dir: str | os.PathLike[str],
        *,
        canopy: Raster | None = None,
        temperature: Raster | None = None,
        campaign: dict[str, Any] | None = None,
        rehearsal: dict[str, Any] | None = None,
    ) -> ReportData:
        """Read ``scorecard.json`` and ``diagnostics.gpkg`` written by ``gardencity assess``."""
        import pyogrio

        out = Path(out_dir)
        card, gpkg = out / SCORECARD_FILE, out / "diagnostics.gpkg"
        missing = [p.name for p in (card, gpkg) if not p.is_file()]
        if missing:
            raise WorkspaceError(MESSAGES.message("outputs_missing", out=out, missing=missing))
        scorecard = Scorecard.read(card)
        layers = {}
        for name, geometry_type in pyogrio.list_layers(gpkg):
            if geometry_type is not None:
                layers[str(name)] = gpd.read_file(gpkg, layer=str(name))
        zones = layers.pop("zones").set_index("zone_id")
        return cls(scorecard, zones, layers, canopy, temperature, campaign, rehearsal)

    @property
    def built_up_km2(self) -> float:
        city = self.zones[self.zones["kind"] == "built_up_area"]
        return float(city.geometry.area.sum()) / 1e6


def read_rehearsal(folder: Path) -> dict[str, Any]:
    """The rehearsal results on file in ``folder`` (``spot_check.json`` from `gardencity
    inspection spot-check`, ``survey_results.json`` from `gardencity inspection survey`);
    absent files are left out."""
    found: dict[str, Any] = {}
    for key, name in REHEARSAL_FILES.items():
        path = folder / name
        if path.is_file():
            try:
                found[key] = json.loads(path.read_text("utf-8"))
            except json.JSONDecodeError as exc:
                raise WorkspaceError(MESSAGES.message("not_json", path=path, detail=exc)) from exc
    return found
