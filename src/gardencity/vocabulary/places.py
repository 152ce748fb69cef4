"""The names of places — the city, its districts — as a reader of each language sees them.

A place has its Chinese name and, where the city gives one, an English name (city.toml's
``name_en``, the districts layer's ``name_en``). Chinese pages and documents show the Chinese
name; English ones the English name, or where there is none the Chinese name written as
Chinese place names are written in other languages (GB/T 16159 and the rules for place names):
the specific part in Hanyu Pinyin as one word, the generic part (区, 县, 市 …, the vocabulary's
``place_kinds``) in English. A specific part of one character keeps its generic part, as in
Qixian County. A name is never replaced by a code.

Examples
--------
>>> place_name("鼓楼区", "Gulou District", "en")
'Gulou District'
>>> place_name("鼓楼区", "Gulou District", "zh")
'鼓楼区'
>>> place_name("泉山区", None, "en")
'Quanshan District'
>>> place_names(["鼓楼区", "湖滨区"], ["Gulou District", None], "en")
['Gulou District', 'Hubin District']
>>> romanised("西安市")
"Xi'an City"
>>> romanised("淇县")
'Qixian County'
>>> romanised("Helsinki")
'Helsinki'
>>> romanised_unit("鼓楼区园林局")
'Gulou District Landscaping Bureau'
>>> romanised_unit("徐州市鼓楼区中心公园管理处")
'Xuzhou City Gulou District Zhongxingongyuan Management Office'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from gardencity.vocabulary import vocabulary

__all__ = ["place_name", "place_names", "romanised", "romanised_unit"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_VOWEL_START = ("a", "o", "e")


def place_name(name: str, name_en: str | None, lang: str) -> str:
    """The name a reader of ``lang`` sees: the Chinese name in Chinese, else the English
    name, or the romanised Chinese name where the place has no English one."""
    if lang == "zh" or not name:
        return name
    return name_en.strip() if name_en and name_en.strip() else romanised(name)


def place_names(names: Iterable[Any], names_en: Iterable[Any] | None, lang: str) -> list[str]:
    """:func:`place_name` of each of ``names`` (e.g. a layer's ``name`` column) with its
    English name from ``names_en`` (its ``name_en`` column; none: no English names)."""
    shown = [str(name) for name in names]
    english = [None] * len(shown) if names_en is None else list(names_en)
    return [
        place_name(name, en if isinstance(en, str) else None, lang)
        for name, en in zip(shown, english, strict=True)
    ]


@cache
def romanised(name: str) -> str:
    """``name`` in Hanyu Pinyin with its generic part in English; a name without Chinese
    characters as it is."""
    name = name.strip()
    if not _HAN.search(name):
        return name
    specific, generic = _split_generic(name)
    return f"{_pinyin_word(specific)} {generic}".strip()


@cache
def romanised_unit(name: str) -> str:
    """An organisation's name (a responsible unit: 鼓楼区园林局) written in English as Chinese
    organisations' names are where no English name is given: the places it starts with as
    :func:`romanised` writes them, its generic ending (局, 管理处 …, the vocabulary's
    ``unit_kinds``) in English, what is left between them as :func:`romanised` writes a name
    (a generic part alone in English: 市园林局 → City Landscaping Bureau); a name without
    Chinese characters as it is."""
    rest = name.strip()
    if not _HAN.search(rest):
        return rest
    words = []
    while (place := _leading_place(rest)) is not None:
        words.append(romanised(place))
        rest = rest[len(place) :]
    ending = _unit_ending(rest)
    middle = rest[: len(rest) - len(ending.zh)] if ending is not None else rest
    if middle:
        words.append(_generic_alone(middle) or romanised(middle))
    if ending is not None:
        words.append(ending.en)
    return " ".join(words)


def _leading_place(name: str) -> str | None:
    """The place ``name`` starts with (a specific part of two to four Chinese characters and
    a generic part: 鼓楼区, 徐州市), where more follows it; None if it starts with none."""
    kinds = [t.label.zh for t in vocabulary().place_kinds.values() if t.label is not None]
    for size in range(2, 5):
        specific = name[:size]
        if not _HAN.fullmatch(specific):
            return None
        for kind in sorted(kinds, key=len, reverse=True):
            end = size + len(kind)
            if name[size:end] == kind and len(name) > end:
                return name[:end]
    return None


def _generic_alone(name: str) -> str | None:
    """The English of ``name`` where it is a generic part alone (市 → City), else None."""
    kinds = [t.label for t in vocabulary().place_kinds.values() if t.label is not None]
    return next((label.en for label in kinds if label.zh == name), None)


def _unit_ending(name: str) -> Any:
    """The ``unit_kinds`` label whose Chinese ``name`` ends with (the longest), or None."""
    labels = [t.label for t in vocabulary().unit_kinds.values() if t.label is not None]
    found = [label for label in labels if name.endswith(label.zh)]
    return max(found, key=lambda label: len(label.zh)) if found else None


def _split_generic(name: str) -> tuple[str, str]:
    """(specific part, the generic part in English); the generic part stays in the specific
    one where the rest would be a single character."""
    kinds = [t.label for t in vocabulary().place_kinds.values() if t.label is not None]
    single = None
    for label in sorted(kinds, key=lambda label: -len(label.zh)):
        if not name.endswith(label.zh) or len(name) == len(label.zh):
            continue
        specific = name[: -len(label.zh)]
        if len(specific) >= 2:
            return specific, label.en
        single = single or (name, label.en)
    return single or (name, "")


def _pinyin_word(text: str) -> str:
    """``text``'s Chinese characters in pinyin as one word (an apostrophe before a syllable
    that starts with a, o or e), anything else as it is; the first letter capitalised."""
    from pypinyin import lazy_pinyin

    out = []
    for part in re.split(f"({_HAN.pattern})", text):
        if not _HAN.fullmatch(part):
            out.append(part)
            continue
        syllables = lazy_pinyin(part, v_to_u=True)
        word = syllables[0] + "".join(
            f"'{s}" if s.startswith(_VOWEL_START) else s for s in syllables[1:]
        )
        out.append(word)
    written = "".join(out)
    return written[:1].upper() + written[1:]
