"""gardencity: assess, run and prepare a city's National (Ecological) Garden City campaign."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
