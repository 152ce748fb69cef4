"""The geometries of a saved what-if engine come back exactly as they were saved, whatever
their kind, and once each."""

from __future__ import annotations

import numpy as np
import shapely

from gardencity.whatif.geometry_table import GeometryTable, holds_geometries, read_geometries

KINDS = [
    shapely.Point(1.5, 2.25),
    shapely.LineString([(0, 0), (1, 1e-9), (2, 7)]),
    shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 3, 3)),  # a polygon with a hole
    shapely.MultiPoint([(0, 0), (3, 4)]),
    shapely.MultiLineString([[(0, 0), (1, 1)], [(5, 5), (6, 8)]]),
    shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)]),
    shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]),  # a multi-part of one part stays one
    shapely.Polygon(),
    shapely.LineString(),
    shapely.GeometryCollection([shapely.Point(0, 0), shapely.box(1, 1, 2, 2)]),
    shapely.LinearRing([(0, 0), (1, 0), (1, 1)]),
    shapely.Point(1, 2, 3),
    shapely.LineString([(0, 0, 1), (1, 1, 2)]),
    shapely.set_srid(shapely.Point(7, 8), 4547),
]


def test_every_kind_of_geometry_comes_back_identical() -> None:
    table = GeometryTable()
    geometries = np.array([*KINDS, None, *KINDS[::-1]], dtype=object)
    slots = table.slots(geometries)
    read = read_geometries(table.stored())[slots]
    assert read[len(KINDS)] is None
    kept = np.delete(np.arange(len(geometries)), len(KINDS))
    assert all(shapely.equals_identical(read[kept], geometries[kept]))
    assert [shapely.get_type_id(g) for g in read[kept]] == [
        shapely.get_type_id(g) for g in geometries[kept]
    ]
    assert shapely.get_srid(read[len(KINDS) - 1]) == 4547
    assert read[0] is read[-1]  # a geometry met twice is stored, and read back, once


def test_only_arrays_of_geometries_and_none_are_taken_as_geometries() -> None:
    assert holds_geometries(np.array([shapely.Point(0, 0), None], dtype=object))
    assert not holds_geometries(np.array([None, None], dtype=object))
    assert not holds_geometries(np.array([shapely.Point(0, 0), "a"], dtype=object))
    assert not holds_geometries(np.array([1.0, 2.0]))
    assert not holds_geometries(np.array([], dtype=object))
