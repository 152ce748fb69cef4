"""Write an assessment's outputs: scorecard.json, diagnostics.gpkg (QGIS styles), report.html."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from gardencity.assessment.results import Assessment
from gardencity.assessment.scorecard import SCORECARD_FILE, Scorecard
from gardencity.messages import Catalogue
from gardencity.reports.html import layer_map_plans, write_report
from gardencity.reports.worker import DistrictFigures, FigureWorker
from gardencity.vocabulary import rgba, vocabulary

__all__ = ["LAYER_VIEWS", "start_district_figures", "write_diagnostics", "write_outputs"]
MESSAGES = Catalogue(__package__)


# a layer that is a subset of another is stored once: a view of it (GeoPackage views read as
# layers in QGIS and GDAL), layer -> (source layer, SQL condition on its columns)
LAYER_VIEWS: dict[str, tuple[str, str]] = {
    "unshaded_road_segments": ("road_shade_segments", "NOT is_shaded"),
}


def _qml(name: str, geometry_type: str) -> str:
    """The layer's QGIS style from the vocabulary (a grey fill for a layer it does not know)."""
    term = vocabulary().layers.get(name)
    style = term.style if term is not None and term.style is not None else None
    if style is None:
        style = vocabulary().style("layers", "no_data")
    outline = rgba(style.stroke) if style.stroke else "0,0,0,0"
    width = f"{style.width:g}"
    if style.fill is None or geometry_type.endswith("LineString"):
        dash = ""
        if style.dash:
            pattern = ";".join(f"{d:g}" for d in style.dash)
            dash = (
                '<Option name="use_custom_dash" value="1" type="QString"/>'
                f'<Option name="customdash" value="{pattern}" type="QString"/>'
                '<Option name="customdash_unit" value="MM" type="QString"/>'
            )
        symbol = (
            f'<symbol type="line" name="0" alpha="1"><layer class="SimpleLine">'
            f'<Option type="Map"><Option name="line_color" value="{outline}" type="QString"/>'
            f'<Option name="line_width" value="{width}" type="QString"/>'
            f'<Option name="line_width_unit" value="MM" type="QString"/>{dash}</Option>'
            f"</layer></symbol>"
        )
    else:
        fill = rgba(style.fill, style.fill_opacity)
        hatch = ""
        if style.hatch:  # the fill under diagonal lines in the outline colour
            hatch = (
                f'<layer class="SimpleFill"><Option type="Map">'
                f'<Option name="color" value="{outline}" type="QString"/>'
                f'<Option name="style" value="f_diagonal" type="QString"/>'
                f'<Option name="outline_style" value="no" type="QString"/></Option></layer>'
            )
        symbol = (
            f'<symbol type="fill" name="0" alpha="1"><layer class="SimpleFill">'
            f'<Option type="Map"><Option name="color" value="{fill}" type="QString"/>'
            f'<Option name="outline_color" value="{outline}" type="QString"/>'
            f'<Option name="outline_width" value="{width}" type="QString"/>'
            f'<Option name="outline_width_unit" value="MM" type="QString"/></Option>'
            f"</layer>{hatch}</symbol>"
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.34" styleCategories="Symbology">'
        f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0">'
        f"<symbols>{symbol}</symbols></renderer-v2></qgis>"
    )


