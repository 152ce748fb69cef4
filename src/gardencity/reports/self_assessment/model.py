"""The report as a list of blocks, written alike to DOCX and PDF (so neither carries less).

A block is a heading (level 1 "一、", level 2 "（一）"), a paragraph, a numbered table (title
above, "表1 …") or a numbered figure (caption below, "图1 …"). Numbers are given when the
block is added, in reading order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Block", "Figure", "Heading", "Paragraph", "ReportDocument", "Table"]

CHINESE_NUMBERS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (enough for a report's headings).

    >>> [chinese_number(n) for n in (1, 9, 10, 11, 20, 23)]
    ['一', '九', '十', '十一', '二十', '二十三']
    """
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMBERS[tens - 1]
    return head + "十" + (CHINESE_NUMBERS[ones - 1] if ones else "")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1
    kind: Literal["heading"] = "heading"


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Literal["body", "note", "attachment"] = "body"
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class Table:
    number: int
    title: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    """Right-aligned (number) columns."""
    note: str = ""
    kind: Literal["table"] = "table"

    @property
    def caption(self) -> str:
        return f"表{self.number}　{self.title}"


@dataclass(frozen=True)
class Figure:
    number: int
    title: str
    png: bytes
    kind: Literal["figure"] = "figure"

    @property
    def caption(self) -> str:
        return f"图{self.number}　{self.title}"


Block = Heading | Paragraph | Table | Figure


@dataclass
class ReportDocument:
    """Cover texts and the body blocks; ``add_table``/``add_figure`` number as they go."""

    title: str
    subtitle: str
    prepared_by: str
    date: str
    edition: str
    blocks: list[Block] = field(default_factory=list)
    _tables: int = 0
    _figures: int = 0
    _sections: int = 0
    _subsections: int = 0

    def section(self, text: str, *, numbered: bool = True) -> None:
        """A level-1 heading, numbered 一、二、… unless ``numbered`` is false."""
        if numbered:
            self._sections += 1
            text = f"{chinese_number(self._sections)}、{text}"
        self._subsections = 0
        self.blocks.append(Heading(text, 1))

    def subsection(self, text: str) -> None:
        """A level-2 heading, numbered （一）（二）… within its section."""
        self._subsections += 1
        self.blocks.append(Heading(f"（{chinese_number(self._subsections)}）{text}", 2))

    def paragraph(self, text: str, style: Literal["body", "note", "attachment"] = "body") -> None:
        if text.strip():
            self.blocks.append(Paragraph(text.strip(), style))

    def add_table(
        self,
        title: str,
        headers: list[str],
        rows: list[list[str]],
        *,
        numeric: list[bool] | None = None,
        note: str = "",
    ) -> Table:
        self._tables += 1
        table = Table(self._tables, title, headers, rows, numeric or [False] * len(headers), note)
        self.blocks.append(table)
        return table

    def add_figure(self, title: str, png: bytes) -> Figure:
        self._figures += 1
        figure = Figure(self._figures, title, png)
        self.blocks.append(figure)
        return figure

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def text(self) -> str:
        """All the words of the document (for the wording check)."""
        parts = [self.title, self.subtitle, self.prepared_by, self.date]
        for block in self.blocks:
            if isinstance(block, Heading | Paragraph):
                parts.append(block.text)
            elif isinstance(block, Table):
                parts.extend([block.caption, block.note, *block.headers])
                parts.extend(cell for row in block.rows for cell in row)
            else:
                parts.append(block.caption)
        return "\n".join(parts)
