"""What is missing from a city's data, in both languages, from one table.

The importer, validation and the assessment take their sentences from
``io/data/data_gaps.yaml``, so all three say the same thing about the same gap.

>>> gap = data_gap("no_parks", classes="G1", workspace="city")
>>> gap.zh
'绿地数据中没有公园绿地（G1）图斑，公园类指标无法计算'
>>> gap.fix_en
'add the park polygons (green_class G1) with `gardencity import-layer city green_spaces FILE`'
>>> completeness_basis("red_line_known").en
'road length with a red-line width'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from gardencity.messages import load_yaml

__all__ = ["Basis", "DataGap", "completeness_basis", "data_gap", "gap_keys"]

_FIELDS = ("zh", "en", "fix_zh", "fix_en")


@dataclass(frozen=True)
class DataGap:
    """One gap: what is missing (``zh``/``en``) and how to fix it (``fix_zh``/``fix_en``)."""

    key: str
    zh: str
    en: str
    fix_zh: str
    fix_en: str
    layer: str = ""

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def fix(self, lang: str) -> str:
        return self.fix_zh if lang == "zh" else self.fix_en

    def note(self, lang: str) -> str:
        """The gap and its fix as one sentence for a report."""
        if lang == "zh":
            return f"未评估：{self.zh}。处理：{self.fix_zh}。"
        return f"Not assessed: {self.en}. Fix: {self.fix_en}."


@dataclass(frozen=True)
class Basis:
    """What a completeness share measures (``zh``/``en``) and how to raise it."""

    key: str
    zh: str
    en: str
    fix_zh: str
    fix_en: str


@cache
def _table() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("gardencity.io.data").joinpath("data_gaps.yaml").read_text("utf-8")
    data: dict[str, dict[str, dict[str, str]]] = load_yaml(text)
    return data


def gap_keys() -> tuple[str, ...]:
    return tuple(_table()["gaps"])


def _fill(template: str, lang: int, values: dict[str, Any]) -> str:
    """Fill placeholders; a ``(zh, en)`` pair gives each language its own text."""
    picked = {k: (v[lang] if isinstance(v, tuple) else v) for k, v in values.items()}
    return template.format(**picked)


def data_gap(key: str, **values: Any) -> DataGap:
    """The gap ``key`` with its placeholders filled (``workspace`` defaults to WORKSPACE)."""
    entry = _table()["gaps"][key]
    values.setdefault("workspace", "WORKSPACE")
    zh, en, fix_zh, fix_en = (
        _fill(entry[f], 0 if f.endswith("zh") else 1, values) for f in _FIELDS
    )
    return DataGap(key, zh, en, fix_zh, fix_en, layer=str(entry.get("layer", "")))


def completeness_basis(key: str) -> Basis:
    entry = _table()["completeness"][key]
    return Basis(key, *(entry[f] for f in _FIELDS))
