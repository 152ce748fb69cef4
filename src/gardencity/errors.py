"""Errors raised by gardencity.

Every error derives from :class:`GardenCityError` and, where one fits, from the builtin
exception a Python user would expect, so ``except ValueError`` keeps working::

    GardenCityError
    ├── CrsError (ValueError)
    │   ├── NoCrsError
    │   ├── GeographicCrsError
    │   └── MixedCrsError
    ├── DataError (ValueError)
    │   ├── MissingLayerError (LookupError)
    │   ├── MissingColumnError (KeyError)
    │   ├── EmptyLayerError
    │   ├── UnknownClassCodeError
    │   └── ValidationError          (carries every problem found, not just the first)
    ├── WorkspaceError (OSError)
    ├── StandardError (ValueError)
    │   └── UnknownIndicatorError (KeyError)
    ├── OsmImportError (ValueError)
    ├── DatabaseError (RuntimeError)
    ├── BackupError (RuntimeError)
    └── CampaignError
        ├── InvalidRequestError (ValueError)        HTTP 422
        ├── NotFoundError (LookupError)             HTTP 404
        ├── AuthenticationError (PermissionError)   HTTP 401
        ├── PermissionDeniedError (PermissionError) HTTP 403
        ├── InvalidTransitionError (ValueError)     HTTP 409
        ├── ConflictError                           HTTP 409 (someone changed it first)
        ├── RateLimitedError                        HTTP 429
        └── DatabaseBusyError                       HTTP 503 (writers queued too long; retry)

Each message says what is wrong *and* how to fix it. An error raised with a
:class:`~gardencity.messages.Message` (an entry of its package's catalogue) keeps both
languages: ``str(exc)`` is Chinese, ``exc.text("en")`` English — the API renders it in the
request's language, the command line in its ``--lang``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gardencity.messages import Catalogue, Message

__all__ = [
    "AuthenticationError",
    "BackupError",
    "CampaignError",
    "ConflictError",
    "CrsError",
    "DataError",
    "DatabaseBusyError",
    "DatabaseError",
    "EmptyLayerError",
    "GardenCityError",
    "GeographicCrsError",
    "InvalidRequestError",
    "InvalidTransitionError",
    "MissingColumnError",
    "MissingLayerError",
    "MixedCrsError",
    "NoCrsError",
    "NotFoundError",
    "OsmImportError",
    "PermissionDeniedError",
    "Problem",
    "RateLimitedError",
    "StandardError",
    "UnknownClassCodeError",
    "UnknownIndicatorError",
    "ValidationError",
    "WorkspaceError",
    "from_foreign",
]


class GardenCityError(Exception):
    """Root of every error raised by gardencity.

    Raised with a :class:`Message` it keeps the message for :meth:`text`; raised with a
    plain string it shows that string in every language.
    """

    @property
    def message(self) -> Message | None:
        """The catalogue message the error was raised with (None: a plain string)."""
        first = self.args[0] if self.args else None
        return first if isinstance(first, Message) else None

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang`` (zh or en)."""
        message = self.message
        return message.render(lang) if message is not None else str(self)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else self.__class__.__name__


class CrsError(ValueError, GardenCityError):
    """A coordinate reference system problem."""


class NoCrsError(CrsError):
    """A layer has no CRS, so its coordinates cannot be interpreted."""


class GeographicCrsError(CrsError):
    """Metres were needed but the data is in degrees."""


class MixedCrsError(CrsError):
    """Inputs to one computation are in different CRSs."""


class DataError(ValueError, GardenCityError):
    """The content of an input layer is unusable."""


class MissingLayerError(LookupError, DataError):
    """A required layer is absent from the workspace."""


class MissingColumnError(KeyError, DataError):
    """A required field is absent from a layer."""

    __str__ = GardenCityError.__str__  # the message, not KeyError's quoted repr of it


class EmptyLayerError(DataError):
    """A layer exists but has no features."""


class UnknownClassCodeError(DataError):
    """A land-use or green-space class code is not in the mapping table."""


class WorkspaceError(OSError, GardenCityError):
    """A workspace folder or its ``city.toml`` is missing or malformed."""


class StandardError(ValueError, GardenCityError):
    """A standards catalogue file is malformed."""


class UnknownIndicatorError(KeyError, StandardError):
    """An indicator id is not in the catalogue or registry."""

    __str__ = GardenCityError.__str__


class OsmImportError(ValueError, GardenCityError):
    """An OSM extract could not be turned into a workspace."""


