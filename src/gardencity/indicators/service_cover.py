"""The straight-line service measure's intermediates: the parks' service cover and the
residential land inside it.

The straight-line measure, its diagnostic layers, the walking measure's parks and the what-if
engine share them within a run (:mod:`gardencity.indicators.accessibility`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from gardencity.toolkit import RunContext, TiledCover, eligible_parks, residential_pieces, shared

__all__ = [
    "Bands",
    "CoveredPieces",
    "ServiceCover",
    "covered_pieces",
    "service_cover",
    "service_covered_m2",
]

Bands = Sequence[Mapping[str, Any]]


class ServiceCover(NamedTuple):
    """The parks that serve residents, their service buffers and the buffers' union."""

    parks: gpd.GeoDataFrame
    buffers: npt.NDArray[np.object_]
    cover: TiledCover


def service_cover(
    green_spaces: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool = True,
    quad_segs: int = 16,
) -> ServiceCover:
    """The eligible parks, each buffered by its service radius, and the buffers' tiled union
    (the measure and its diagnostic layers share it within a run)."""
    parks = shared(
        run,
        eligible_parks,
        green_spaces,
        historic_districts,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
    )
    buffers = np.asarray(
        shapely.buffer(
            parks.geometry.to_numpy(), parks["radius_m"].to_numpy(), quad_segs=quad_segs
        ),
        dtype=object,
    )
    return ServiceCover(parks, buffers, TiledCover(buffers))


class CoveredPieces(NamedTuple):
    """The residential pieces (``toolkit.residential_pieces``) and each one's area inside
    the parks' service cover."""

    pieces: gpd.GeoDataFrame
    covered_m2: npt.NDArray[np.float64]


def covered_pieces(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool = True,
    quad_segs: int = 16,
) -> CoveredPieces:
    """Each residential piece's area inside the service cover (the measure, its diagnostic
    layers and the what-if engine share it within a run)."""
    covered = shared(
        run,
        service_covered_m2,
        zones,
        land_use,
        green_spaces,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        quad_segs=quad_segs,
    )
    return CoveredPieces(shared(run, residential_pieces, land_use, zones), covered)


def service_covered_m2(
    zones: gpd.GeoDataFrame,
    land_use: gpd.GeoDataFrame,
    green_spaces: gpd.GeoDataFrame,
    historic_districts: gpd.GeoDataFrame | None = None,
    run: RunContext | None = None,
    *,
    bands: Bands,
    eligible_classes: Sequence[str],
    require_open: bool = True,
    quad_segs: int = 16,
) -> npt.NDArray[np.float64]:
    """The area of each residential piece (``toolkit.residential_pieces``, in its order)
    inside the service cover: only numbers, which another process can compute and send
    back (shared within a run)."""
    cover = shared(
        run,
        service_cover,
        green_spaces,
        historic_districts,
        run,
        bands=bands,
        eligible_classes=eligible_classes,
        require_open=require_open,
        quad_segs=quad_segs,
    ).cover
    pieces = shared(run, residential_pieces, land_use, zones)
    return cover.overlap_areas(pieces.geometry.to_numpy())
