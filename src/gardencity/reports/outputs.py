"""Write an assessment's outputs: scorecard.json, diagnostics.gpkg (QGIS styles), report.html."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

from gardencity.assessment.results import Assessment
from gardencity.assessment.scorecard import SCORECARD_FILE, Scorecard
from gardencity.reports.early_figures import EarlyFigures, EarlyLayerMaps
from gardencity.reports.geopackage import LAYER_VIEWS, GeoPackageWriter
from gardencity.reports.html import layer_map_plans, write_report
from gardencity.reports.worker import DistrictFigures, FigureWorker

__all__ = [
    "DIAGNOSTICS_FILE",
    "LAYER_VIEWS",
    "start_diagnostics",
    "start_district_figures",
    "start_figures",
    "write_diagnostics",
    "write_outputs",
]
DIAGNOSTICS_FILE = "diagnostics.gpkg"


def write_diagnostics(layers: dict[str, gpd.GeoDataFrame], path: Path, *, lang: str = "zh") -> Path:
    """Write the layers and a ``layer_styles`` table that QGIS applies on opening."""
    writer = GeoPackageWriter(path)
    for name, layer in layers.items():
        writer.add(name, layer)
    return writer.close(lang)


def start_diagnostics(
    out_dir: str | os.PathLike[str], figures: FigureWorker | None = None
) -> GeoPackageWriter:
    """The diagnostics.gpkg of ``out_dir``, to be given each diagnostic layer as it is built
    (:func:`gardencity.assessment.run_assessment`'s ``layer_built``) and then to
    :func:`write_outputs`; each layer is written as it comes, the larger ones by the figure
    worker, while the assessment goes on."""
    executor = None if figures is None else figures.executor
    return GeoPackageWriter(Path(out_dir) / DIAGNOSTICS_FILE, executor)


def start_figures(figures: FigureWorker, lang: str = "zh") -> EarlyFigures:
    """The report's figures, to be given the zones, each indicator and each diagnostic
    layer as they come (:func:`gardencity.assessment.run_assessment`'s ``zones_read``,
    ``indicator_computed`` and ``layer_built``); ``figures`` draws each as soon as what it
    shows is computed. Its district figures (``district.figures(scorecard, zones)``, once
    the indicators are decided) and its layer maps (``layer_maps``) then go to
    :func:`write_outputs` (``drawn`` and ``layer_maps``)."""
    return EarlyFigures(figures, lang)


def start_district_figures(
    assessment: Assessment,
    figures: FigureWorker,
    lang: str = "zh",
    scorecard: Scorecard | None = None,
) -> Callable[[], DistrictFigures]:
    """Start drawing the report's district figures on ``figures``, as soon as the
    assessment's indicators are decided (its diagnostic layers are not needed); the
    function returned gives them, for :func:`write_outputs`."""
    zones = assessment.zones
    districts = zones[zones["kind"] == "district"] if "kind" in zones else zones
    return figures.district_figures(scorecard or assessment.scorecard(), districts, lang)


def write_outputs(
    assessment: Assessment,
    out_dir: str | os.PathLike[str],
    *,
    lang: str = "zh",
    scenario: bool = False,
    progress: Callable[[str], None] | None = None,
    figures: FigureWorker | None = None,
    drawn: Callable[[], DistrictFigures] | None = None,
    diagnostics: GeoPackageWriter | None = None,
    layer_maps: EarlyLayerMaps | None = None,
) -> dict[str, Path]:
    """scorecard.json, diagnostics.gpkg and report.html in ``out_dir`` (a ``scenario``
    report is marked as a what-if); ``progress`` hears the name of each file as it starts.
    A :class:`FigureWorker` draws the report's figures meanwhile; its district figures
    may have been started already (``drawn``, from :func:`start_district_figures`), and the
    diagnostic layers given to a writer of diagnostics.gpkg (``diagnostics``, from
    :func:`start_diagnostics`) as they were built, and the layer maps started as their
    layers were built (``layer_maps``, from :func:`start_figures`)."""
    step = progress or (lambda _name: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scorecard = assessment.scorecard()
    paths = {
        "scorecard": out / SCORECARD_FILE,
        "diagnostics": out / DIAGNOSTICS_FILE,
        "report": out / "report.html",
    }
    step("scorecard")
    scorecard.write(paths["scorecard"])
    maps = None
    if figures is not None:
        if drawn is None:
            drawn = start_district_figures(assessment, figures, lang, scorecard)
        if layer_maps is None:
            maps = figures.layer_maps(
                layer_map_plans(assessment.zones, assessment.diagnostics, lang)
            )
        else:
            maps = layer_maps.maps(assessment.zones, assessment.diagnostics)
    step("diagnostics")
    if diagnostics is None:
        write_diagnostics(assessment.diagnostics, paths["diagnostics"], lang=lang)
    else:
        paths["diagnostics"] = diagnostics.close(lang)
    step("report")
    write_report(
        scorecard,
        assessment.zones,
        assessment.diagnostics,
        paths["report"],
        lang=lang,
        scenario=scenario,
        drawn=drawn,
        layer_maps=maps,
    )
    return paths
