"""The self-contained HTML report (one file: inline CSS, its maps and charts as SVG)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import jinja2

from gardencity.assessment.scorecard import IndicatorCard, Scorecard
from gardencity.indicators import FAMILIES, Chart
from gardencity.io.layers import LAYERS, TABLES
from gardencity.messages import load_yaml
from gardencity.reports.map_layers import Layers, MapPlan, map_plan
from gardencity.reports.params import params_in_words
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import chinese_datetime

__all__ = [
    "FigureRequest",
    "district_charts",
    "district_figure_requests",
    "district_figures",
    "districts_of",
    "draw_district_figure",
    "draw_layer_maps",
    "layer_map_plan",
    "layer_map_plans",
    "load_labels",
    "report_layers",
    "report_maps",
    "report_maps_of",
    "report_template",
    "report_templates",
    "write_report",
]


def load_labels(lang: str) -> dict[str, str]:
    if lang not in ("zh", "en"):
        raise ValueError(f"Unknown report language '{lang}'. Fix: use zh or en.")
    text = resources.files("gardencity.reports.i18n").joinpath(f"{lang}.yaml").read_text("utf-8")
    labels: dict[str, str] = load_yaml(text)
    return labels | {"district": vocabulary().label("levels", "district", lang)}


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "是/否":
        return "是" if value >= 1 else "否"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"


def _when(iso: str, lang: str) -> str:
    """A timestamp as an office writes it: Beijing time in Chinese, UTC in English."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    if lang == "zh":
        local = moment.astimezone(timezone(timedelta(hours=8)))
        return f"{chinese_datetime(local)}（北京时间）"
    return f"{moment.astimezone(UTC):%d %b %Y %H:%M} UTC"


def _pct(share: Any) -> str:
    return "—" if share is None else f"{float(share):.1%}"


def _layer_name(name: str, lang: str) -> str:
    if name == "zones":
        return vocabulary().label("layers", name, lang)
    spec = LAYERS.get(name) or TABLES.get(name)
    return spec.name_zh if spec is not None and lang == "zh" else name


def problem_text(problem: dict[str, Any], labels: dict[str, str], lang: str) -> str:
    """A validation finding in the report's language (the Chinese text where there is one)."""
    severity = labels.get(f"severity_{problem.get('severity', 'warning')}", "")
    zh = lang == "zh" and problem.get("message_zh")
    message = problem["message_zh"] if zh else problem.get("message", "")
    fix = (problem.get("fix_zh") or problem.get("fix", "")) if lang == "zh" else problem.get("fix")
    layer = _layer_name(str(problem.get("layer", "")), lang)
    details = problem.get("details") or []
    shown = ", ".join(map(str, details[:20])) + (" …" if len(details) > 20 else "")
    sep = "：" if lang == "zh" else ": "
    text = f"{severity}{sep}{layer}{sep}{message}" + (f"（{shown}）" if shown else "")
    return f"{text} — {labels['fix']}{sep}{fix}"


def report_layers(
    diagnostics: dict[str, gpd.GeoDataFrame], districts: gpd.GeoDataFrame
) -> list[tuple[str, Layers]]:
    """The report's layer maps: ``(title label, [(layer, vocabulary layer name)])``."""
    return [(title, layers) for title, layers, _ in report_maps(diagnostics, districts)]


def report_maps(
    diagnostics: dict[str, gpd.GeoDataFrame], districts: gpd.GeoDataFrame
) -> list[tuple[str, Layers, tuple[str, ...]]]:
    """The report's layer maps as :func:`report_layers` gives them, each with the names of
    the diagnostic layers it shows (beside the districts)."""
    parks = (diagnostics.get("eligible_parks"), "eligible_parks")
    outline = (districts, "districts")
    maps: list[tuple[str, Layers, tuple[str, ...]]] = [
        ("map_overview", [outline, parks], ("eligible_parks",))
    ]
    for key, title in (
        ("uncovered_residential", "map_uncovered"),
        ("uncovered_residential_walking", "map_uncovered_walking"),
    ):
        layer = diagnostics.get(key)
        if layer is not None and not layer.empty:
            service = (diagnostics.get("service_areas"), "service_areas")
            layers = [service, parks, (layer, key), outline]
            maps.append((title, layers, ("service_areas", "eligible_parks", key)))
    segments = diagnostics.get("road_shade_segments")
    if segments is not None and not segments.empty:
        shaded = segments["is_shaded"].astype(bool)
        roads = [(segments[shaded], "road_shade_segments")]
        roads.append((segments[~shaded], "unshaded_road_segments"))
        maps.append(("map_roads", [outline, *roads], ("road_shade_segments",)))
    return maps


