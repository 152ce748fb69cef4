"""Rasters per zone: pixel counts by class and pixel sums (a pixel is in a zone when its
centre is, GDAL's rule)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from affine import Affine
from rasterio import features

from gardencity.errors import MixedCrsError
from gardencity.io.raster import Raster
from gardencity.io.raster_values import ValueTally, value_tally
from gardencity.io.threads import helper_executor, prepared_copies, work_pool
from gardencity.messages import Catalogue

__all__ = [
    "PixelMask",
    "band_rings",
    "raster_class_counts",
    "raster_zone_sums",
    "require_raster_crs",
]
MESSAGES = Catalogue(__package__)


def require_raster_crs(raster: Raster, zones: gpd.GeoDataFrame, name: str) -> None:
    if zones.crs is None or raster.crs != zones.crs:
        raise MixedCrsError(
            MESSAGES.message(
                "raster_crs_differs",
                name=name,
                raster_crs=raster.crs.name,
                zones_crs=getattr(zones.crs, "name", None),
                target=zones.crs,
            )
        )


class PixelMask:
    """Where a raster holds one value, packed eight pixels to a byte, for point look-ups.

    Built strip by strip (``strip_rows`` rows read at a time, a strip per thread of
    :func:`~gardencity.toolkit.overlap.work_threads`), so memory is a strip per thread plus an
    eighth of a byte per pixel; a look-up is then
    two array reads, where asking the raster for millions of scattered pixels sorts them by
    block at every call.

    Examples
    --------
    >>> from affine import Affine
    >>> from pyproj import CRS
    >>> raster = Raster(np.array([[1, 0, 1], [2, 1, 255]], dtype=np.uint8),
    ...     Affine(1, 0, 0, 0, -1, 2), CRS.from_epsg(4547), nodata=255)
    >>> mask = PixelMask(raster, 1)
    >>> mask.at_xy(np.array([0.5, 1.5, 1.5, 2.5, 9.0]), np.array([1.5, 1.5, 0.5, 1.5, 1.0]))
    array([ True, False,  True,  True, False])
    """

    def __init__(self, raster: Raster, value: int, *, strip_rows: int = 1024) -> None:
        rows, cols = raster.shape
        self.shape = (rows, cols)
        self.inverse = ~raster.transform
        self.bits = np.empty((rows, (cols + 7) // 8), dtype=np.uint8)

        def pack(start: int) -> None:  # each strip read on its own (the file opened per read)
            block = raster.read(start, min(start + strip_rows, rows))
            self.bits[start : start + block.shape[0]] = np.packbits(block == value, axis=1)

        # reading and packing release the GIL
        with work_pool() as pool:
            list(pool.map(pack, range(0, rows, strip_rows)))
        self._flat = self.bits.reshape(-1)

    def at_xy(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """Whether the pixel under each point holds the value (False outside the raster)."""
        inv = self.inverse
        if inv.b == 0 and inv.d == 0:  # a north-up raster: the zero terms change no pixel
            col, row = _pixel_index(x, inv.a, inv.c), _pixel_index(y, inv.e, inv.f)
        else:
            col = np.floor(inv.a * x + inv.b * y + inv.c).astype(np.int64)
            row = np.floor(inv.d * x + inv.e * y + inv.f).astype(np.int64)
        rows, cols = self.shape
        # negative indices seen as unsigned are beyond any raster
        ok = (row.view(np.uint64) < rows) & (col.view(np.uint64) < cols)
        if not ok.all():
            hit = np.zeros(len(x), dtype=bool)
            hit[ok] = self._bits_at(row[ok], col[ok])
            return hit
        return self._bits_at(row, col)

    def _bits_at(
        self, row: npt.NDArray[np.int64], col: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        flat = row * self.bits.shape[1]
        flat += col >> 3
        byte = self._flat.take(flat)
        return np.left_shift(byte, (col & 7).astype(np.uint8)) >= 128


def _pixel_index(
    coord: npt.NDArray[np.float64], scale: float, shift: float
) -> npt.NDArray[np.int64]:
    """``floor(scale × coord + shift)`` as whole numbers (one working array)."""
    index = np.multiply(coord, scale)
    index += shift
    np.floor(index, out=index)
    return index.astype(np.int64)


def _strips(raster: Raster, rows: int) -> Iterator[tuple[int, int, Affine]]:
    height = raster.shape[0]
    for start in range(0, height, rows):
        stop = min(start + rows, height)
        yield start, stop, raster.transform @ Affine.translation(0, start)


def _pixel_window(raster: Raster, geom: shapely.Geometry) -> tuple[int, int, int, int]:
    """Rows and columns ``(r0, r1, c0, c1)`` holding every pixel whose centre may lie in ``geom``.

    One pixel of margin on each side; the whole raster if the transform is rotated.
    """
    height, width = raster.shape
    t = raster.transform
    if geom is None or geom.is_empty:
        return 0, 0, 0, 0
    if t.b != 0 or t.d != 0:
        return 0, height, 0, width
    x0, y0, x1, y1 = shapely.bounds(geom)
    cols = sorted(((x0 - t.c) / t.a, (x1 - t.c) / t.a))
    rows = sorted(((y0 - t.f) / t.e, (y1 - t.f) / t.e))
    c0 = int(max(0, min(width, np.floor(cols[0]) - 1)))
    c1 = int(max(0, min(width, np.ceil(cols[1]) + 1)))
    r0 = int(max(0, min(height, np.floor(rows[0]) - 1)))
    r1 = int(max(0, min(height, np.ceil(rows[1]) + 1)))
    return r0, r1, c0, c1


def raster_class_counts(
    raster: Raster,
    zones: gpd.GeoDataFrame,
    class_values: Sequence[int],
    *,
    strip_rows: int = 1024,
) -> pd.DataFrame:
    """Per zone: the number of valid pixels (``valid``) and of pixels of each class value.

    A pixel is in a zone when its centre is (GDAL's rule, as ``rasterio.features`` applies it);
    ``nodata`` and NaN pixels are not valid and count for no class. Non-integer rasters are
    truncated to integers and clipped to 0–255 first, as :func:`raster_zone_sums` does. Each
    zone is rasterised on its own, only over the pixel window of its bounds and strip by
    strip, so zones may overlap and memory stays bounded by the strip size.

    Columns: ``valid``, then one per class value (its integer, in the order given).

    >>> import shapely
    >>> from affine import Affine
    >>> from pyproj import CRS
    >>> array = np.array([[1, 1, 2, 255], [0, 3, 1, 2]], dtype=np.uint8)
    >>> raster = Raster(array, Affine(1, 0, 0, 0, -1, 2), CRS.from_epsg(4547), nodata=255)
    >>> zones = gpd.GeoDataFrame(index=["all", "left"], crs=4547,
    ...     geometry=[shapely.box(0, 0, 4, 2), shapely.box(0, 0, 2, 2)])
    >>> raster_class_counts(raster, zones, [1, 2]).to_dict("index")
    {'all': {'valid': 7, 1: 3, 2: 2}, 'left': {'valid': 4, 1: 2, 2: 0}}
    """
    values = [int(v) for v in class_values]
    counts = np.zeros((len(zones), 1 + len(values)), dtype=np.int64)
    windows = [_pixel_window(raster, geom) for geom in zones.geometry.to_numpy()]
    used = [i for i, (r0, r1, c0, c1) in enumerate(windows) if r1 > r0 and c1 > c0]
    if not used:
        return pd.DataFrame(counts, index=zones.index, columns=["valid", *values])
    top, bottom = min(windows[i][0] for i in used), max(windows[i][1] for i in used)
    left, right = min(windows[i][2] for i in used), max(windows[i][3] for i in used)
    geoms = prepared_copies(zones.geometry.to_numpy())
    # strips of whole blocks of the file, each block decompressed once
    rows = raster.strip_rows(strip_rows * raster.shape[1])
    first = top // raster.block_rows * raster.block_rows
    # one pass over the raster in strips; every zone counted over its own columns in each
    # where the values of the whole file are worth counting, they are counted on the way
    tally = value_tally(raster)
    strips = (
        raster.strips(rows, first, bottom, left, right)
        if tally is None
        else _tallied_strips(raster, tally, rows, (first, bottom, left, right))
    )
    for start, strip in _read_ahead(strips):
        chunks = _StripChunks(raster, strip, start, left, values)
        for i in used:
            r0, r1, c0, c1 = windows[i]
            a, b = max(r0, start), min(r1, chunks.stop)
            if b > a:
                counts[i] += chunks.counts_in(geoms[i], a, b, c0, c1)
    return pd.DataFrame(counts, index=zones.index, columns=["valid", *values])


def _tallied_strips(
    raster: Raster, tally: ValueTally, rows: int, window: tuple[int, int, int, int]
) -> Iterator[tuple[int, np.ndarray]]:
    """The strips of ``rows`` rows over the window (``first, bottom, left, right``) that
    :meth:`Raster.strips` gives, each read whole-width and every row above and below the
    window read too, so that ``tally`` counts the value of every pixel of the file once."""
    first, bottom, left, right = window
    for _, strip in raster.strips(rows, 0, first):
        tally.add(strip)
    for start, strip in raster.strips(rows, first, bottom):
        tally.add(strip)
        yield start, strip[:, left:right]
    for _, strip in raster.strips(rows, bottom, raster.shape[0]):
        tally.add(strip)
    tally.done()


def _read_ahead(strips: Iterator[tuple[int, np.ndarray]]) -> Iterator[tuple[int, np.ndarray]]:
    """The strips of ``strips``, the next one read on a thread while the caller counts this
    one (reading a file's strip releases the interpreter): two strips in memory at most."""
    with helper_executor() as pool:
        ahead = pool.submit(next, strips, None)
        while (strip := ahead.result()) is not None:
            ahead = pool.submit(next, strips, None)
            yield strip


_CHUNK_COLS = 1024  # columns of a chunk judged at once: wholly inside a zone, or not


class _StripChunks:
    """Class counts of a strip's pixels inside zones, by chunks of columns on one grid for
    every zone (multiples of ``_CHUNK_COLS``), so that a chunk wholly inside two zones (the
    built-up area and its district) is counted once."""

    def __init__(
        self, raster: Raster, strip: np.ndarray, start: int, left: int, values: list[int]
    ) -> None:
        self.raster, self.strip, self.start, self.left = raster, strip, start, left
        self.stop = start + strip.shape[0]
        self.values = values
        self._whole: dict[tuple[int, int, int, int], npt.NDArray[np.int64]] = {}

    def counts_in(
        self, geom: shapely.Geometry, row0: int, row1: int, col0: int, col1: int
    ) -> npt.NDArray[np.int64]:
        """Class counts of rows ``row0:row1``, columns ``col0:col1`` inside ``geom``.

        Chunks wholly inside the zone, a pixel to spare on every side, are counted as they
        are, chunks wholly outside left out, the others rasterised (the same pixels: every
        centre is inside, or none)."""
        total = np.zeros(1 + len(self.values), dtype=np.int64)
        if not self._north_up():
            return total + self._rasterised(geom, row0, row1, col0, col1)
        starts, stops = _cuts(col0, col1, _CHUNK_COLS)
        whole, outside = self._where(geom, row0, row1, starts, stops)
        # the whole zone rasterised, not a cut of it: a cut's new vertices would move the
        # edges by a rounding, and a pixel centre on an edge could change sides
        for at in np.flatnonzero(~whole & ~outside):
            total += self._rasterised(geom, row0, row1, int(starts[at]), int(stops[at]))
        for at in np.flatnonzero(whole):
            total += self._whole_chunk(row0, row1, int(starts[at]), int(stops[at]))
        return total

    def _north_up(self) -> bool:
        t = self.raster.transform
        return bool(t.b == 0 and t.d == 0)

    def _where(
        self,
        geom: shapely.Geometry,
        row0: int,
        row1: int,
        col0: npt.NDArray[np.int64],
        col1: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Which blocks hold only pixel centres inside ``geom``, which only outside (judged
        on the block's extent with a pixel to spare on every side)."""
        boxes = shapely.box(*self._extent(row0, row1, col0, col1, margin=1))
        return shapely.contains_properly(geom, boxes), ~shapely.intersects(geom, boxes)

    def _extent(
        self, row0: Any, row1: Any, col0: Any, col1: Any, margin: int
    ) -> tuple[Any, Any, Any, Any]:
        t = self.raster.transform
        xs0, xs1 = t.c + (col0 - margin) * t.a, t.c + (col1 + margin) * t.a
        ys0, ys1 = t.f + (row0 - margin) * t.e, t.f + (row1 + margin) * t.e
        return (np.minimum(xs0, xs1), np.minimum(ys0, ys1), np.maximum(xs0, xs1),
                np.maximum(ys0, ys1))  # fmt: skip

    def _block(self, row0: int, row1: int, col0: int, col1: int) -> np.ndarray:
        rows, cols = row0 - self.start, col0 - self.left
        return self.strip[rows : rows + row1 - row0, cols : cols + col1 - col0]

    def _whole_chunk(self, row0: int, row1: int, col0: int, col1: int) -> npt.NDArray[np.int64]:
        key = (row0, row1, col0, col1)
        found = self._whole.get(key)
        if found is None:
            block = self._block(row0, row1, col0, col1)
            found = self._whole[key] = _class_counts(block, None, self.raster.nodata, self.values)
        return found

    def _rasterised(
        self, geom: shapely.Geometry, row0: int, row1: int, col0: int, col1: int
    ) -> npt.NDArray[np.int64]:
        block = self._block(row0, row1, col0, col1)
        if self._north_up():  # GDAL walks every edge on every row: only the band's edges
            t = self.raster.transform
            y0, y1 = t.f + (row0 - 1) * t.e, t.f + (row1 + 1) * t.e  # a pixel to spare
            geom = band_rings(geom, min(y0, y1), max(y0, y1), t.c + (col1 + 16) * t.a)
        if geom is None:
            return np.zeros(1 + len(self.values), dtype=np.int64)
        inside = features.rasterize(
            [(geom, 1)],
            out_shape=block.shape,
            transform=self.raster.transform @ Affine.translation(col0, row0),
            fill=0,
            dtype=np.uint8,
        ).view(bool)
        return _class_counts(block, inside, self.raster.nodata, self.values)


def band_rings(
    geom: shapely.Geometry, y_lo: float, y_hi: float, x_far: float
) -> shapely.Geometry | None:
    """The edges of ``geom``'s rings that reach the band ``y_lo ≤ y ≤ y_hi``, as polygons that
    GDAL fills as it fills ``geom`` on every scan line inside the band, left of ``x_far``
    (None where no edge reaches the band).

    GDAL fills each polygon scan line by scan line between the sorted crossings of its rings'
    edges, each crossing computed from its edge's two vertices alone, so an edge that does not
    reach the band adds nothing there. Each run of consecutive edges that reach it is kept
    with its own vertices, closed outside the band: back to its start where both ends lie on
    one side of the band, else by a detour through ``x = x_far``, which adds crossings only
    there, to the right of every crossing that is filled left of it. A polygon's runs are the
    rings of one polygon (filled together, as its rings are). GDAL fills a horizontal edge
    by rules of its own (they depend on more than the edge), so where a horizontal edge
    reaches the band, ``geom`` itself is given back.

    >>> square = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    >>> band_rings(square, 2.0, 3.0, 20.0).wkt
    'MULTIPOLYGON (((10 0, 10 10, 20 10, 20 0, 10 0), (0 10, 0 0, 20 0, 20 10, 0 10)))'
    """
    polygons = []
    for polygon in shapely.get_parts(geom):
        runs = [_band_runs(ring, y_lo, y_hi, x_far) for ring in shapely.get_rings(polygon)]
        if any(r is None for r in runs):
            return geom
        parts = [p for r in runs if r is not None for p in r]
        if parts:
            rings = shapely.linearrings(
                np.vstack(parts), indices=np.repeat(np.arange(len(parts)), [len(p) for p in parts])
            )
            polygons.append(shapely.polygons(rings[0], holes=rings[1:]))
    return shapely.multipolygons(polygons) if polygons else None


def _band_runs(
    ring: shapely.Geometry, y_lo: float, y_hi: float, x_far: float
) -> list[npt.NDArray[np.float64]] | None:
    """The closed runs of :func:`band_rings` of one ring (the ring itself where every edge
    reaches the band; None where a horizontal edge does)."""
    xy = shapely.get_coordinates(ring)
    y = xy[:, 1]
    reach = (np.minimum(y[:-1], y[1:]) <= y_hi) & (np.maximum(y[:-1], y[1:]) >= y_lo)
    if (reach & (y[:-1] == y[1:])).any():
        return None
    if reach.all():
        return [xy]
    n = len(reach)  # edge i runs from vertex i to vertex i + 1; vertex n is vertex 0
    starts = np.flatnonzero(reach & ~np.roll(reach, 1))
    ends = np.flatnonzero(reach & ~np.roll(reach, -1))
    if len(starts):
        ends = np.roll(ends, -int(np.searchsorted(ends, starts[0])))  # each start's own end
    runs = []
    for start, end in zip(starts, ends, strict=True):
        run = xy[np.arange(start, start + (end - start) % n + 2) % n]
        first, last = run[0], run[-1]
        if (first[1] > y_hi) != (last[1] > y_hi):
            run = np.vstack([run, [(x_far, last[1]), (x_far, first[1])]])
        runs.append(np.vstack([run, run[:1]]))
    return runs


def _cuts(first: int, stop: int, size: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``first:stop`` cut at the multiples of ``size``: the starts and stops of the pieces."""
    inner = np.arange((first // size + 1) * size, stop, size)
    return np.r_[first, inner], np.r_[inner, stop]


def _class_counts(
    block: np.ndarray,
    inside: npt.NDArray[np.bool_] | None,
    nodata: float | None,
    values: list[int],
) -> npt.NDArray[np.int64]:
    """Valid pixels of ``block`` inside (every pixel if ``inside`` is None), then the pixels
    of each class value among them."""
    byte = np.issubdtype(block.dtype, np.integer) and block.dtype.itemsize == 1
    if inside is None and byte:
        masked = nodata is not None and not np.isnan(nodata)
        n_valid = block.size - (np.count_nonzero(block == nodata) if masked else 0)
        each = [0 if masked and v == nodata else np.count_nonzero(block == v) for v in values]
        return np.array([n_valid, *each], dtype=np.int64)
    if inside is None:
        inside = np.ones(block.shape, dtype=bool)
    if byte:
        if nodata is not None and not np.isnan(nodata):
            inside = inside & (block != nodata)
        return np.array(
            [np.count_nonzero(inside), *(np.count_nonzero((block == v) & inside) for v in values)],
            dtype=np.int64,
        )
    valid = np.ones(block.shape, dtype=bool)
    if nodata is not None:
        valid &= block != nodata
    if np.issubdtype(block.dtype, np.floating):
        valid &= ~np.isnan(block)
    inside = inside & valid
    codes = np.where(valid, block, 0).astype(np.int64).clip(0, 255)
    return np.array(
        [np.count_nonzero(inside), *(np.count_nonzero((codes == v) & inside) for v in values)],
        dtype=np.int64,
    )


def raster_zone_sums(
    raster: Raster,
    zones: gpd.GeoDataFrame,
    values: npt.NDArray[np.float64] | None = None,
    *,
    strip_rows: int = 2048,
) -> pd.DataFrame:
    """Per zone: ``count`` of valid pixels and ``sum`` of ``values`` (or of the raster) over them.

    ``values`` maps each pixel value (0–255 for categorical rasters) to a number, e.g. 1 for
    vegetated classes. Zones may overlap (the built-up area contains the districts): each is
    rasterised on its own per strip, so memory is bounded by the strip size. For class counts of
    a categorical raster, :func:`raster_class_counts` is much faster.

    Parameters
    ----------
    raster
        The raster, in the zones' CRS.
    zones
        The zones.
    values
        Optional lookup from pixel value to number; without it the pixel values are summed.
    strip_rows
        Rows read at a time.

    Returns
    -------
    DataFrame
        Indexed like ``zones``: ``count`` and ``sum``.

    Examples
    --------
    >>> import shapely
    >>> from pyproj import CRS
    >>> t = Raster(np.array([[30.0, 32.0], [np.nan, 34.0]]), Affine(1, 0, 0, 0, -1, 2),
    ...     CRS.from_epsg(4547))
    >>> zones = gpd.GeoDataFrame(index=["built_up_area"], crs=4547,
    ...     geometry=[shapely.box(0, 0, 2, 2)])
    >>> raster_zone_sums(t, zones).to_dict("index")
    {'built_up_area': {'count': 3.0, 'sum': 96.0}}
    """
    n_zones = len(zones)
    counts = np.zeros(n_zones)
    sums = np.zeros(n_zones)
    zone_geoms = list(zones.geometry.to_numpy())
    for start, stop, transform in _strips(raster, strip_rows):
        block = raster.read(start, stop)
        valid = np.ones(block.shape, dtype=bool)
        if raster.nodata is not None:
            valid &= block != raster.nodata
        if np.issubdtype(block.dtype, np.floating):
            valid &= ~np.isnan(block)
        if values is not None:
            pixel_values = values[block.astype(np.int64).clip(0, len(values) - 1)]
        else:
            pixel_values = block.astype(float)
        for i, geom in enumerate(zone_geoms):
            mask = features.geometry_mask(
                [geom], out_shape=block.shape, transform=transform, invert=True
            )
            sel = mask & valid
            counts[i] += sel.sum()
            sums[i] += pixel_values[sel].sum()
    return pd.DataFrame({"count": counts, "sum": sums}, index=zones.index)
