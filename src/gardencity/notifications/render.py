"""What a message says: a payload (a snapshot taken when the event happened) becomes a
:class:`Message` — title, fields, paragraph, link — and each channel lays that out in its
platform's format (:func:`markdown`, :func:`plain_text`, :func:`html`).

Staff messages name the case's reference, category, place, unit, deadline and a link to the
case page. A resident's message is plain words about *their* report, with a link to follow
it and a way to stop messages; no staff message carries a resident's name, phone or e-mail.

Examples
--------
>>> from datetime import datetime, UTC
>>> from zoneinfo import ZoneInfo
>>> when = datetime(2026, 5, 7, 1, 0, tzinfo=UTC)
>>> local_time(when, "zh", ZoneInfo("Asia/Shanghai")), local_time(when, "en", ZoneInfo("UTC"))
('2026年5月7日 09:00', '7 May 2026, 01:00')
>>> safe("[click](http://x) *bold* <font>")
'［click］（http://x） ＊bold＊ ＜font＞'
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from gardencity.auth.unit_names import unit_label
from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.events import text
from gardencity.vocabulary.dates import chinese_date, english_date, local_date, local_time

__all__ = [
    "Message",
    "batch",
    "html",
    "local_time",
    "markdown",
    "photo_label",
    "place_text",
    "plain_text",
    "render",
    "safe",
    "unit_text",
]

_MD_SAFE = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "<": "＜",
        ">": "＞",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "|": "｜",
        "\n": " ",
        "\r": " ",
    }
)
SEVERITY = {
    "overdue": "danger",
    "escalated": "danger",
    "sent_back": "warning",
    "due_soon": "warning",
}


def safe(value: object) -> str:
    """``value`` with the characters that markdown would act on made harmless."""
    return str(value).translate(_MD_SAFE)


def unit_text(data: dict[str, Any], key: str, lang: str, missing: str = "—") -> str:
    """The unit name ``data[key]`` in ``lang`` (its English name ``data[key + "_en"]``, else
    the Chinese name romanised); ``missing`` when there is none."""
    name = data.get(key)
    if not name:
        return missing
    return unit_label(str(name), data.get(f"{key}_en"), lang)


def place_text(place: dict[str, Any] | None, lang: str) -> str:
    """Where a case is, in words: its address, else its grid cell, else its coordinates.

    >>> place_text({"address": None, "grid_code": "0101010009", "lonlat": "34.3, 117.0"}, "en")
    'grid cell 0101010009'
    """
    place = place or {}
    if place.get("address"):
        return str(place["address"])
    if place.get("grid_code"):
        return f"{text('field.grid', lang)} {place['grid_code']}"
    return str(place.get("lonlat") or text("field.unknown_place", lang))


@dataclass
class Message:
    """A message before it takes a platform's format."""

    event: str
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    paragraph: str = ""
    lines: list[str] = field(default_factory=list)
    link: str | None = None
    link_label: str = ""
    photos: list[tuple[str, str]] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    reference: str | None = None
    items: list[Message] = field(default_factory=list)
    lang: str = "zh"

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.event, "info")

    @property
    def colon(self) -> str:
        """What joins a label and its value in the message's language (“：” or “: ”)."""
        return text("punctuation.colon", self.lang)


def render(
    payload: dict[str, Any], lang: str, config: NotificationConfig, *, resident: bool = False
) -> Message:
    """The message ``payload`` stands for, in ``lang``."""
    return replace(_compose(payload, lang, config, resident=resident), lang=lang)


def _compose(
    payload: dict[str, Any], lang: str, config: NotificationConfig, *, resident: bool
) -> Message:
    event = str(payload["event"])
    if resident:
        return _resident(payload, lang, config)
    if event == "digest":
        return _digest(payload, lang, config)
    if event == "flags_computed":
        return _flags(payload, lang, config)
    if event == "patrol_gap":
        return _patrol_gap(payload, lang, config)
    if event == "test":
        return Message("test", text("title.test", lang), paragraph=text("test.body", lang))
    return _case_message(payload, lang, config)


def _case_message(payload: dict[str, Any], lang: str, config: NotificationConfig) -> Message:
    event = str(payload["event"])
    case = payload.get("case", {})
    zone = config.zone
    fields = [
        (text("field.reference", lang), str(case.get("reference", ""))),
        (text("field.category", lang), str(case.get(f"category_{lang}", case.get("category")))),
        (text("field.place", lang), place_text(case.get("place"), lang)),
        (text("field.unit", lang), unit_text(case, "unit_name", lang)),
        (
            text("field.deadline", lang),
            local_time(case.get("deadline_at"), lang, zone) or text("field.no_deadline", lang),
        ),
    ]
    extra = payload.get("detail", {})
    if extra.get("hours_overdue") is not None:
        hours = f"{extra['hours_overdue']:g} {text('field.hours', lang)}"
        fields.append((text("field.overdue_by", lang), hours))
    if extra.get("hours_left") is not None:
        hours = f"{extra['hours_left']:g} {text('field.hours', lang)}"
        fields.append((text("field.due_in", lang), hours))
    if extra.get("level"):
        level = text("field.level_n", lang).format(level=extra["level"])
        fields.append((text("field.level", lang), level))
    if extra.get("escalated_to"):
        fields.append((text("field.escalated_to", lang), unit_text(extra, "escalated_to", lang)))
    if payload.get("reason"):
        fields.append((text("field.reason", lang), str(payload["reason"])))
    path = f"cases/{case['id']}" if case.get("id") else None
    return Message(
        event,
        text(f"title.{event}", lang),
        fields,
        link=config.link(path) if path else None,
        link_label=text("field.open_case", lang),
        reference=str(case.get("reference", "")) or None,
    )


