"""Field-check sheets for a rehearsal, and every failed check turned into a campaign case.

The sheet is a table the inspectors fill in on site (one row per drawn site: ``passed`` yes/no,
a problem ``category`` from the campaign configuration, a ``note``); the filled sheet comes
back and each failed row becomes a case with source ``self_check`` (our own rehearsal) or
``expert`` (the experts' feedback), routed like any other case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from gardencity.auth.models import User
from gardencity.campaign import service
from gardencity.campaign.context import ServiceContext
from gardencity.campaign.models import Case
from gardencity.campaign.schemas import CaseIn
from gardencity.errors import DataError
from gardencity.messages import Catalogue, Listing, Message
from gardencity.vocabulary import vocabulary

MESSAGES = Catalogue(__package__)

__all__ = [
    "FieldCheck",
    "field_check_sheet",
    "file_failed_checks",
    "open_case_locations",
    "read_field_check_sheet",
]

SITE_KINDS = ("park", "road", "compound", "unit", "other")
SHEET_COLUMNS = ("site_id", "kind", "name", "lon", "lat", "passed", "category", "note")
CheckSource = Literal["self_check", "expert"]
# the kinds as the sheet writes them: their codes, with their names in Chinese
_KIND_CODES = [
    Message.literal(f"{k}（{vocabulary().label('site_kinds', k, 'zh')}）", k) for k in SITE_KINDS
]
_TRUE = {"true", "1", "yes", "y", "是", "合格", "通过", "pass"}
_FALSE = {"false", "0", "no", "n", "否", "不合格", "未通过", "fail"}


@dataclass(frozen=True)
class FieldCheck:
    """One checked site: where, what, and whether it passed."""

    site_id: str
    kind: str
    name: str
    lon: float
    lat: float
    passed: bool
    category: str = "other"
    note: str = ""


def field_check_sheet(sample: gpd.GeoDataFrame) -> pd.DataFrame:
    """The blank sheet for the drawn sites: WGS 84 positions of a point on each site.

    ``sample`` needs ``site_id``, ``kind`` and ``name`` columns (as from
    :func:`gardencity.inspection.sites.candidate_sites` and ``sample_sites``).
    """
    missing = [c for c in ("site_id", "kind", "name") if c not in sample]
    if missing:
        raise DataError(MESSAGES.message("drawn_sites_lack_columns", missing=missing))
    if sample.crs is None:
        raise DataError(MESSAGES.message("drawn_sites_no_crs"))
    points = gpd.GeoSeries(sample.geometry.representative_point(), crs=sample.crs).to_crs(4326)
    return pd.DataFrame(
        {
            "site_id": sample["site_id"].astype(str).to_numpy(),
            "kind": sample["kind"].astype(str).to_numpy(),
            "name": sample["name"].fillna("").astype(str).to_numpy(),
            "lon": points.x.round(7).to_numpy(),
            "lat": points.y.round(7).to_numpy(),
            "passed": "",
            "category": "",
            "note": "",
        },
        columns=list(SHEET_COLUMNS),
    )


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def read_field_check_sheet(sheet: pd.DataFrame) -> list[FieldCheck]:
    """The filled sheet as checks; every problem of every row is reported at once."""
    missing = [c for c in SHEET_COLUMNS if c not in sheet]
    if missing:
        raise DataError(MESSAGES.message("check_sheet_lacks_columns", missing=missing))
    problems: list[Message] = []
    checks: list[FieldCheck] = []
    for number, row in enumerate(sheet.to_dict("records"), start=2):
        passed = _as_bool(row["passed"])
        kind = str(row["kind"])
        category = "" if pd.isna(row["category"]) else str(row["category"]).strip()
        if passed is None:
            problems.append(MESSAGES.message("sheet_row_passed", row=number, value=row["passed"]))
        if kind not in SITE_KINDS:
            problems.append(
                MESSAGES.message("sheet_row_kind", row=number, kind=kind, known=_KIND_CODES)
            )
        if passed is False and not category:
            problems.append(MESSAGES.message("sheet_row_category", row=number))
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
        except (TypeError, ValueError):
            problems.append(MESSAGES.message("sheet_row_lonlat", row=number))
            continue
        if passed is None or kind not in SITE_KINDS:
            continue
        checks.append(
            FieldCheck(
                site_id=str(row["site_id"]),
                kind=kind,
                name="" if pd.isna(row["name"]) else str(row["name"]),
                lon=lon,
                lat=lat,
                passed=passed,
                category=category or "other",
                note="" if pd.isna(row["note"]) else str(row["note"]),
            )
        )
    if problems:
        listing = Listing(tuple(problems), ("\n", "\n"))
        raise DataError(MESSAGES.message("check_sheet_problems", problems=listing))
    return checks


def file_failed_checks(
    session: Session,
    ctx: ServiceContext,
    actor: User,
    checks: list[FieldCheck],
    *,
    source: CheckSource = "self_check",
) -> list[Case]:
    """One case per failed check (passed checks file nothing), in the order given."""
    if source not in ("self_check", "expert"):
        raise DataError(MESSAGES.message("check_source_unknown", source=source))
    label = vocabulary().label("case_sources", source, "zh") if source == "expert" else "模拟抽查"
    cases = []
    for check in checks:
        if check.passed:
            continue
        title = f"{label}未通过：{check.name or check.site_id}"
        data = CaseIn(
            category=check.category,
            title=title[:200],
            description=check.note,
            source=source,
            lon=check.lon,
            lat=check.lat,
            site_kind=cast(Literal["park", "road", "compound", "unit", "other"], check.kind),
            site_ref=check.site_id[:200],
        )
        cases.append(service.file_case(session, ctx, actor, data))
    return cases


def open_case_locations(session: Session) -> gpd.GeoDataFrame:
    """Every case not closed or discarded: ``reference``, ``site_ref``, ``status`` and its
    point (WGS 84), for keeping inspection routes away from unresolved problems."""
    from sqlalchemy import select

    from gardencity.campaign.states import CaseStatus

    done = [CaseStatus.CLOSED, CaseStatus.DISCARDED]
    rows = session.execute(
        select(Case.reference, Case.site_ref, Case.status, Case.lon, Case.lat).where(
            Case.status.not_in(done)
        )
    ).all()
    return gpd.GeoDataFrame(
        {
            "reference": [r.reference for r in rows],
            "site_ref": [r.site_ref for r in rows],
            "status": [str(r.status) for r in rows],
        },
        geometry=gpd.points_from_xy([r.lon for r in rows], [r.lat for r in rows]),
        crs=4326,
    )
