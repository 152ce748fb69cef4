"""Text that is safe to store and to write into XML, XLSX and DOCX files.

C0 control characters (other than tab, line feed and carriage return) have no place in a
report or a name, and one of them makes an XML document — an Open311 ``requests.xml``, an
Excel workbook, a Word file — invalid for every reader. Input models derive from
:class:`CleanInput`, which cleans every string they receive (vertical tab and form feed, as
Word pastes line breaks, become line feeds; the others are removed); writers of XML-based
files pass their text through :func:`xml_text` as a second line of defence.

Examples
--------
>>> clean_text("Zeile\\x0bzwei\\x00\\x07 ok\\t\\n")
'Zeile\\nzwei ok\\t\\n'
>>> xml_text("a\\x1fb\\ufffec")
'abc'
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidatorFunctionWrapHandler, field_validator

__all__ = ["CleanInput", "clean_text", "clean_value", "xml_text"]

_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
_C0 = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# characters XML 1.0 does not allow at all (C0 but tab/LF/CR, surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` without C0 control characters (tab, LF and CR kept; VT and FF become LF)."""
    return _C0.sub("", text.translate(_LINE_BREAKS))


def clean_value(value: Any) -> Any:
    """:func:`clean_text` applied to every string in ``value`` (lists and dicts too)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return type(value)(clean_value(v) for v in value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    return value


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids removed."""
    return _NOT_XML.sub("", text)


class CleanInput(BaseModel):
    """Base of the models that take input: every string field is cleaned of control
    characters. The input as received must meet the field's constraints (what the API's
    schema promises), and so must the clean text (a name of control characters only is
    refused as empty, not stored empty)."""

    @field_validator("*", mode="wrap")
    @classmethod
    def _without_control_characters(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        cleaned = clean_value(value)
        if cleaned != value:
            handler(value)
        return handler(cleaned)
