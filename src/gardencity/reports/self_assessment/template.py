"""The report template a city edits: cover texts, rectification defaults and the sections.

Looked up first in the city's template folder (e.g. ``WORKSPACE/report_templates``), then in
the package. Every problem of the file is reported at once; an unknown section kind is refused
with the list of kinds (a section of the city's own is ``kind: text`` with its ``text``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gardencity.errors import DataError
from gardencity.messages import Catalogue, load_yaml

__all__ = [
    "PACKAGE_TEMPLATES",
    "SECTION_KINDS",
    "Rectification",
    "ReportTemplate",
    "Section",
    "load_template",
    "render_text",
    "wording",
]
MESSAGES = Catalogue(__package__)

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_FILE = "self_assessment.yaml"
SECTION_KINDS = (
    "overview",
    "campaign",
    "indicators",
    "rectification",
    "rehearsal",
    "maps",
    "attachments",
    "text",
)
Edition = Literal["experts", "internal"]
EDITIONS: tuple[Edition, ...] = ("experts", "internal")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = "text"
    heading: str = Field(min_length=1, max_length=100)
    text: str = ""
    editions: list[Edition] = Field(default_factory=lambda: list(EDITIONS))
    numbered: bool | None = None

    @model_validator(mode="after")
    def _known(self) -> Section:
        if self.kind not in SECTION_KINDS:
            raise ValueError(
                f"section “{self.heading}”: kind '{self.kind}' is unknown. Use one of "
                f"{', '.join(SECTION_KINDS)}; a section of your own is `kind: text` with its "
                "`text` (paragraphs separated by blank lines)"
            )
        if self.kind == "text" and not self.text.strip():
            raise ValueError(
                f"section “{self.heading}” has no text: give `text`, or a built-in `kind`"
            )
        return self

    @property
    def is_numbered(self) -> bool:
        return self.numbered if self.numbered is not None else self.kind != "attachments"


class Rectification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_unit: str = "市园林绿化局"
    deadline: str = ""
    district_unit: str = "{{ district }}人民政府"
    measures: dict[str, str] = Field(default_factory=dict)
    default_measure: str = "制定专项整改方案，逐项落实"


class ReportTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    subtitle: str = ""
    prepared_by: str = ""
    date: str = "{{ date }}"
    rectification: Rectification = Field(default_factory=Rectification)
    sections: list[Section] = Field(min_length=1)


def load_template(folder: Path | None = None) -> ReportTemplate:
    """The city's ``self_assessment.yaml`` from ``folder`` when it has one, else the package's;
    every problem at once (DataError)."""
    own = folder / TEMPLATE_FILE if folder is not None else None
    path = own if own is not None and own.is_file() else PACKAGE_TEMPLATES / TEMPLATE_FILE
    try:
        raw = load_yaml(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(MESSAGES.message("template_not_yaml", path=path, detail=exc)) from exc
    if isinstance(raw, dict) and "sections" not in raw and "summary_heading" in raw:
        raise DataError(MESSAGES.message("template_old_format", path=path, file=TEMPLATE_FILE))
    try:
        return ReportTemplate.model_validate(raw)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise DataError(
            MESSAGES.message("template_problems", path=path, problems=problems)
        ) from exc


_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


def render_text(text: str, facts: dict[str, Any], *, where: str = "") -> str:
    """Fill ``{{ … }}`` in a template text; an unknown name is a DataError that says where."""
    try:
        return _ENV.from_string(text).render(**facts).strip()
    except jinja2.TemplateError as exc:
        raise DataError(
            MESSAGES.message(
                "template_unknown_name",
                where=f" ({where})" if where else "",
                detail=exc,
                file=TEMPLATE_FILE,
                names=sorted(facts),
            )
        ) from exc


@cache
def wording() -> dict[str, Any]:
    """Status labels, comparison signs, units and the experts' copy's wording rules."""
    text = resources.files(__package__).joinpath("wording.yaml").read_text("utf-8")
    loaded: dict[str, Any] = load_yaml(text)
    return loaded
