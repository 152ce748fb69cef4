"""The measure toolkit: the geometry and result helpers that the measures, the what-if engine,
planning and inspection share.

Everything here is public and documented; import from the package
(``from gardencity.toolkit import TiledCover``) or from the module that defines it.

* :mod:`~gardencity.toolkit.zonal`: zones (``CITY_ZONE``), features cut by zone, areas per
  zone, the district of a feature;
* :mod:`~gardencity.toolkit.cover`: ``TiledCover``, the union of many polygons tile by tile,
  ``polygon_parts``, the polygons with area in any geometries, and ``components``, the
  connected components of a graph (numpy alone);
* :mod:`~gardencity.toolkit.editable`: ``EditableCover``, a tiled union polygons join and leave;
* :mod:`~gardencity.toolkit.overlap`: ``areas_in_union``, many small polygons inside a union,
  ``clip_to_rects``, geometries cut to rectangles, and ``box_pairs``, the pairs of polygons
  whose boxes meet (``BoxPairs``: against the same polygons again and again);
* :mod:`~gardencity.toolkit.corridor_bounds`: ``red_line_corridors``, roads' red-line
  corridors (``red_line_rows`` and ``red_line_buffers``: which to make, and making them),
  and ``corridor_cover_settled``, those surely more or less covered by a union than a
  threshold, from rectangle clips;
* :mod:`~gardencity.toolkit.rasters`: pixel counts and sums per zone;
* :mod:`~gardencity.toolkit.cells`: grid cells of polygons as numbers (area, interior point);
* :mod:`~gardencity.toolkit.service`: parks that serve residents, residential pieces, coverage;
* :mod:`~gardencity.toolkit.road_zone_pieces`: road pieces by zone;
* :mod:`~gardencity.toolkit.road_geometry`: points along lines, side bands;
* :mod:`~gardencity.toolkit.classes`: class codes by prefix;
* :mod:`~gardencity.toolkit.checks`: input checks (columns, CRS);
* :mod:`~gardencity.toolkit.results`: a measure's result (ratio, value);
* :mod:`~gardencity.toolkit.shortfall`: figures of a shortfall (remainder, uncovered ha);
* :mod:`~gardencity.toolkit.run`: the run context, intermediates shared within a run;
* :mod:`~gardencity.toolkit.forked`: ``ForkedCalls``, calls computed in short-lived forks.
"""

from __future__ import annotations

from gardencity.toolkit.cells import CellTable, cell_table
from gardencity.toolkit.checks import require_columns, require_projected, require_same_crs
from gardencity.toolkit.classes import matches_classes
from gardencity.toolkit.corridor_bounds import (
    corridor_cover_settled,
    red_line_buffers,
    red_line_corridors,
    red_line_rows,
)
from gardencity.toolkit.cover import TiledCover, components, polygon_parts
from gardencity.toolkit.editable import EditableCover, Tile, per_tile
from gardencity.toolkit.forked import ForkDiedError, ForkedCalls, forked_calls
from gardencity.toolkit.overlap import (
    THREADS_VARIABLE,
    BoxPairs,
    areas_in_union,
    box_pairs,
    work_threads,
)
from gardencity.toolkit.rasters import (
    PixelMask,
    band_rings,
    raster_class_counts,
    raster_zone_sums,
    require_raster_crs,
)
from gardencity.toolkit.results import ratio_result, value_result
from gardencity.toolkit.road_geometry import DEFAULT_RED_LINE_M, LineAxes, side_bins
from gardencity.toolkit.road_zone_pieces import road_piece_axes, road_pieces
from gardencity.toolkit.run import InputSource, RunContext, shared
from gardencity.toolkit.service import (
    band_radius,
    coverage_result,
    covered_areas,
    covered_result,
    eligible_parks,
    per_zone,
    residential_pieces,
)
from gardencity.toolkit.shortfall import remainder, uncovered_ha
from gardencity.toolkit.zonal import (
    CITY_ZONE,
    area_in_zones,
    district_of,
    pieces_by_zone,
    union_area_in_zones,
)

__all__ = [
    "CITY_ZONE",
    "DEFAULT_RED_LINE_M",
    "THREADS_VARIABLE",
    "BoxPairs",
    "CellTable",
    "EditableCover",
    "ForkDiedError",
    "ForkedCalls",
    "InputSource",
    "LineAxes",
    "PixelMask",
    "RunContext",
    "Tile",
    "TiledCover",
    "area_in_zones",
    "areas_in_union",
    "band_radius",
    "band_rings",
    "box_pairs",
    "cell_table",
    "components",
    "corridor_cover_settled",
    "coverage_result",
    "covered_areas",
    "covered_result",
    "district_of",
    "eligible_parks",
    "forked_calls",
    "matches_classes",
    "per_tile",
    "per_zone",
    "pieces_by_zone",
    "polygon_parts",
    "raster_class_counts",
    "raster_zone_sums",
    "ratio_result",
    "red_line_buffers",
    "red_line_corridors",
    "red_line_rows",
    "remainder",
    "require_columns",
    "require_projected",
    "require_raster_crs",
    "require_same_crs",
    "residential_pieces",
    "road_piece_axes",
    "road_pieces",
    "shared",
    "side_bins",
    "uncovered_ha",
    "union_area_in_zones",
    "value_result",
    "work_threads",
]
