"""Dates and times as Chinese offices write them (2026年5月1日, 2026年5月1日 08:30).

:func:`local_time` and :func:`local_date` write a moment in the city's time zone (a time
without a zone is UTC, as the server stores it); the others only write what they are given.

>>> chinese_date("2026-05-01T08:00:00+00:00"), chinese_date(date(2026, 12, 31))
('2026年5月1日', '2026年12月31日')
>>> chinese_datetime(datetime(2026, 5, 7, 9, 5))
'2026年5月7日 09:05'
>>> period_text(date(2026, 11, 30), date(2026, 12, 7), "zh")
'2026年11月30日至12月6日'
>>> period_text(date(2026, 12, 1), date(2027, 1, 1), "en")
'December 2026'
>>> local_time("2026-05-07T01:00:00", "zh", "Asia/Shanghai")
'2026年5月7日 09:00'
>>> local_date("2026-05-07T01:00", "en", "UTC")
'7 May 2026'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "chinese_date",
    "chinese_datetime",
    "english_date",
    "in_zone",
    "known_time_zone",
    "local_date",
    "local_time",
    "period_text",
]


def chinese_date(value: str | date) -> str:
    """A day (a date, a datetime, or an ISO string) as ``2026年5月1日``."""
    day = value if isinstance(value, date) else datetime.fromisoformat(str(value)[:10]).date()
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_datetime(value: datetime) -> str:
    """A moment as ``2026年5月1日 08:30``."""
    return f"{chinese_date(value)} {value:%H:%M}"


def english_date(value: date) -> str:
    """A day as ``3 December 2026``."""
    return f"{value.day} {value:%B %Y}"


def period_text(start: date, end: date, lang: str) -> str:
    """The days from ``start`` up to ``end`` (excluded) as a person says them: a whole
    calendar month by its name (``2026年12月``, ``December 2026``), other periods by their
    first and last day (``2026年11月30日至12月6日``, ``30 November – 6 December 2026``)."""
    last = end - timedelta(days=1)
    whole_month = (
        start.day == 1
        and (last + timedelta(days=1)).day == 1
        and (
            start.year,
            start.month,
        )
        == (last.year, last.month)
    )
    if lang == "zh":
        if whole_month:
            return f"{start.year}年{start.month}月"
        tail = chinese_date(last)
        return f"{chinese_date(start)}至{tail[5:] if last.year == start.year else tail}"
    if whole_month:
        return f"{start:%B %Y}"
    head = f"{start.day} {start:%B}" + ("" if last.year == start.year else f" {start.year}")
    return f"{head} – {english_date(last)}"


def in_zone(value: datetime | str, zone: ZoneInfo | str) -> datetime:
    """``value`` (a datetime or an ISO string) in the time zone ``zone``; a time without a
    zone is taken as UTC, as the server stores it (SQLite gives times back without one)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))


def local_time(value: datetime | str | None, lang: str, zone: ZoneInfo | str) -> str:
    """A Chinese (2026年5月7日 09:00) or English (7 May 2026, 09:00) date and time in the
    city's time zone; "" for no time."""
    if value is None:
        return ""
    local = in_zone(value, zone)
    return f"{local.day} {local:%b %Y, %H:%M}" if lang == "en" else chinese_datetime(local)


def local_date(value: datetime | str, lang: str, zone: ZoneInfo | str) -> str:
    """A Chinese (2026年5月7日) or English (7 May 2026) date in the city's time zone."""
    local = in_zone(value, zone)
    return f"{local.day} {local:%b %Y}" if lang == "en" else chinese_date(local)


def known_time_zone(name: str) -> str:
    """``name`` if it is an IANA time zone (for settings' validators); else ValueError with
    the fix."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone '{name}'. Fix: give an IANA name such as Asia/Shanghai"
        ) from exc
    return name
