"""Dates and times as Chinese offices write them (2026年5月1日, 2026年5月1日 08:30).

Callers convert to the city's time zone first; these functions only write.

>>> chinese_date("2026-05-01T08:00:00+00:00"), chinese_date(date(2026, 12, 31))
('2026年5月1日', '2026年12月31日')
>>> chinese_datetime(datetime(2026, 5, 7, 9, 5))
'2026年5月7日 09:05'
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["chinese_date", "chinese_datetime"]


def chinese_date(value: str | date) -> str:
    """A day (a date, a datetime, or an ISO string) as ``2026年5月1日``."""
    day = value if isinstance(value, date) else datetime.fromisoformat(str(value)[:10]).date()
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_datetime(value: datetime) -> str:
    """A moment as ``2026年5月1日 08:30``."""
    return f"{chinese_date(value)} {value:%H:%M}"
