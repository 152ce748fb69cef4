"""The filters of a case list, from the query string: one dependency shared by the list,
its GeoJSON and its exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from gardencity.api.deps import QueryId
from gardencity.campaign.schemas import CaseFilter, parse_bbox
from gardencity.errors import InvalidRequestError

__all__ = ["CaseFilters", "case_filters"]


async def case_filters(
    status: Annotated[list[str] | None, Query(description="filed, dispatched, …")] = None,
    unit_id: QueryId = None,
    category: str | None = None,
    source: str | None = None,
    overdue: bool | None = None,
    grid_code: str | None = None,
    action_code: Annotated[
        str | None, Query(max_length=64, description="campaign action, e.g. pocket_parks")
    ] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CaseFilter:
    """The case list's filters and page from the query string (a wrong bbox or filter is a
    400 that says what is wrong)."""
    box = parse_bbox(bbox)
    try:
        return CaseFilter(
            status=status,
            unit_id=unit_id,
            category=category,
            source=source,
            overdue=overdue,
            grid_code=grid_code,
            action_code=action_code,
            bbox=box,
            q=q,
            page=page,
            per_page=per_page,
        )
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from exc


CaseFilters = Annotated[CaseFilter, Depends(case_filters)]
