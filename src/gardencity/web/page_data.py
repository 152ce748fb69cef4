"""What the pages are given besides their template: the city's words for case states,
categories, target metrics and standard items, the base map, and the public map's outline,
each in the page's language."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from fastapi import Request

from gardencity.api.lang import request_lang
from gardencity.campaign.context import ServiceContext
from gardencity.db.engine import Database
from gardencity.errors import GardenCityError
from gardencity.settings import Settings
from gardencity.standards import load_standard
from gardencity.vocabulary import vocabulary
from gardencity.web.basemap import BASEMAP_URL, read_basemap

__all__ = [
    "base_map",
    "case_statuses",
    "case_words",
    "categories",
    "city_outline",
    "metric_labels",
]


def base_map(settings: Settings) -> dict[str, Any]:
    """The maps' base: the configured tile server (e.g. 天地图 with the city's key), else the
    city's offline MBTiles served by the app, else none (vector layers only)."""
    if settings.tile_url:
        return {"tile_url": settings.tile_url, "tile_attribution": settings.tile_attribution}
    if settings.basemap_mbtiles is not None:
        basemap = read_basemap(Path(settings.basemap_mbtiles))
        attribution = settings.tile_attribution or basemap.attribution
        return {"tile_url": BASEMAP_URL, "tile_attribution": attribution}
    return {"tile_url": None, "tile_attribution": ""}


def case_statuses(request: Request, lang: str) -> dict[str, str]:
    """The cases' states in the city's words (its campaign configuration)."""
    ctx: ServiceContext = request.app.state.ctx
    labels = ctx.config.status_labels
    return {
        code: label.name_zh if lang == "zh" else label.name_en for code, label in labels.items()
    }


def metric_labels(ctx: ServiceContext, lang: str) -> dict[str, str]:
    """The campaign's target metrics with their units, in ``lang``: 新增绿地面积（公顷）."""
    words = vocabulary()
    return {
        m.code: (
            f"{m.name_zh}（{words.label('units', m.unit, 'zh')}）"
            if lang == "zh"
            else f"{m.name_en} ({words.label('units', m.unit, 'en') or m.unit})"
        )
        for m in ctx.config.target_metrics.values()
    }


def city_outline(request: Request) -> dict[str, Any]:
    """The city unit's outline and bounds (WGS 84) for the public map; nothing personal."""
    import shapely
    from sqlalchemy import select

    from gardencity.auth.models import Unit

    db: Database = request.app.state.db
    with db.session() as session:
        area = session.scalar(select(Unit.area).where(Unit.kind == "city").limit(1))
    if area is None or area.is_empty:
        return {}
    minx, miny, maxx, maxy = area.bounds
    simple = shapely.simplify(area, 0.0002)
    return {
        "bounds": [[miny, minx], [maxy, maxx]],
        "centre": [(miny + maxy) / 2, (minx + maxx) / 2],
        "outline": json.loads(shapely.to_geojson(simple)),
    }


def case_words(ctx: ServiceContext, request: Request) -> dict[str, Any]:
    """What a case's title is made of when the platform filed it: its category and the item
    of the standard it is about (a missing ledger document), in the page's language."""
    settings: Settings = request.app.state.settings
    names = _item_names(settings.standard)
    pick = 0 if request_lang(request) == "zh" else 1
    return {
        "categories": categories(ctx, request),
        "item_names": {item: pair[pick] for item, pair in names.items()},
    }


@functools.lru_cache(maxsize=8)
def _item_names(standard: str) -> dict[str, tuple[str, str]]:
    try:
        items = load_standard(standard).indicators
    except GardenCityError:  # the assessment pages report a broken catalogue themselves
        return {}
    return {i.id: (i.name_zh, i.name_en or i.name_zh) for i in items}


def categories(ctx: ServiceContext, request: Request) -> list[dict[str, Any]]:
    lang = request_lang(request)
    return [
        {
            "code": c.code,
            "name": c.name_zh if lang == "zh" else c.name_en,
            "name_zh": c.name_zh,  # a case's title when it was filed without one
            "public": c.public,
        }
        for c in ctx.config.categories.values()
    ]
