"""Messages as data in both languages, rendered in one.

Each package owns its words in a YAML catalogue beside its code (``key: [中文, English]``,
optionally grouped one level deep as ``group: {key: [中文, English]}``, read as
``group.key``); :class:`Catalogue` reads one, and :class:`Message` is one of its entries with
its parameters, not yet rendered — an error carries one, and whoever shows the error (the
API in the request's language, the command line in its ``--lang``) renders it::

    MESSAGES = Catalogue(__package__)
    raise NotFoundError(MESSAGES.message("case_not_found", case=case_id))

Templates are :meth:`str.format` strings; a parameter that is itself a :class:`Message` is
rendered in the same language, and a list or tuple is joined with the language's separator.
An English noun that follows a count is written ``{n:point|points}``: the first word where
``n`` is 1, the second otherwise (Chinese needs no such field). :func:`fill` fills any
template so; the pages' scripts do the same with ``tf``.

Examples
--------
>>> msg = Message.of(("{n} 个网格重复：{codes}", "{n} duplicate cells: {codes}"), n=2,
...                  codes=["A1", "A2"])
>>> msg.render("zh"), msg.render("en")
('2 个网格重复：A1、A2', '2 duplicate cells: A1, A2')
>>> fill("{n} {n:cell|cells} without a code", {"n": 1})
'1 cell without a code'
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["LANGS", "Catalogue", "Listing", "Message", "fill", "load_yaml", "pick"]

LANGS = ("zh", "en")
_SEPARATORS = {"zh": "、", "en": ", "}


# libyaml's parser where PyYAML was built with it: the same data, about eight times faster
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """YAML text as data, as :func:`yaml.safe_load` reads it (the same types, the same
    errors: :class:`yaml.YAMLError`), parsed by libyaml where it is installed."""
    return yaml.load(text, Loader=_YAML_LOADER)


def pick(pair: tuple[str, str], lang: str) -> str:
    """The half of a ``(中文, English)`` pair in ``lang`` (Chinese for anything but en)."""
    return pair[1] if lang == "en" else pair[0]


class _CountFormatter(string.Formatter):
    """:meth:`str.format` with one more kind of field: ``{n:one|other}``, the word for a
    count ``n`` (``one`` where it is 1, ``other`` otherwise)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, other = format_spec.split("|", 1)
            return one if value == 1 else other
        return str(super().format_field(value, format_spec))


