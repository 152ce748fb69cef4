"""Dates and times as Chinese offices write them (2026年5月1日, 2026年5月1日 08:30).

Callers convert to the city's time zone first; these functions only write.

>>> chinese_date("2026-05-01T08:00:00+00:00"), chinese_date(date(2026, 12, 31))
('2026年5月1日', '2026年12月31日')
>>> chinese_datetime(datetime(2026, 5, 7, 9, 5))
'2026年5月7日 09:05'
>>> period_text(date(2026, 11, 30), date(2026, 12, 7), "zh")
'2026年11月30日至12月6日'
>>> period_text(date(2026, 12, 1), date(2027, 1, 1), "en")
'December 2026'
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

__all__ = ["chinese_date", "chinese_datetime", "english_date", "period_text"]


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
