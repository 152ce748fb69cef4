"""city.toml: the workspace configuration, validated."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gardencity.errors import WorkspaceError
from gardencity.messages import Catalogue, Listing

MESSAGES = Catalogue(__package__)

__all__ = [
    "POSTGRES_SCHEMES",
    "CityConfig",
    "CitySection",
    "LayerSource",
    "ManagementItem",
    "StorageSection",
    "load_config",
]

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CitySection(_Strict):
    name: str
    name_en: str = ""
    crs: str | None = None
    standard: str = "national_ecological_garden_city_2022"
    grade: str | None = None
    region: Literal["north", "south"] | None = None
    land_use_scheme: Literal["gb50137", "yongdi_yonghai", "sandiao"] = "gb50137"
    green_space_scheme: Literal["cjjt85_2017", "cjjt85_2002"] = "cjjt85_2017"
    population: float | None = None
    population_source: str = ""
    data_source: str = ""


class LayerSource(_Strict):
    path: str | None = None
    layer: str | None = None
    coordinates: Literal["gcj02"] | None = None
    fields: dict[str, str] = Field(default_factory=dict)


class StorageSection(_Strict):
    """Where the vector layers live: ``city.gpkg`` (the default) or a PostGIS schema.

    ``vector = "postgresql://user@host:5432/db"`` reads layer X from table ``schema.X``. The
    password belongs in ``PGPASSWORD`` or ``~/.pgpass`` (read by libpq), not in city.toml.
    Rasters and tables stay files in the workspace folder either way.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    vector: str | None = None
    db_schema: str = Field("public", alias="schema", min_length=1, max_length=63)

    @field_validator("vector")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in POSTGRES_SCHEMES or not parts.path.strip("/"):
            raise ValueError(
                "must be a PostgreSQL URL with a database, e.g. "
                '"postgresql://gardencity@db.example.cn:5432/city" (password in PGPASSWORD or '
                "~/.pgpass), or be left out to read city.gpkg"
            )
        return value

    @property
    def is_postgis(self) -> bool:
        return self.vector is not None


class ManagementItem(_Strict):
    status: bool
    evidence: list[str] = Field(default_factory=list)
    note: str = ""


class RasterSection(_Strict):
    canopy: str | None = None
    land_surface_temperature: str | None = None
    canopy_classes: dict[str, int] = Field(
        default_factory=lambda: {"tree": 1, "shrub": 2, "grass": 3}
    )


class TableSection(_Strict):
    weather_stations: str | None = None


class CityConfig(_Strict):
    city: CitySection
    storage: StorageSection = Field(default_factory=lambda: StorageSection.model_validate({}))
    layers: dict[str, LayerSource] = Field(default_factory=dict)
    rasters: RasterSection = Field(default_factory=RasterSection)
    tables: TableSection = Field(default_factory=TableSection)
    management: dict[str, ManagementItem] = Field(default_factory=dict)


def load_config(path: Path) -> CityConfig:
    """Read and validate ``city.toml``; every problem is listed with its key."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WorkspaceError(
            MESSAGES.message("config_not_utf8", path=path, reason=exc.reason, byte=exc.start)
        ) from None
    except OSError as exc:
        raise WorkspaceError(MESSAGES.message("config_unreadable", path=path, detail=exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(MESSAGES.message("config_not_toml", path=path, detail=exc)) from exc
    try:
        return CityConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"])
            lines.append(f"  - {key}: {err['msg']}")
        problems = Listing(tuple(lines), ("\n", "\n"))
        raise WorkspaceError(
            MESSAGES.message("config_invalid", path=path, n=len(lines), problems=problems)
        ) from None
