"""Every geometry of a saved what-if engine, stored once as coordinate arrays.

A saved engine refers to about a million geometries on a megacity (residential pieces, parks,
service buffers, road corridors), many of them from several places (a layer and the spatial
index over it). Pickled one by one, each costs a call and a WKB parse when it is read back;
here they are gathered in one table and written per geometry type as shapely's ragged arrays
(one coordinate array and its offsets; linear rings as their coordinates), which shapely
turns back into geometries many times faster than it parses WKB. What these cannot hold
exactly (empty geometries, geometry collections, Z or M coordinates, an SRID) is kept as WKB.

>>> table = GeometryTable()
>>> square = shapely.box(0, 0, 1, 1)
>>> slots = table.slots(np.array([square, None, square], dtype=object))
>>> slots.tolist(), table.slot(shapely.Point(3, 4))
([0, -1, 0], 1)
>>> read = read_geometries(table.stored())
>>> read[slots].tolist()
[<POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))>, None, <POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))>]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["GeometryTable", "holds_geometries", "read_geometries"]

# the types shapely.from_ragged_array builds (not linear rings nor geometry collections)
_RAGGED_TYPES = (
    shapely.GeometryType.POINT,
    shapely.GeometryType.LINESTRING,
    shapely.GeometryType.POLYGON,
    shapely.GeometryType.MULTIPOINT,
    shapely.GeometryType.MULTILINESTRING,
    shapely.GeometryType.MULTIPOLYGON,
)


def holds_geometries(array: npt.NDArray[Any]) -> bool:
    """Whether ``array`` (of objects) holds geometries, and nothing else but None."""
    if array.dtype != object or array.size == 0:
        return False
    flat = array.ravel()
    found = shapely.is_geometry(flat)
    return bool(found.any() and (found | shapely.is_missing(flat)).all())


class GeometryTable:
    """Geometries gathered once each (by identity), with their slots in the table."""

    def __init__(self) -> None:
        self._geometries: list[shapely.Geometry] = []  # held, so that their ids stay theirs
        self._slot: dict[int, int] = {}

    def slot(self, geometry: shapely.Geometry) -> int:
        key = id(geometry)
        found = self._slot.get(key)
        if found is None:
            found = self._slot[key] = len(self._geometries)
            self._geometries.append(geometry)
        return found

    def slots(self, array: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
        """The slots of an array of geometries (-1 for None), in its shape."""
        slot = self.slot
        flat = [-1 if g is None else slot(g) for g in array.ravel().tolist()]
        return np.asarray(flat, dtype=np.int64).reshape(array.shape)

    def stored(self) -> dict[str, Any]:
        """The table as arrays: per geometry type, the positions and the ragged arrays; the
        rest as WKB."""
        geometries = np.empty(len(self._geometries), dtype=object)
        geometries[:] = self._geometries
        types = shapely.get_type_id(geometries)
        plain = (
            ~shapely.is_empty(geometries)
            & ~shapely.has_z(geometries)
            & (shapely.get_srid(geometries) == 0)
        )
        if hasattr(shapely, "has_m"):  # shapely 2.1 with GEOS 3.12
            plain &= ~shapely.has_m(geometries)
        ragged = []
        for kind in _RAGGED_TYPES:
            at = np.flatnonzero(plain & (types == kind))
            if len(at):
                arrays = shapely.to_ragged_array(geometries[at], include_z=False)
                ragged.append((at, int(kind), arrays[1], arrays[2]))
        rings = np.flatnonzero(plain & (types == shapely.GeometryType.LINEARRING))
        ring_coords = shapely.get_coordinates(geometries[rings])
        ring_of = np.repeat(np.arange(len(rings)), shapely.get_num_coordinates(geometries[rings]))
        done = np.concatenate([_positions(ragged), rings])
        other = np.flatnonzero(~np.isin(np.arange(len(geometries)), done))
        wkb = shapely.to_wkb(geometries[other], include_srid=True)
        return {
            "count": len(geometries),
            "ragged": ragged,
            "rings": (rings, ring_coords, ring_of),
            "wkb": (other, wkb),
        }


def _positions(ragged: list[tuple[Any, ...]]) -> npt.NDArray[np.int64]:
    if not ragged:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([at for at, *_ in ragged])


def read_geometries(stored: dict[str, Any]) -> npt.NDArray[np.object_]:
    """The geometries of :meth:`GeometryTable.stored`, by slot, then None (slot -1)."""
    geometries = np.empty(stored["count"] + 1, dtype=object)
    for at, kind, coords, offsets in stored["ragged"]:
        geometries[at] = shapely.from_ragged_array(shapely.GeometryType(kind), coords, offsets)
    rings, ring_coords, ring_of = stored["rings"]
    if len(rings):  # WKB has no linear rings: they would come back as lines
        geometries[rings] = shapely.linearrings(ring_coords, indices=ring_of)
    other, wkb = stored["wkb"]
    if len(other):
        geometries[other] = shapely.from_wkb(wkb, on_invalid="raise")
    return geometries