def _resident(payload: dict[str, Any], lang: str, config: NotificationConfig) -> Message:
    event = str(payload["event"])
    case = payload.get("case", {})
    reference = str(case.get("reference", ""))
    date = local_time(case.get("created_at"), lang, config.zone).split(" ")[0]
    if lang == "en":
        date = local_time(case.get("created_at"), lang, config.zone).rsplit(",", 1)[0]
    paragraph = text(f"resident.{event}", lang).format(
        date=date, category=case.get(f"category_{lang}", ""), reference=reference
    )
    follow = config.link(f"public?ref={reference}")
    stop = config.link(f"n/stop/{payload['stop_token']}") if payload.get("stop_token") else None
    footer = [
        text("resident.follow", lang).format(url=follow)
        if follow
        else text("resident.follow_offline", lang).format(reference=reference),
        text("resident.stop", lang).format(url=stop)
        if stop
        else text("resident.stop_offline", lang),
    ]
    return Message(
        event,
        text("resident.subject", lang).format(reference=reference),
        paragraph=paragraph,
        footer=footer,
        link=follow,
        reference=reference,
    )


def _digest(payload: dict[str, Any], lang: str, config: NotificationConfig) -> Message:
    digest = payload["digest"]
    summary = text("digest.summary", lang).format(
        open=digest["open"], overdue=digest["overdue"], new=digest["new"]
    )
    english = digest.get("units_en") or [None] * len(digest.get("units", []))
    shown = [
        unit_label(n, en, lang) for n, en in zip(digest.get("units", []), english, strict=True)
    ]
    points = "、".join(shown) if lang == "zh" else ", ".join(shown)
    lines = []
    photos = []
    for item in digest.get("worst", []):
        late = f"{item['hours_overdue']:g} {text('field.hours', lang)}"
        unit = unit_text(item, "unit_name", lang)
        category = item.get(f"category_{lang}", "")
        lines.append(
            f"{item['reference']} {category} · {unit} · {text('field.overdue_by', lang)} {late}"
        )
        for n, photo in enumerate(item.get("photos", []), start=1):
            url = config.link(f"api/v1/attachments/{photo['id']}") or ""
            photos.append((photo_label(item["reference"], n, lang), url))
    return Message(
        "digest",
        text("title.digest", lang),
        [(text("digest.contact_points", lang), points or "—")],
        paragraph=summary if digest["open"] else text("digest.none", lang),
        lines=lines,
        photos=photos,
        link=config.link("cases?overdue=true"),
        link_label=text("field.open_page", lang),
    )


def _day(iso: str, lang: str) -> str:
    day = date.fromisoformat(iso)
    return english_date(day) if lang == "en" else chinese_date(day)


def _joined(codes: list[str], lang: str, most: int = 10) -> str:
    shown = ("、" if lang == "zh" else ", ").join(codes[:most])
    return shown + ("…" if len(codes) > most else "")


def _patrol_gap(payload: dict[str, Any], lang: str, config: NotificationConfig) -> Message:
    """A zone a team did not patrol this week (sent to the team's leader from the cockpit)."""
    gap = payload["patrol_gap"]
    since, until = _day(gap["since"], lang), _day(gap["end_date"], lang)
    count = text("patrol_gap.count", lang).format(missing=len(gap["missing"]), cells=gap["cells"])
    codes = _joined(gap["missing"], lang)
    return Message(
        "patrol_gap",
        text("title.patrol_gap", lang),
        [
            (text("patrol_gap.team", lang), str(gap["team_name"])),
            (
                text("patrol_gap.zone", lang),
                str(gap["zone_name"] or _joined(gap["grid_codes"], lang)),
            ),
            (text("patrol_gap.period", lang), f"{since} – {until}"),
            (
                text("patrol_gap.missing", lang),
                f"{count}{text('punctuation.colon', lang)}{codes}",
            ),
        ],
        paragraph=text("patrol_gap.paragraph", lang).format(since=since),
        link=config.link("cockpit#patrol-gaps"),
        link_label=text("patrol_gap.see", lang),
    )


def photo_label(reference: str, n: int, lang: str) -> str:
    """How the ``n``-th photo of case ``reference`` is named in a digest."""
    return f"{reference} {text('digest.photo_n', lang).format(n=n)}"


