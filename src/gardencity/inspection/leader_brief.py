"""领导简报: the campaign in plain words for a leader, on one screen and one printed page.

Which items and districts fall short of the standard and by how much, in physical units
("鼓楼区人均公园绿地面积 4.59 m²/人，低于 5.5 m²/人，需新增公园绿地约 2.19 公顷"), who answers
for each district (its unit and 包挂 leaders) and how many cases are already open to fix it;
what to do first; which indicators cannot be judged and why (an unknown is said to be
unknown); and the cases and targets in figures. :func:`compose_brief` is a pure function of
the latest scorecard and the campaign's figures; :func:`leader_brief` gathers them.

The sentences are data, in both languages: ``inspection/data/leader_brief.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gardencity.assessment.scorecard import IndicatorCard, Scorecard, Status
from gardencity.auth.models import LeaderAssignment, Unit, User
from gardencity.auth.unit_names import unit_label
from gardencity.campaign.context import ServiceContext
from gardencity.errors import StandardError
from gardencity.inspection.campaign_summary import campaign_summary
from gardencity.messages import fill, load_yaml
from gardencity.standards import load_standard
from gardencity.vocabulary import vocabulary
from gardencity.vocabulary.dates import local_date

__all__ = ["Brief", "Responsibility", "Shortfall", "compose_brief", "leader_brief", "words"]

PASSING = {Status.PASS, Status.PASS_UNVERIFIED}
FAILING = {Status.FAIL, Status.FAIL_UNVERIFIED}
UNKNOWN = {Status.INSUFFICIENT_DATA, Status.NOT_ASSESSED, Status.ERROR}
FIRST_SHORTFALLS = 3
FIRST_DATA = 2


@cache
def _sentences() -> dict[str, dict[str, Any]]:
    text = files("gardencity.inspection").joinpath("data/leader_brief.yaml").read_text("utf-8")
    loaded: dict[str, dict[str, Any]] = load_yaml(text)
    return loaded


def say(template: str, /, **values: Any) -> str:
    """A sentence of the brief filled in (English nouns after counts in the number's form)."""
    return fill(template, values)


def words(lang: str) -> dict[str, Any]:
    """The brief's sentences in ``lang`` (zh or en)."""
    return _sentences()["en" if lang == "en" else "zh"]


@dataclass(frozen=True)
class Responsibility:
    """Who answers for a district: its unit and its 包挂 leaders (by district name)."""

    unit: str
    leaders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shortfall:
    """One indicator short of the standard: its line, and a line per district short of it."""

    indicator_id: str
    text: str
    districts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Brief:
    lang: str
    title: str
    basis: str
    headline: str
    shortfalls: list[Shortfall]
    first: list[str]
    unknown: list[str]
    campaign: list[str]


def _number(value: float) -> str:
    """Up to two decimals, no trailing zeros: 4.59, 5.5, 1,234."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _unit(unit: str, lang: str) -> str:
    label = vocabulary().label("units", unit, lang) if unit else ""
    return "" if not label else label if label == "%" else f" {label}"


@dataclass(frozen=True)
class _Line:
    where: str
    text: str
    severity: float
    gap_short: str
    who: str


class _Writer:
    """Writes the sentences of one brief (one language, one scorecard)."""

    def __init__(self, scorecard: Scorecard, lang: str) -> None:
        self.card, self.lang, self.w = scorecard, lang, words(lang)
        # a district's name as the brief writes it; its Chinese name keys who answers for it
        self.names = {d.id: d.label(lang) for d in scorecard.districts}
        self.keys = {d.id: d.name for d in scorecard.districts}
        try:
            standard = load_standard(scorecard.standard.id)
            self.what = {
                s.id: s.gap.what_zh if lang == "zh" else s.gap.what_en for s in standard.indicators
            }
        except (StandardError, OSError):  # a city's own catalogue no longer at hand
            self.what = {}

    def gap(self, item: IndicatorCard, amount: float | None) -> tuple[str, str]:
        """The gap clause ("，需新增公园绿地约 2.19 公顷") and its short form."""
        if item.gap is None or amount is None or amount <= 0:
            return "", ""
        unit = vocabulary().label("units", item.gap.unit, self.lang)
        shown = _number(amount)
        kind = "reduce_value" if item.direction == "lower_is_better" else "add_numerator"
        what = self.what.get(item.id, "")
        text = (
            vocabulary()
            .label("gap_kinds", kind, self.lang)
            .format(what=what, amount=shown, unit=unit)
        )
        text = text.replace("  ", " ")
        text = text if self.lang == "zh" else text[:1].lower() + text[1:]  # after "; "
        clause = f"{self.w['gap_lead']}{text}"
        short = say(self.w["gap_short"], amount=shown, gap_unit=unit)
        return clause, short

    def value_line(self, item: IndicatorCard, where: str, value: float | None) -> str:
        threshold = item.threshold.value if item.threshold else None
        if item.unit == "是/否" or value is None or threshold is None:
            return say(self.w["boolean_line"], where=where, name=item.name(self.lang))
        relation = self.w["above" if item.direction == "lower_is_better" else "below"]
        unit = _unit(item.unit, self.lang)
        return say(
            self.w["value_line"],
            where=where,
            name=item.name(self.lang),
            value=_number(value),
            unit=unit,
            relation=relation,
            threshold=_number(threshold),
        )

    def min_district_head(self, item: IndicatorCard, count: int) -> str:
        threshold = item.threshold.value if item.threshold and item.threshold.value else 0.0
        relation = self.w["above" if item.direction == "lower_is_better" else "below"]
        return say(
            self.w["min_district_head"],
            name=item.name(self.lang),
            count=count,
            relation=relation,
            threshold=_number(threshold),
            unit=_unit(item.unit, self.lang),
        )

    def name_in_sentence(self, item: IndicatorCard) -> str:
        """The indicator's name inside a sentence (English names lose their capital)."""
        name = item.name(self.lang)
        return name if self.lang == "zh" else name[:1].lower() + name[1:]

    def severity(self, item: IndicatorCard, value: float | None) -> float:
        threshold = item.threshold.value if item.threshold else None
        if value is None or not threshold or item.unit == "是/否":
            return 1.0
        short = value - threshold if item.direction == "lower_is_better" else threshold - value
        return max(short, 0.0) / abs(threshold)


def _who(w: Mapping[str, Any], who: Responsibility | None, open_cases: int) -> list[str]:
    parts = []
    if who is not None:
        parts.append(say(w["responsible"], unit=who.unit))
        if who.leaders:
            parts.append(say(w["leader"], leaders=w["list_sep"].join(who.leaders)))
    if open_cases:
        parts.append(say(w["open_cases"], count=open_cases))
    return parts


def _district_lines(
    writer: _Writer,
    item: IndicatorCard,
    responsible: Mapping[str, Responsibility],
    open_cases: Mapping[str, list[str]],
) -> list[_Line]:
    w, lines = writer.w, []
    failing = [z for z, s in item.district_status.items() if s in FAILING]
    for zone in failing:
        name, key = writer.names.get(zone, zone), writer.keys.get(zone, zone)
        value = item.by_district.get(zone)
        clause, short = writer.gap(item, (item.gap.by_district if item.gap else {}).get(zone))
        who = _who(w, responsible.get(key), len(open_cases.get(key, [])))
        text = writer.value_line(item, name, value) + clause
        text += (w["sep"] + w["sep"].join(who) if who else "") + w["end"]
        owner = w["list_sep"].join(who[:1])
        lines.append(_Line(name, text, writer.severity(item, value), short, owner))
    return sorted(lines, key=lambda line: -line.severity)


def _shortfalls(
    writer: _Writer,
    responsible: Mapping[str, Responsibility],
    by_indicator: Mapping[str, Mapping[str, list[str]]],
) -> tuple[list[Shortfall], list[tuple[_Line, str]]]:
    """Each failing indicator with its district lines, the furthest behind first; every
    line that can be acted on, with its indicator's name."""
    w, ranked, actionable = writer.w, [], []
    for item in writer.card.indicators:
        if item.status not in FAILING:
            continue
        cases = by_indicator.get(item.id, {})
        districts = _district_lines(writer, item, responsible, cases)
        if item.scope == "min_district" and districts:
            head = writer.min_district_head(item, len(districts))
        else:
            clause, short = writer.gap(item, item.gap.amount if item.gap else None)
            head = writer.value_line(item, w["city"], item.value) + clause
            opened = _who(w, None, len(cases.get("", [])))
            head += (w["sep"] + w["sep"].join(opened) if opened else "") + w["end"]
            if not districts:
                line = _Line(w["city"], head, writer.severity(item, item.value), short, "")
                districts_or_city = [line]
        lines = districts if districts else districts_or_city
        actionable += [(line, writer.name_in_sentence(item)) for line in lines]
        severity = max(line.severity for line in lines)
        ranked.append((severity, Shortfall(item.id, head, [d.text for d in districts])))
    ranked.sort(key=lambda pair: -pair[0])
    actionable.sort(key=lambda pair: -pair[0].severity)
    return [shortfall for _, shortfall in ranked], actionable


def _first_steps(
    writer: _Writer, actionable: list[tuple[_Line, str]], summary: Mapping[str, Any] | None
) -> list[str]:
    """What to do first: the largest gaps, the data that blocks a verdict, overdue cases,
    the least advanced target."""
    w, steps = writer.w, []
    for line, name in actionable[:FIRST_SHORTFALLS]:
        who = say(w["who"], who=line.who) if line.who else ""
        steps.append(
            say(
                w["first_shortfall"],
                where=w["city_in_sentence"] if line.where == w["city"] else line.where,
                name=name,
                gap_short=line.gap_short,
                who=who,
            )
        )
    for item in [i for i in writer.card.indicators if i.status in UNKNOWN][:FIRST_DATA]:
        why = item.note_in(writer.lang) or w["unknown_why"]
        steps.append(say(w["first_data"], name=writer.name_in_sentence(item), why=why))
    summary = summary or {}
    late = sorted(summary.get("by_unit") or [], key=lambda r: -int(r["overdue"]))
    if summary.get("overdue") and late and late[0]["overdue"]:
        steps.append(
            say(
                w["first_overdue"],
                count=summary["overdue"],
                unit=late[0]["name"],
                unit_count=late[0]["overdue"],
            )
        )
    behind = [t for t in summary.get("targets") or [] if t["completion_pct"] < 100]
    if behind:
        low = min(behind, key=lambda t: t["completion_pct"])
        steps.append(
            say(
                w["first_targets"],
                action=low["action"],
                unit=say(w["of_unit"], unit=low["district"]) if low["district"] else "",
                pct=_number(low["completion_pct"]),
            )
        )
    return steps


def _unknown(writer: _Writer) -> list[str]:
    w, colon = writer.w, "：" if writer.lang == "zh" else ": "
    return [
        f"{item.name(writer.lang)}{colon}{item.note_in(writer.lang) or w['unknown_why']}"
        for item in writer.card.indicators
        if item.status in UNKNOWN
    ]


def _campaign(w: Mapping[str, Any], summary: Mapping[str, Any] | None) -> list[str]:
    summary = summary or {}
    lines = []
    if summary.get("total"):
        known = summary.get("closure_rate")
        rate = w["no_rate"] if known is None else f"{known:.1f}%"
        lines.append(
            say(
                w["cases"],
                total=summary["total"],
                closed=summary["closed"],
                rate=rate,
                overdue=summary.get("overdue", 0),
            )
        )
    else:
        lines.append(w["no_cases"])
    targets = summary.get("targets") or []
    if targets:
        low = min(targets, key=lambda t: t["completion_pct"])
        lines.append(
            say(
                w["targets"],
                total=len(targets),
                done=sum(1 for t in targets if t["completion_pct"] >= 100),
                action=low["action"],
                unit=say(w["of_unit"], unit=low["district"]) if low["district"] else "",
                pct=_number(low["completion_pct"]),
            )
        )
    else:
        lines.append(w["no_targets"])
    return lines


def compose_brief(
    scorecard: Scorecard,
    *,
    lang: str = "zh",
    run_id: int | None = None,
    responsible: Mapping[str, Responsibility] | None = None,
    summary: Mapping[str, Any] | None = None,
    tz: str = "Asia/Shanghai",
) -> Brief:
    """The brief of ``scorecard`` in ``lang`` (dates in the time zone ``tz``).

    ``responsible`` maps a district's name to who answers for it; ``summary`` is the
    campaign's figures (:func:`gardencity.inspection.campaign_summary.campaign_summary`:
    ``total``, ``closed``, ``closure_rate``, ``overdue``, ``by_unit``, ``by_indicator``,
    ``targets``), or None where there is no campaign database.
    """
    writer = _Writer(scorecard, lang)
    w = writer.w
    statuses = [item.status for item in scorecard.indicators]
    counts = {
        "total": len(statuses),
        "passing": sum(s in PASSING for s in statuses),
        "failing": sum(s in FAILING for s in statuses),
        "unknown": sum(s in UNKNOWN for s in statuses),
    }
    counts["reference"] = (
        counts["total"] - counts["passing"] - counts["failing"] - counts["unknown"]
    )
    shortfalls, actionable = _shortfalls(
        writer, responsible or {}, (summary or {}).get("by_indicator") or {}
    )
    try:
        date = local_date(scorecard.generated_at, lang, tz)
    except ValueError:  # a scorecard without its time
        date = "—"
    standard = scorecard.standard.name_zh if lang == "zh" else scorecard.standard.name_en
    return Brief(
        lang=lang,
        title=w["title"],
        basis=say(
            w["basis"], run=run_id if run_id is not None else "—", date=date, standard=standard
        ),
        headline=say(w["headline"], **counts),
        shortfalls=shortfalls,
        first=_first_steps(writer, actionable, summary),
        unknown=_unknown(writer),
        campaign=_campaign(w, summary),
    )


def responsibilities(session: Session, lang: str = "zh") -> dict[str, Responsibility]:
    """Each district unit's (Chinese) name → the unit, named in ``lang``, and the leaders
    assigned (包挂) to it."""
    districts = session.scalars(select(Unit).where(Unit.kind == "district")).all()
    assigned = session.execute(
        select(LeaderAssignment.unit_id, User.display_name)
        .join(User, User.id == LeaderAssignment.user_id)
        .order_by(User.display_name)
    ).all()
    leaders: dict[int, list[str]] = {}
    for unit_id, name in assigned:
        leaders.setdefault(unit_id, []).append(name)
    return {
        u.name: Responsibility(unit_label(u.name, u.name_en, lang), tuple(leaders.get(u.id, [])))
        for u in districts
    }


def leader_brief(
    session: Session,
    ctx: ServiceContext,
    scorecard: Scorecard,
    *,
    lang: str,
    run_id: int | None,
    tz: str = "Asia/Shanghai",
) -> Brief:
    """The brief of the latest assessment with the campaign's cases, targets and people."""
    return compose_brief(
        scorecard,
        lang=lang,
        run_id=run_id,
        tz=tz,
        responsible=responsibilities(session, lang),
        summary=campaign_summary(session, ctx, lang),
    )