def districts_of(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The districts among ``zones``."""
    return zones[zones["kind"] == "district"] if "kind" in zones else zones


def layer_map_plans(
    zones: gpd.GeoDataFrame, diagnostics: dict[str, gpd.GeoDataFrame], lang: str
) -> list[MapPlan]:
    """The report's layer maps, prepared (:func:`draw_layer_maps` draws them)."""
    return [
        layer_map_plan(zones, title, layers, lang)
        for title, layers, _ in report_maps(diagnostics, districts_of(zones))
    ]


def layer_map_plan(zones: gpd.GeoDataFrame, title: str, layers: Layers, lang: str) -> MapPlan:
    """One map of :func:`report_maps` over the city of ``zones``, prepared."""
    city = zones.loc[["built_up_area"]] if "built_up_area" in zones.index else zones
    return map_plan(layers, city, load_labels(lang)[title], lang=lang)


def report_maps_of(
    zones: gpd.GeoDataFrame, diagnostics: dict[str, gpd.GeoDataFrame]
) -> list[tuple[str, Layers, tuple[str, ...]]]:
    """:func:`report_maps` of the districts of ``zones``."""
    return report_maps(diagnostics, districts_of(zones))


def draw_layer_maps(plans: list[MapPlan]) -> list[dict[str, str]]:
    """The report's layer maps drawn (``{"title", "html"}`` each: SVG and its legend)."""
    from gardencity.reports.svg_maps import plan_svg

    return [{"title": plan.title, "html": plan_svg(plan)} for plan in plans]


#: a district map to draw: the name of its drawing function in
#: :mod:`gardencity.reports.svg_maps` (``choropleth``, :func:`choropleth_svg`) and its arguments
FigureRequest = tuple[str, tuple[Any, ...], dict[str, Any]]


def district_figures(
    scorecard: Scorecard, districts: gpd.GeoDataFrame, lang: str
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The report's district choropleths (``{"title", "html"}`` each, SVG and legend) and its
    bar charts (``{"title", "svg"}`` each, SVG markup)."""
    maps = district_figure_requests(scorecard.indicators, districts, lang)
    return (
        [{"title": title, "html": draw_district_figure(request)} for title, request in maps],
        district_charts(scorecard, lang),
    )


def district_figure_requests(
    indicators: list[IndicatorCard], districts: gpd.GeoDataFrame, lang: str
) -> list[tuple[str, FigureRequest]]:
    """The choropleths of :func:`district_figures` of ``indicators``, each as its title and
    what :func:`draw_district_figure` draws."""
    return _choropleths(indicators, districts, load_labels(lang), lang)


def draw_district_figure(request: FigureRequest) -> str:
    """A figure of :func:`district_figure_requests` drawn (SVG and its legend, HTML)."""
    from gardencity.reports.svg_maps import choropleth_svg

    kind, args, kwargs = request
    drawings: dict[str, Callable[..., str]] = {"choropleth": choropleth_svg}
    return drawings[kind](*args, **kwargs)


def _chart(result: IndicatorCard, kind: Literal["bar", "map"]) -> Chart | None:
    """The chart of ``kind`` that the indicator's family declares for it (by its measure)."""
    return FAMILIES.chart(result.method.measure or None, kind, result.scope)


def _title(result: IndicatorCard, chart: Chart, labels: dict[str, str], lang: str) -> str:
    if chart.title_label and chart.title_label in labels:
        return labels[chart.title_label]
    return result.name(lang)


def _choropleths(
    indicators: list[IndicatorCard],
    districts: gpd.GeoDataFrame,
    labels: dict[str, str],
    lang: str,
) -> list[tuple[str, FigureRequest]]:
    """The districts coloured by the value of each indicator whose family charts it so."""
    maps: list[tuple[str, FigureRequest]] = []
    for result in indicators:
        chart = _chart(result, "map")
        if chart is None or not result.by_district or districts.empty:
            continue
        shown = districts.copy()
        shown["value"] = [result.by_district.get(str(i)) for i in shown.index]
        shown["value"] = shown["value"].astype(float)
        threshold = result.threshold.value if result.threshold else None
        lowest = next(  # the lowest-district requirement of the same measure, if any
            (
                r
                for r in indicators
                if r.scope == "min_district" and r.method.measure == chart.measure
            ),
            None,
        )
        if lowest is not None and lowest.threshold is not None:
            threshold = lowest.threshold.value
        title = _title(result, chart, labels, lang)
        args = (shown, "value", threshold, labels, title, _unit_in(result.unit, lang))
        maps.append((title, ("choropleth", args, {"lang": lang})))
    return maps


def district_charts(scorecard: Scorecard, lang: str) -> list[dict[str, str]]:
    """A bar chart of the districts' values of each indicator whose family charts it so
    (``{"title", "svg"}`` each: the chart for a screen and the chart for a phone, of which
    the page shows one)."""
    from gardencity.reports.charts import PHONE_WIDTH, bar_chart

    labels = load_labels(lang)
    names = {d.id: d.label(lang) for d in scorecard.districts}
    charts: list[dict[str, str]] = []
    for result in scorecard.indicators:
        chart = _chart(result, "bar")
        if chart is None or not result.by_district:
            continue
        ids = list(result.by_district)
        title = _title(result, chart, labels, lang)
        args = (
            [names.get(i, i) for i in ids],
            [result.by_district[i] for i in ids],
            result.threshold.value if result.threshold else None,
            labels,
            title,
            _unit_in(result.unit, lang),
        )  # drawn twice: the page shows a phone the chart laid out for its screen
        svg = bar_chart(*args) + bar_chart(*args, width=PHONE_WIDTH)
        charts.append({"title": title, "svg": svg})
    return charts


@functools.cache
def report_templates() -> jinja2.Environment:
    """The report's templates' environment, made once a process: a server or a batch
    writing many reports compiles each template once (its filters read the report's
    language and labels from what it is rendered with, ``lang`` and ``L``)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gardencity.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["fmt"] = _fmt
    env.filters["unit"] = jinja2.pass_context(lambda context, unit: _unit_in(unit, context["lang"]))
    env.filters["pct"] = _pct
    env.filters["when"] = _when
    env.filters["params_words"] = params_in_words
    env.filters["layer_name"] = _layer_name
    env.filters["operator"] = lambda op: vocabulary().label("operators", op, "zh")
    env.filters["problem_text"] = jinja2.pass_context(
        lambda context, problem, lang: problem_text(problem, context["L"], lang)
    )
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja's cache of compiled templates in the user's temporary folder (its own, private:
    Jinja checks it), so that a report's templates are compiled once a machine, as Python's
    modules are; None where there is no such folder to be had."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def report_template() -> jinja2.Template:
    """The report's template, compiled once a process."""
    return report_templates().get_template("report.html.j2")


def _unit_in(unit: str, lang: str) -> str:
    """An indicator's unit as the report writes it: as the standard gives it in Chinese, in
    the vocabulary's words in English (m²/人 → m²/person)."""
    return unit if lang == "zh" else vocabulary().label("units", unit, lang)


def _status_css() -> str:
    words = vocabulary()
    return words.css_rules("statuses", ".{}") + "\n" + words.css_rules("confidences", ".conf-{}")


def write_report(
    scorecard: Scorecard | Mapping[str, Any],
    zones: gpd.GeoDataFrame,
    diagnostics: dict[str, gpd.GeoDataFrame],
    out_path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    scenario: bool = False,
    drawn: Callable[[], tuple[list[dict[str, str]], list[dict[str, str]]]] | None = None,
    layer_maps: Callable[[], list[dict[str, str]]] | None = None,
) -> Path:
    """Render the report for ``scorecard`` (a :class:`Scorecard`, or the JSON form of one) to
    one HTML file; a ``scenario`` (what-if) report says so in its title and a banner.
    ``drawn`` gives the :func:`district_figures` drawn elsewhere meanwhile (by a
    :class:`~gardencity.reports.worker.FigureWorker`), ``layer_maps`` the layer maps of
    :func:`layer_map_plans` likewise; without them they are drawn here."""
    if not isinstance(scorecard, Scorecard):
        scorecard = Scorecard.model_validate(scorecard)
    labels = load_labels(lang)
    template = report_template()  # compiled (once a process) while the figures are drawn
    maps = (
        layer_maps()
        if layer_maps is not None
        else draw_layer_maps(layer_map_plans(zones, diagnostics, lang))
    )
    choropleths, charts = (
        drawn() if drawn is not None else district_figures(scorecard, districts_of(zones), lang)
    )
    html = template.render(
        sc=scorecard,
        L=labels,
        lang=lang,
        status_css=_status_css(),
        theme={key: term.style.fill for key, term in vocabulary().theme.items() if term.style},
        status_label=vocabulary().labels("statuses", lang),
        confidence_label=vocabulary().labels("confidences", lang),
        maps=maps + choropleths,
        charts=charts,
        districts=scorecard.districts,
        district_names={str(d.id): d.label(lang) for d in scorecard.districts},
        zone_rows=[
            {"id": "built_up_area", "name": labels["built_up_area"]},
            *({"id": str(d.id), "name": d.label(lang)} for d in scorecard.districts),
        ],
        show_attribution=scorecard.from_openstreetmap,
        scenario=scenario,
    )
    path = Path(out_path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