def _flags(payload: dict[str, Any], lang: str, config: NotificationConfig) -> Message:
    flags = payload["flags"]
    zone = config.zone
    last_moment = datetime.fromisoformat(flags["end"]) - timedelta(microseconds=1)  # end excluded
    period = text("flags.period", lang).format(
        start=local_date(flags["start"], lang, zone), end=local_date(last_moment, lang, zone)
    )
    lines = []
    for row in flags["units"]:
        if row.get("rank") is None:
            lines.append(
                text("flags.unranked", lang).format(
                    unit=unit_text(row, "name", lang), min_cases=flags["min_cases"]
                )
            )
            continue
        flag = text(f"flags.{row['flag']}", lang) if row.get("flag") else ""
        lines.append(
            text("flags.line", lang).format(
                unit=unit_text(row, "name", lang),
                score=f"{row['score']:.1f}",
                rank=row["rank"],
                total=flags["ranked"],
                flag=flag,
            )
        )
    return Message(
        "flags_computed",
        text("title.flags_computed", lang),
        paragraph=period,
        lines=lines,
        link=config.link("rankings"),
        link_label=text("flags.see", lang),
    )


def batch(messages: list[Message], lang: str) -> Message:
    """Several messages to the same destination as one (newest last)."""
    if len(messages) == 1:
        return messages[0]
    title = f"{len(messages)} {text('title.batch', lang)}"
    worst = next((m for m in messages if m.severity == "danger"), messages[0])
    return Message(worst.event, title, items=messages, lang=lang)


def _field_lines(message: Message, quote: str = "") -> list[str]:
    return [f"{quote}**{label}**{message.colon}{safe(value)}" for label, value in message.fields]


def markdown(message: Message, *, heading: str = "**{}**") -> str:
    """The message as markdown (the subset WeCom, DingTalk and Feishu cards all render)."""
    if message.items:
        parts = [heading.format(safe(message.title))]
        for item in message.items:
            summary = " · ".join(safe(v) for _, v in item.fields[:4])
            link = f" [{item.link_label}]({item.link})" if item.link else ""
            parts.append(f"- {safe(item.title)}{message.colon}{summary}{link}")
        return "\n".join(parts)
    parts = [heading.format(safe(message.title))]
    if message.paragraph:
        parts.append(safe(message.paragraph))
    parts.extend(_field_lines(message, "> "))
    parts.extend(f"- {safe(line)}" for line in message.lines)
    parts.extend(f"[{safe(label)}]({url})" for label, url in message.photos if url)
    if message.link:
        parts.append(f"[{message.link_label or message.link}]({message.link})")
    parts.extend(safe(line) for line in message.footer)
    return "\n".join(parts)


def plain_text(message: Message) -> str:
    """The message as plain text (e-mail text part, SMS-free channels, webhook text)."""
    if message.items:
        lines = [message.title]
        for item in message.items:
            summary = " · ".join(v for _, v in item.fields[:4])
            link = f" {item.link}" if item.link else ""
            lines.append(f"- {item.title}{message.colon}{summary}{link}")
        return "\n".join(lines)
    lines = [message.title]
    if message.paragraph:
        lines.append(message.paragraph)
    colon = message.colon
    lines.extend(f"{label}{colon}{value}" for label, value in message.fields)
    lines.extend(f"- {line}" for line in message.lines)
    lines.extend(f"{label}{colon}{url}" for label, url in message.photos if url)
    if message.link:
        lines.append(
            f"{message.link_label}{colon}{message.link}" if message.link_label else message.link
        )
    lines.extend(message.footer)
    return "\n".join(lines)


def html(message: Message, images: dict[str, str] | None = None) -> str:
    """The message as a small HTML document (e-mail); ``images`` maps a photo label to the
    ``cid:`` of an inline image."""
    e = html_lib.escape
    if message.items:
        rows = "".join(
            f"<li>{e(i.title)}{e(message.colon)}{e(' · '.join(v for _, v in i.fields[:4]))}"
            + (f' <a href="{e(i.link)}">{e(i.link_label)}</a>' if i.link else "")
            + "</li>"
            for i in message.items
        )
        body = f"<ul>{rows}</ul>"
    else:
        body = f"<p>{e(message.paragraph)}</p>" if message.paragraph else ""
        if message.fields:
            cells = "".join(
                f'<tr><th style="text-align:left;padding-right:1em">{e(k)}</th><td>{e(v)}</td></tr>'
                for k, v in message.fields
            )
            body += f"<table>{cells}</table>"
        if message.lines:
            body += "<ul>" + "".join(f"<li>{e(line)}</li>" for line in message.lines) + "</ul>"
        for label, url in message.photos:
            cid = (images or {}).get(label)
            if cid:
                body += (
                    f'<p>{e(label)}<br><img src="cid:{e(cid)}" alt="{e(label)}" width="320"></p>'
                )
            elif url:
                body += f'<p><a href="{e(url)}">{e(label)}</a></p>'
        if message.link:
            body += (
                f'<p><a href="{e(message.link)}">{e(message.link_label or message.link)}</a></p>'
            )
        body += "".join(f"<p>{e(line)}</p>" for line in message.footer)
    return (
        f'<!doctype html><html><body style="font-family:sans-serif">'
        f"<h2>{e(message.title)}</h2>{body}</body></html>"
    )