def write_diagnostics(layers: dict[str, gpd.GeoDataFrame], path: Path, *, lang: str = "zh") -> Path:
    """Write the layers and a ``layer_styles`` table that QGIS applies on opening."""
    fd, tmp_name = tempfile.mkstemp(prefix=".diagnostics-", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    written: list[tuple[str, str]] = []
    views = {
        name: view
        for name, view in LAYER_VIEWS.items()
        if name in layers and _has_rows(layers.get(view[0]))
    }
    with _unsynced_sqlite():
        for name, gdf in layers.items():
            if gdf is None or gdf.empty or name in views:
                continue
            frame = _text_columns(gdf)
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
            written.append((name, str(frame.geom_type.dropna().iloc[0]) if len(frame) else ""))
        if not written:  # still a GeoPackage that says why it holds no map layers
            about = gpd.GeoDataFrame(
                {"message": [MESSAGES.text("no_diagnostic_layers", lang)]},
            )
            pyogrio.write_dataframe(about, tmp, layer="about", driver="GPKG")
    # its last transaction (the styles) is committed in full, the whole file on disk
    with sqlite3.connect(tmp) as db:
        written += _create_views(db, views, layers)
        db.execute(
            "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT, f_table_schema TEXT, f_table_name TEXT, "
            "f_geometry_column TEXT, styleName TEXT, styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT, ui TEXT, update_time DATETIME)"
        )
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for name, geom_type in written:
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, 'geom', ?, ?, '', 1, "
                "'gardencity default style', '', '', ?)",
                (name, name, _qml(name, geom_type), now),
            )
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
            (now,),
        )
    os.replace(tmp, path)
    return path


# GDAL's SQLite settings while the layers are written to the temporary file: no wait for the
# disk after each transaction, no rollback journal (an interrupted write leaves only the
# temporary file, which is never swapped in)
_UNSYNCED = {"OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_JOURNAL": "OFF"}


@contextmanager
def _unsynced_sqlite() -> Iterator[None]:
    before = {key: pyogrio.get_gdal_config_option(key) for key in _UNSYNCED}
    pyogrio.set_gdal_config_options(_UNSYNCED)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def _text_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with each object column as text (None stays NULL); columns that hold only
    text already are left as they are."""
    frame = gdf.copy()
    for column in frame.columns:
        values = frame[column]
        if column == frame.geometry.name or values.dtype != object:
            continue
        if pd.api.types.infer_dtype(values, skipna=False) != "string":
            frame[column] = values.map(lambda v: v if v is None else str(v))
    return frame


def _has_rows(gdf: gpd.GeoDataFrame | None) -> bool:
    return gdf is not None and not gdf.empty


def _create_views(
    db: sqlite3.Connection,
    views: dict[str, tuple[str, str]],
    layers: dict[str, gpd.GeoDataFrame],
) -> list[tuple[str, str]]:
    """Each view as a GeoPackage feature layer over its source's rows; (name, geometry type)."""
    created = []
    for name, (source, condition) in views.items():
        columns = [c for c in layers[name].columns if c != layers[name].geometry.name]
        selected = ", ".join(f'"{c}"' for c in ["fid", "geom", *columns])
        db.execute(f'CREATE VIEW "{name}" AS SELECT {selected} FROM "{source}" WHERE {condition}')
        kind, srs = db.execute(
            "SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
            (source,),
        ).fetchone()
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES (?, 'features', ?, ?)",
            (name, name, srs),
        )
        db.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)", (name, kind, srs)
        )
        created.append((name, "LineString" if "LINE" in str(kind).upper() else str(kind)))
    return created


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
) -> dict[str, Path]:
    """scorecard.json, diagnostics.gpkg and report.html in ``out_dir`` (a ``scenario``
    report is marked as a what-if); ``progress`` hears the name of each file as it starts.
    A :class:`FigureWorker` draws the report's figures meanwhile; its district figures
    may have been started already (``drawn``, from :func:`start_district_figures`)."""
    step = progress or (lambda _name: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scorecard = assessment.scorecard()
    paths = {
        "scorecard": out / SCORECARD_FILE,
        "diagnostics": out / "diagnostics.gpkg",
        "report": out / "report.html",
    }
    step("scorecard")
    scorecard.write(paths["scorecard"])
    layer_maps = None
    if figures is not None:
        if drawn is None:
            drawn = start_district_figures(assessment, figures, lang, scorecard)
        layer_maps = figures.layer_maps(
            layer_map_plans(assessment.zones, assessment.diagnostics, lang)
        )
    step("diagnostics")
    write_diagnostics(assessment.diagnostics, paths["diagnostics"], lang=lang)
    step("report")
    write_report(
        scorecard,
        assessment.zones,
        assessment.diagnostics,
        paths["report"],
        lang=lang,
        scenario=scenario,
        drawn=drawn,
        layer_maps=layer_maps,
    )
    return paths
