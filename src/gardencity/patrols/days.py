"""Days of the city's calendar, as the patrols count them: a day begins at midnight in the
city's time zone, a week on Monday."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gardencity.vocabulary.dates import in_zone

__all__ = ["DEFAULT_ZONE", "city_day", "day_start", "local_today", "period_days", "week_start"]
DEFAULT_ZONE = "Asia/Shanghai"


def local_today(now: datetime, zone: str) -> date:
    return in_zone(now, zone).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def day_start(day: date, zone: str) -> datetime:
    """The moment (UTC) ``day`` begins in the time zone ``zone``."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def city_day(value: date | datetime, zone: str, *, end: bool) -> date:
    """The day of the city a period's bound falls on: its first day (``end`` false) or its
    last one (``end`` true: the bound itself is excluded, a date or a moment)."""
    if isinstance(value, datetime):
        moment = in_zone(value, zone)
        return (moment - timedelta(microseconds=1)).date() if end else moment.date()
    return value - timedelta(days=1) if end else value


def period_days(start: date | datetime, end: date | datetime, zone: str) -> tuple[date, date]:
    """The first and last day of the city in ``[start, end)``."""
    return city_day(start, zone, end=False), city_day(end, zone, end=True)
