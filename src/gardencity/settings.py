"""Settings of the campaign server (pydantic-settings; environment variables ``GARDENCITY_*``).

``Settings.for_workspace(path)`` gives the embedded defaults: SQLite and a file store inside
the city workspace, so one machine needs no set-up. Production sets
``GARDENCITY_DATABASE_URL=postgresql+psycopg://…`` and a files folder on persistent storage.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gardencity.vocabulary.dates import known_time_zone
from gardencity.vocabulary.places import place_name

__all__ = ["Settings", "settings_environment"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GARDENCITY_", extra="forbid")

    database_url: str = Field(description="SQLAlchemy URL: sqlite:///… or postgresql+psycopg://…")
    files_dir: Path = Field(description="root of the content-addressed photo and document store")
    campaign_config: Path | None = Field(
        default=None, description="the city's campaign YAML (categories, SLA, labels, ranking)"
    )
    maintenance_config: Path | None = Field(
        default=None,
        description="the city's maintenance check-lists YAML (site types, items, weights, grades)",
    )
    survey_config: Path | None = Field(
        default=None, description="the city's satisfaction survey YAML (questions, requirement)"
    )
    standard: str = Field(
        default="national_ecological_garden_city_2022",
        description="the catalogue whose items the evidence ledger follows",
    )
    city_name: str = Field(
        default="示范市", description="the city's name; unset: city.toml's of the workspace"
    )
    city_name_en: str = Field(
        default="",
        description="the city's English name; unset: English pages write its name in pinyin",
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="the city's time zone: dates and times on its pages"
    )
    workspace: Path | None = Field(
        default=None, description="the city workspace whose assessments the pages show and run"
    )
    tile_url: str | None = Field(
        default=None,
        description="optional base-map tile URL template for the map pages, e.g. 天地图 "
        "https://t0.tianditu.gov.cn/vec_w/wmts?…&tk=YOUR_KEY; none: vector layers only",
    )
    tile_attribution: str = ""
    basemap_mbtiles: Path | None = Field(
        default=None,
        description="an offline base map: a raster MBTiles file the app serves itself "
        "(no internet at run time); used when tile_url is not set",
    )
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    token_days: float = Field(default=90, gt=0, le=3650)
    max_upload_mb: float = Field(default=20, gt=0, le=200)
    logins_per_minute: int = Field(
        default=20, ge=1, description="log-in attempts a minute per client address and per account"
    )
    login_lockout_after: int = Field(
        default=5,
        ge=1,
        le=100,
        description="failed log-ins in a row after which an account is locked (30 s at first, "
        "doubling with each further failure)",
    )
    login_lockout_max_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="the longest an account stays locked"
    )
    public_writes_per_minute: int = Field(default=10, ge=1)
    public_reads_per_minute: int = Field(default=600, ge=1)
    auth_cache_seconds: float = Field(
        default=5,
        ge=0,
        le=60,
        description=(
            "how long a server process remembers who holds a token (0: ask the database on "
            "every request); a logout or a changed user applies at once in the same process "
            "and within this time in the others"
        ),
    )
    public_cache_seconds: float = Field(
        default=5,
        ge=0,
        le=300,
        description=(
            "how long a server process serves the same public map / Open311 list response "
            "(0: never cached); sent as Cache-Control max-age"
        ),
    )
    secure_cookies: bool = Field(
        default=False, description="send cookies only over HTTPS (set true behind TLS)"
    )
    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="the address residents reach the server at, e.g. https://garden.example.cn/ "
        "— links in public answers (Open311 media_url) start with it; unset: the address "
        "of each request",
    )
    behind_proxy: bool = Field(
        default=False,
        description="the server sits behind a reverse proxy: take the client address and scheme "
        "from X-Forwarded-For / X-Forwarded-Proto, but only when the request comes from one of "
        "trusted_proxies (otherwise these headers are ignored)",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        description="comma-separated addresses or networks (CIDR) of the reverse proxies whose "
        "X-Forwarded-* headers are believed when behind_proxy is true",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        bad = []
        for part in parts:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                bad.append(part)
        if bad:
            raise ValueError(
                f"not IP addresses or networks: {', '.join(bad)}. Fix: list the proxies' "
                "addresses, e.g. 127.0.0.1,10.0.0.0/24"
            )
        return ",".join(parts)

    def proxy_addresses(self) -> list[str]:
        """The trusted proxies' addresses (none unless ``behind_proxy``)."""
        return self.trusted_proxies.split(",") if self.behind_proxy and self.trusted_proxies else []

    @field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        return known_time_zone(value)

    @field_validator("public_base_url")
    @classmethod
    def _ends_with_slash(cls, value: str | None) -> str | None:
        return value if value is None or value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.database_url.startswith("postgresql") and not self.secure_cookies:
            # production database without TLS cookies is allowed only on loopback test servers
            host = self.database_url.split("@")[-1].split("/")[0].split(":")[0]
            if host not in {"127.0.0.1", "localhost", ""}:
                raise ValueError(
                    "a remote PostgreSQL means production: set GARDENCITY_SECURE_COOKIES=true "
                    "and serve over HTTPS"
                )
        return self

    @model_validator(mode="after")
    def _city_of_the_workspace(self) -> Settings:
        """The city's names from the workspace's city.toml, unless either is given."""
        if self.workspace is not None and not {"city_name", "city_name_en"} & self.model_fields_set:
            for key, value in _city_names(Path(self.workspace) / "city.toml").items():
                setattr(self, key, value)
        return self

    @classmethod
    def for_workspace(cls, workspace: Path, **overrides: object) -> Settings:
        """Embedded defaults: ``<workspace>/campaign/campaign.db`` and ``…/campaign/files``."""
        root = Path(workspace) / "campaign"
        values: dict[str, object] = {
            "database_url": f"sqlite:///{(root / 'campaign.db').resolve()}",
            "files_dir": root / "files",
            "workspace": Path(workspace).resolve(),
        }
        city_file = Path(workspace) / "campaign.yaml"
        if city_file.is_file():
            values["campaign_config"] = city_file
        maintenance_file = Path(workspace) / "maintenance.yaml"
        if maintenance_file.is_file():
            values["maintenance_config"] = maintenance_file
        survey_file = Path(workspace) / "survey.yaml"
        if survey_file.is_file():
            values["survey_config"] = survey_file
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def city(self, lang: str) -> str:
        """The city's name as a reader of ``lang`` sees it."""
        return place_name(self.city_name, self.city_name_en, lang)


def _city_names(city_toml: Path) -> dict[str, str]:
    """The city's names from the workspace's city.toml (none where it cannot be read: the
    workspace's own checks report that)."""
    try:
        city = tomllib.loads(city_toml.read_text("utf-8")).get("city", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    names = {"city_name": city.get("name"), "city_name_en": city.get("name_en")}
    return {key: value for key, value in names.items() if isinstance(value, str) and value}


def settings_environment(settings: Settings) -> dict[str, str]:
    """The GARDENCITY_* variables that give ``settings`` to another process.

    >>> env = settings_environment(Settings(database_url="sqlite:///c.db", files_dir=Path("f")))
    >>> env["GARDENCITY_DATABASE_URL"], env["GARDENCITY_FILES_DIR"]
    ('sqlite:///c.db', 'f')
    >>> Settings.model_validate({k[11:].lower(): v for k, v in env.items()}).files_dir
    PosixPath('f')
    """
    out = {}
    for name, value in settings.model_dump(exclude_none=True).items():
        out[f"GARDENCITY_{name.upper()}"] = str(value)
    return out
