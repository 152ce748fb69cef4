"""``gardencity standards …``: the bundled standards catalogues."""

from __future__ import annotations

import click
from rich.table import Table

from gardencity.cli.common import console, lang_option, reports_errors, say
from gardencity.standards.schema import Threshold

__all__ = ["standards"]


@click.group()
def standards() -> None:
    """The bundled standards catalogues."""


@standards.command("list")
@lang_option
@reports_errors
def standards_list(lang: str) -> None:
    """List the bundled editions."""
    from gardencity.standards import list_standards

    table = Table()
    table.add_column("id", overflow="fold")
    for column in ("col_name", "col_version", "col_indicators"):
        table.add_column(say(column, lang), overflow="fold")
    for std in list_standards():
        name = std.name_zh if lang == "zh" else std.name_en
        table.add_row(std.id, name, std.catalogue_version, str(len(std.indicators)))
    console.print(table)


@standards.command("show")
@click.argument("standard_id")
@lang_option
@reports_errors
def standards_show(standard_id: str, lang: str) -> None:
    """Show a catalogue's indicators, thresholds and how sure we are of each."""
    from gardencity.standards import load_standard
    from gardencity.vocabulary import vocabulary

    std = load_standard(standard_id)
    table = Table(title=std.name_zh if lang == "zh" else std.name_en)
    for column in ("id", "indicator", "unit", "threshold", "confidence", "source"):
        table.add_column(column, overflow="fold")
    for spec in std.indicators:
        rules: list[Threshold | None] = [*spec.thresholds] or [None]
        for rule in rules:
            when = "" if rule is None or not rule.when else f" [{rule.when}]"
            table.add_row(
                spec.id,
                spec.name_zh if lang == "zh" else spec.name_en,
                spec.unit,
                "—"
                if rule is None or rule.value is None
                else f"{vocabulary().label('operators', rule.op, lang)} {rule.value}{when}",
                "—" if rule is None else vocabulary().label("confidences", rule.confidence, lang),
                "" if rule is None else f"{rule.source} {rule.clause}",
            )
    console.print(table)
