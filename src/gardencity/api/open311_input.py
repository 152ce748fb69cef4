"""What Open311 clients send: a new service request, and the request list's query.

Both are checked completely before anything is done, and every problem is named at once in
the message of an :class:`~gardencity.errors.InvalidRequestError` (which the Open311 routes
answer as a 400 in Open311's error shape): coordinates must be finite and on Earth,
paging must stay within what the list can hold, and a date span is at most 90 days, as
the GeoReport v2 specification says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field, ValidationError

from gardencity.errors import InvalidRequestError
from gardencity.messages import Catalogue, Listing, Message
from gardencity.text import CleanInput

__all__ = [
    "MAX_PAGE",
    "MAX_SPAN",
    "ListQuery",
    "Open311RequestIn",
    "list_query",
    "parse_new_request",
]
MESSAGES = Catalogue(__package__)

MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_PAGE = 10_000


class Open311RequestIn(CleanInput, allow_inf_nan=False, extra="ignore"):
    """POST requests.{fmt} (GeoReport v2 names; unknown fields are ignored, as clients send
    extras such as ``attribute[…]`` or ``device_id``)."""

    api_key: str = Field(default="", max_length=200)
    service_code: str = Field(default="", max_length=64)
    lat: float = Field(ge=-90, le=90, description="WGS 84 latitude")
    long: float = Field(ge=-180, le=180, description="WGS 84 longitude")
    description: str = Field(default="", max_length=5000)
    address_string: str = Field(default="", max_length=300)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)


def _problems(exc: ValidationError) -> Message:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        detail = error.get("msg")
        if where in {"lat", "long"} and error.get("type") in {"missing", "float_parsing"}:
            parts.append(_problem("coordinates_required", field=where))
        elif where in {"lat", "long"}:
            span = "−90…90" if where == "lat" else "−180…180"
            parts.append(_problem("coordinate_range", field=where, range=span, detail=detail))
        else:  # pydantic's own words (English) about a field
            parts.append(_problem("field_problem", field=where, detail=detail))
    return MESSAGES.message("open311_invalid_request", problems=_listed(parts))


def _listed(problems: list[Message]) -> Listing:
    return Listing(tuple(problems), ("；", "; "))


def _problem(key: str, **params: object) -> Message:
    return MESSAGES.message(f"open311.{key}", **params)


def parse_new_request(fields: Mapping[str, str]) -> Open311RequestIn:
    """The checked new request; InvalidRequestError naming every problem."""
    try:
        return Open311RequestIn.model_validate(dict(fields))
    except ValidationError as exc:
        raise InvalidRequestError(_problems(exc)) from None


@dataclass(frozen=True)
class ListQuery:
    """The request list's query, checked: times are aware, the span at most 90 days."""

    ids: list[str] | None
    start: datetime | None
    end: datetime | None
    service_codes: list[str] | None
    statuses: set[str] | None
    page: int
    page_size: int
    extensions: bool


def _parse_time(value: str | None, name: str, problems: list[Message]) -> datetime | None:
    if not value:
        return None
    try:
        # a "+" left unencoded in a query string arrives as a space
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        problems.append(_problem("time_not_iso", field=name))
        return None
    if parsed.tzinfo is None:
        problems.append(_problem("time_no_offset", field=name))
        return None
    return parsed


def _whole(
    value: str | None, name: str, default: int, low: int, high: int, problems: list[Message]
) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        problems.append(_problem("not_whole", field=name))
        return default
    if not low <= number <= high:
        problems.append(_problem("out_of_range", field=name, low=low, high=high))
        return default
    return number


def list_query(params: Mapping[str, str], now: datetime) -> ListQuery:
    """The checked query of GET requests.{fmt}. Without dates: the last 90 days; with one
    date, 90 days from or up to it; a longer span is refused."""
    problems: list[Message] = []
    raw_ids = params.get("service_request_id")
    ids = [i.strip() for i in raw_ids.split(",") if i.strip()][:1000] if raw_ids else None
    start = _parse_time(params.get("start_date"), "start_date", problems)
    end = _parse_time(params.get("end_date"), "end_date", problems)
    if start is not None and end is not None:
        if end < start:
            problems.append(_problem("end_before_start"))
        elif end - start > MAX_SPAN:
            problems.append(_problem("span_too_long"))
    elif start is not None:
        end = start + MAX_SPAN
    elif end is not None:
        start = end - MAX_SPAN
    elif not ids:
        start = now - MAX_SPAN
    statuses = None
    if params.get("status"):
        statuses = {s.strip() for s in params["status"].split(",") if s.strip()}
        if not statuses <= {"open", "closed"}:
            problems.append(_problem("bad_status"))
    codes = params.get("service_code")
    page = _whole(params.get("page"), "page", 1, 1, MAX_PAGE, problems)
    size = _whole(params.get("page_size"), "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE, problems)
    if problems:
        raise InvalidRequestError(
            MESSAGES.message("open311_invalid_query", problems=_listed(problems))
        )
    return ListQuery(
        ids=ids,
        start=start,
        end=end,
        service_codes=[c.strip() for c in codes.split(",")] if codes else None,
        statuses=statuses,
        page=page,
        page_size=size,
        extensions=params.get("extensions", "").lower() == "true",
    )
