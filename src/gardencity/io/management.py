"""Evidence for the management items of a standard (yes/no items backed by documents)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ManagementEvidence"]


@dataclass(frozen=True)
class ManagementEvidence:
    """What the city states for one management item, from city.toml ``[management.<id>]``.

    ``status`` is the city's yes/no; ``evidence`` lists document paths relative to the
    workspace; ``missing`` lists the paths that do not exist (filled in by the loader).
    """

    item_id: str
    status: bool
    evidence: tuple[str, ...] = field(default_factory=tuple)
    missing: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""
