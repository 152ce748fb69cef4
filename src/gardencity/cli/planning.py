"""``gardencity plan``: 建议选址 — new pocket-park sites and the roads to shade first."""

from __future__ import annotations

import json
from pathlib import Path

import click
import geopandas as gpd
from rich.table import Table

from gardencity.cli.common import console, lang_option, reports_errors, say

__all__ = ["plan_command"]


def _number(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _edits(parks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> dict[str, list[object]]:
    """The suggestions as what-if edits (GeoJSON in WGS 84), as the runs API takes them."""
    out: dict[str, list[object]] = {"parks": [], "shaded_roads": []}
    for key, frame in (("parks", parks), ("shaded_roads", roads)):
        if not frame.empty:
            out[key] = [
                json.loads(gpd.GeoSeries([g], crs=frame.crs).to_crs(4326).to_json())["features"][0][
                    "geometry"
                ]
                for g in frame.geometry
            ]
    return out


@click.command(name="plan")
@click.argument("workspace", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--from-categories",
    default="other",
    show_default=True,
    help="Land-use categories of the parcels that could become pocket parks (comma-separated).",
)
@click.option("--target", type=float, help="Coverage to reach, % (default: the standard's).")
@click.option("--max-sites", type=int, help="Choose at most this many sites.")
@click.option(
    "--diagnostics",
    type=click.Path(path_type=Path),
    help="The assessment's diagnostics.gpkg (default: WORKSPACE/out/diagnostics.gpkg).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    help="GeoPackage of the suggestions (default: WORKSPACE/out/suggestions.gpkg).",
)
@lang_option
@reports_errors
def plan_command(
    workspace: Path,
    from_categories: str,
    target: float | None,
    max_sites: int | None,
    diagnostics: Path | None,
    out_path: Path | None,
    lang: str,
) -> None:
    """Suggest new pocket-park sites (each with the residential land it brings into a park's
    service radius) and the unshaded road segments to plant first; write them as a
    GeoPackage and as what-if edits (JSON) that the what-if page and API take."""
    from gardencity.planning.suggest import suggest_pocket_parks, suggest_shading

    categories = [c.strip() for c in from_categories.split(",") if c.strip()]
    parks = suggest_pocket_parks(
        workspace, categories=categories, target_percent=target, max_sites=max_sites
    )
    table = Table(title=say("plan_parks_title", lang))
    for key in (
        "plan_col_site",
        "plan_col_code",
        "plan_col_area",
        "plan_col_radius",
        "plan_col_gain",
        "plan_col_cov",
    ):
        table.add_column(say(key, lang), overflow="fold")
    for site_id, row in parks.sites.iterrows():
        table.add_row(
            str(site_id),
            str(row.get("code", "")),
            _number(row["area_m2"] / 1e4, 2),
            _number(row["radius_m"], 0),
            _number(row["gain_m2"] / 1e4, 2),
            _number(row["coverage_percent"]),
        )
    console.print(table)
    console.print(
        say(
            "plan_parks_summary",
            lang,
            before=_number(parks.coverage_before),
            after=_number(parks.coverage_after),
            target=_number(parks.target_percent),
            count=len(parks.sites),
            reached=say("plan_reached" if parks.reached else "plan_not_reached", lang),
        )
    )
    shading = suggest_shading(
        workspace, diagnostics or workspace / "out" / "diagnostics.gpkg", target_percent=None
    )
    roads = shading.segments
    console.print(
        say(
            "plan_shading_summary",
            lang,
            before=_number(shading.coverage_before),
            target=_number(shading.target_percent or 0),
            count=len(roads),
            km=_number(float(roads["length_m"].sum()) / 1000, 2),
            planting=_number(float(roads["planting_m"].sum()) / 1000, 2),
        )
    )
    out = out_path or workspace / "out" / "suggestions.gpkg"
    out.parent.mkdir(parents=True, exist_ok=True)
    site_frame = gpd.GeoDataFrame(parks.sites.reset_index(names="site_id"), crs=parks.sites.crs)
    site_frame.to_file(out, layer="suggested_pocket_parks", driver="GPKG", mode="w")
    roads.to_file(out, layer="suggested_shading", driver="GPKG", mode="a")
    edits = out.with_suffix(".whatif.json")
    edits.write_text(json.dumps(_edits(site_frame, roads), ensure_ascii=False), encoding="utf-8")
    console.print(say("plan_output", lang, path=out), soft_wrap=True)
    console.print(say("plan_edits", lang, path=edits), soft_wrap=True)