@dataclass(frozen=True)
class Problem:
    """One finding of validation: what is wrong, where, and how to fix it."""

    layer: str
    message: str
    fix: str
    severity: str = "error"  # "error" blocks the assessment, "warning" does not
    count: int = 0
    details: tuple[str, ...] = field(default_factory=tuple)
    message_zh: str = ""  # the same in Chinese (reports in Chinese show these)
    fix_zh: str = ""

    def as_dict(self) -> dict[str, object]:
        """The finding as the scorecard keeps it."""
        return {
            "layer": self.layer,
            "message": self.message,
            "fix": self.fix,
            "severity": self.severity,
            "count": self.count,
            "details": list(self.details),
            "message_zh": self.message_zh,
            "fix_zh": self.fix_zh,
        }

    def text(self, lang: str = "en") -> str:
        """The finding in ``lang`` (Chinese where given, else English)."""
        if lang != "zh" or not self.message_zh:
            return str(self)
        severity = "错误" if self.severity == "error" else "提示"
        more = ""
        if self.details:
            shown = "、".join(self.details[:20])
            extra = f" …（另有 {len(self.details) - 20} 项）" if len(self.details) > 20 else ""
            more = f"\n    {shown}{extra}"
        fix = self.fix_zh or self.fix
        return f"[{severity}] {self.layer}：{self.message_zh}{more}\n    处理：{fix}"

    def __str__(self) -> str:
        head = f"[{self.severity}] {self.layer}: {self.message}"
        more = ""
        if self.details:
            shown = ", ".join(self.details[:20])
            extra = f" … (+{len(self.details) - 20} more)" if len(self.details) > 20 else ""
            more = f"\n    {shown}{extra}"
        return f"{head}{more}\n    fix: {self.fix}"


#: the validation's messages (validate_workspace lives in io)
VALIDATION_MESSAGES = Catalogue("gardencity.io")


class ValidationError(DataError):
    """Validation found one or more blocking problems; all of them are listed."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        lines = [f"{len(errors)} problem(s) must be fixed before the assessment can run:"]
        lines += [str(p) for p in self.problems]
        super().__init__("\n".join(lines))

    def text(self, lang: str = "zh") -> str:
        """The heading and every problem in ``lang`` (zh or en)."""
        count = sum(p.severity == "error" for p in self.problems)
        heading = VALIDATION_MESSAGES.text("validation_heading", lang, count=count)
        return "\n".join([heading, *(p.text(lang) for p in self.problems)])


class DatabaseError(RuntimeError, GardenCityError):
    """The campaign database cannot be opened or migrated."""


class BackupError(RuntimeError, GardenCityError):
    """A backup archive cannot be written, verified or restored."""


class CampaignError(GardenCityError):
    """A request to the campaign service cannot be carried out.

    ``status`` is the HTTP status the API answers with; ``code`` a stable machine-readable
    name for clients.
    """

    status = 400
    code = "bad_request"


class InvalidRequestError(ValueError, CampaignError):
    """The request's content is invalid (unknown category, location outside the city …)."""

    status = 422
    code = "invalid_request"


class NotFoundError(LookupError, CampaignError):
    """The case, unit, user or file asked for does not exist (or is not visible to you)."""

    status = 404
    code = "not_found"


class AuthenticationError(PermissionError, CampaignError):
    """No valid session, token or api_key was given."""

    status = 401
    code = "not_authenticated"


class PermissionDeniedError(PermissionError, CampaignError):
    """The user's role or unit scope does not allow this action."""

    status = 403
    code = "forbidden"


class InvalidTransitionError(ValueError, CampaignError):
    """The workflow does not allow this action from the case's current state."""

    status = 409
    code = "invalid_transition"


class ConflictError(CampaignError):
    """Someone changed the record first (optimistic locking) or it already exists."""

    status = 409
    code = "conflict"


class RateLimitedError(CampaignError):
    """Too many requests from one client on a public endpoint."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str | Message, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DatabaseBusyError(CampaignError):
    """A writer waited the whole busy time-out for the database's write lock."""

    status = 503
    code = "database_busy"

    def __init__(self, message: str | Message, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def from_foreign(exc: BaseException) -> GardenCityError | None:
    """A library's error about bad input (GDAL, PROJ, SQLite, the file system) as a
    :class:`GardenCityError` that says how to fix it; None for anything else (a bug)."""
    if isinstance(exc, GardenCityError):
        return exc
    library = type(exc).__module__.split(".")[0]
    if library in ("pyogrio", "fiona"):
        return DataError(
            f"GDAL cannot read the vector data ({exc}). Fix: check that the file is complete "
            f"and in a format GDAL reads (GeoPackage, Shapefile with all its parts, GeoJSON), "
            f"and that the layer name is right (`ogrinfo FILE` lists the layers)."
        )
    if library == "rasterio":
        return DataError(
            f"GDAL cannot read the raster ({exc}). Fix: check that the file is a complete "
            f"GeoTIFF (`gdalinfo FILE`) and that city.toml [rasters] points to it."
        )
    if library == "pyproj":
        return CrsError(
            f"The coordinate reference system is not usable ({exc}). Fix: give an EPSG code of "
            f"a projected CRS in metres, e.g. EPSG:4547 (CGCS2000 Gauss-Krüger CM 114°E)."
        )
    if library == "sqlite3":
        return WorkspaceError(
            f"A database file is damaged or locked ({exc}). Fix: close other programs using it, "
            f"or restore the file from a backup."
        )
    if isinstance(exc, UnicodeDecodeError):
        return DataError(
            f"A text file is not UTF-8 ({exc.reason}). Fix: save it as UTF-8 (e.g. from GBK)."
        )
    if isinstance(exc, PermissionError):
        return WorkspaceError(
            f"Permission denied: {exc.filename}. Fix: check the file's and folder's permissions."
        )
    if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
        return WorkspaceError("The disk is full. Fix: free space and run the command again.")
    return None