_FORMATTER = _CountFormatter()


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with its fields filled from ``values``, as :meth:`str.format` does, and
    ``{n:one|other}`` as the word for the count ``n``.

    >>> fill("{n} {n:inspection|inspections} sent, {p:.1f} %", {"n": 2, "p": 12.34})
    '2 inspections sent, 12.3 %'
    """
    if "|" not in template:  # no count's word: str.format itself, several times faster
        return template.format_map(values)
    return _FORMATTER.vformat(template, (), values)


@dataclass(frozen=True)
class Message:
    """One catalogue entry (both languages) with its parameters."""

    pair: tuple[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""

    @classmethod
    def of(cls, pair: tuple[str, str], /, **params: Any) -> Message:
        return cls(pair, params)

    @classmethod
    def literal(cls, zh: str, en: str, /) -> Message:
        """Text that is data, not a template (a name, an error's text), in both languages.

        >>> Message.literal("绿地率{甲}", "Green space ratio").render("zh")
        '绿地率{甲}'
        """
        return cls((_escaped(zh), _escaped(en)))

    def render(self, lang: str = "zh") -> str:
        """The message in ``lang`` (zh or en)."""
        values = {name: _render_value(value, lang) for name, value in self.params.items()}
        return fill(pick(self.pair, lang), values)

    def __str__(self) -> str:
        return self.render("zh")


@dataclass(frozen=True)
class Listing:
    """Items (messages or plain values) shown one after another with the language's
    separator (``(中文, English)``; by default “、” and “, ”).

    >>> Listing(("a", "b"), ("；", "; ")).render("zh")
    'a；b'
    """

    items: tuple[Any, ...]
    separators: tuple[str, str] = ("、", ", ")

    def render(self, lang: str = "zh") -> str:
        return pick(self.separators, lang).join(str(_render_value(v, lang)) for v in self.items)


def _escaped(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _render_value(value: Any, lang: str) -> Any:
    if isinstance(value, Message | Listing):
        return value.render(lang)
    if isinstance(value, list | tuple):
        return _SEPARATORS.get(lang, ", ").join(str(_render_value(v, lang)) for v in value)
    return value


class Catalogue:
    """The messages of one package of gardencity: ``messages.yaml`` (or ``resource``) at
    the package's top, whichever of its modules asks (``gardencity.api.routes`` reads
    ``gardencity/api/messages.yaml``)."""

    def __init__(self, package: str | None, resource: str = "messages.yaml") -> None:
        if not package:
            raise ValueError("a catalogue belongs to a package: pass __package__")
        self.package = ".".join(package.split(".")[:2])
        self.resource = resource

    def pairs(self) -> dict[str, tuple[str, str]]:
        """Every entry, ``key`` (or ``group.key``) to ``(中文, English)``."""
        return _read(self.package, self.resource)

    def pair(self, key: str) -> tuple[str, str]:
        try:
            return self.pairs()[key]
        except KeyError:
            raise KeyError(f"no message {key!r} in {self.package}/{self.resource}") from None

    def message(self, key: str, /, **params: Any) -> Message:
        """Entry ``key`` with its parameters, to render later in the reader's language."""
        return Message(self.pair(key), params, key)

    def text(self, key: str, lang: str, /, **params: Any) -> str:
        """Entry ``key`` rendered in ``lang`` now."""
        return self.message(key, **params).render(lang)

    def both(self, key: str, /, **params: Any) -> tuple[str, str]:
        """Entry ``key`` rendered now in both languages, ``(中文, English)`` (for records that
        keep both, such as an import's report)."""
        message = self.message(key, **params)
        return message.render("zh"), message.render("en")

    def stored(self, message: Message) -> str:
        """``message`` as text to keep in a database column (its key and parameters, JSON),
        to show later in the reader's language with :meth:`shown`."""
        return json.dumps(_to_json(message), ensure_ascii=False, separators=(",", ":"))

    def shown(self, stored: str | None, lang: str) -> str | None:
        """A column written by :meth:`stored`, in ``lang``; any other text as it is."""
        if not stored or not stored.startswith('{"'):
            return stored
        try:
            return str(self._from_json(json.loads(stored)).render(lang))
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return stored

    def _from_json(self, data: Any) -> Any:
        if isinstance(data, dict) and "key" in data:
            params = {k: self._from_json(v) for k, v in data.get("params", {}).items()}
            return self.message(data["key"], **params)
        if isinstance(data, dict) and "pair" in data:
            return Message((str(data["pair"][0]), str(data["pair"][1])))
        return data

    def texts(self, lang: str) -> dict[str, str]:
        """Every entry's template in ``lang`` (for pages that render them themselves)."""
        return _texts(self.package, self.resource, lang)


def _to_json(value: Any) -> Any:
    if isinstance(value, Message):
        params = {k: _to_json(v) for k, v in value.params.items()}
        return {"key": value.key, "params": params} if value.key else {"pair": list(value.pair)}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # an exception, a path: kept as the text the message shows of it


@cache
def _read(package: str, resource: str) -> dict[str, tuple[str, str]]:
    raw = load_yaml(resources.files(package).joinpath(resource).read_text("utf-8"))
    flat: dict[str, tuple[str, str]] = {}
    for key, value in (raw or {}).items():
        if isinstance(value, Mapping):
            for inner, pair in value.items():
                flat[f"{key}.{inner}"] = _as_pair(pair, f"{key}.{inner}", package)
        else:
            flat[str(key)] = _as_pair(value, str(key), package)
    return flat


def _as_pair(value: Any, key: str, package: str) -> tuple[str, str]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"{package} message {key!r} must be [中文, English], not {value!r}")
    return (str(value[0]), str(value[1]))


@cache
def _texts(package: str, resource: str, lang: str) -> dict[str, str]:
    return {key: pick(pair, lang) for key, pair in _read(package, resource).items()}
