"""Rasters (canopy classes, land-surface temperature): held in memory, or read from their file
window by window (a 1 m canopy of a large city is larger than the memory it may take)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from affine import Affine
from pyproj import CRS

from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)

__all__ = ["Raster", "RasterFile", "read_raster"]


@dataclass(frozen=True)
class Raster:
    """A single-band raster held in memory.

    ``array`` is 2-D (rows, cols); ``transform`` maps pixel (col, row) to CRS coordinates;
    ``nodata`` pixels are ignored by every measure. ``classes`` names the pixel values of a
    categorical raster, e.g. ``{"tree": 1, "shrub": 2, "grass": 3}`` for a canopy raster.

    Code that may meet a large raster reads it through :meth:`read`, :meth:`strips` and
    :meth:`values_at`, which a :class:`RasterFile` answers from its file without holding it.
    """

    array: np.ndarray
    transform: Affine
    crs: CRS
    nodata: float | int | None = None
    classes: dict[str, int] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.array.shape
        return int(rows), int(cols)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.array.dtype

    @property
    def pixel_area(self) -> float:
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        rows, cols = self.shape
        t = self.transform
        x0, y0 = t.c, t.f
        x1, y1 = t.c + t.a * cols + t.b * rows, t.f + t.d * cols + t.e * rows
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def read(self, row0: int, row1: int, col0: int = 0, col1: int | None = None) -> np.ndarray:
        """Rows ``row0:row1`` and columns ``col0:col1`` (a view for a raster in memory)."""
        return self.array[row0:row1, col0 : self.shape[1] if col1 is None else col1]

    def strips(
        self,
        rows: int,
        row0: int = 0,
        row1: int | None = None,
        col0: int = 0,
        col1: int | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row, block)`` of at most ``rows`` rows each, over ``row0:row1`` × ``col0:col1``.

        >>> from pyproj import CRS
        >>> r = Raster(np.arange(10).reshape(5, 2), Affine.identity(), CRS.from_epsg(4547))
        >>> [(start, block.tolist()) for start, block in r.strips(2, row1=3)]
        [(0, [[0, 1], [2, 3]]), (2, [[4, 5]])]
        """
        end = self.shape[0] if row1 is None else row1
        for start in range(row0, end, rows):
            yield start, self.read(start, min(start + rows, end), col0, col1)

    def values_at(self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> np.ndarray:
        """The pixel values at ``(rows, cols)`` (all inside the raster)."""
        return self.array[rows, cols]

    @property
    def block_rows(self) -> int:
        """Rows of the blocks the raster is stored in (1 in memory): strips of a multiple of
        it, starting on one, decompress each block of a file once."""
        return 1

    def strip_rows(self, pixels: int) -> int:
        """Rows of a strip of about ``pixels`` pixels (at least one block), a whole number of
        blocks.

        >>> from pyproj import CRS
        >>> Raster(np.zeros((10, 4)), Affine.identity(), CRS.from_epsg(4547)).strip_rows(9)
        2
        """
        rows = max(1, pixels // max(1, self.shape[1]))
        return max(self.block_rows, rows // self.block_rows * self.block_rows)

    def thinned(self, step: int, strip_rows: int = 1024) -> np.ndarray:
        """Every ``step``-th pixel of every ``step``-th row (``array[::step, ::step]``), read
        strip by strip: memory is one strip of about ``strip_rows`` rows (whole blocks of the
        file) and the result.

        >>> from pyproj import CRS
        >>> r = Raster(np.arange(20).reshape(4, 5), Affine.identity(), CRS.from_epsg(4547))
        >>> r.thinned(2, strip_rows=1).tolist()
        [[0, 2, 4], [10, 12, 14]]
        """
        rows = self.strip_rows(strip_rows * self.shape[1])  # whole blocks, each read once
        parts = [block[-start % step :: step, ::step].copy()  # every kept row, not views
                 for start, block in self.strips(rows)]  # fmt: skip
        return np.concatenate(parts) if parts else self.read(0, 0)[:, ::step]


class RasterFile(Raster):
    """A raster left in its file: windows are read as they are asked for, never the whole
    raster at once (unless :attr:`array` is asked for, which reads it all).

    :meth:`values_at` reads the file's blocks that hold the asked pixels, keeping the most
    recently used ones (``cache_bytes`` in all).
    """

    path: Path
    _shape: tuple[int, int]
    _dtype: np.dtype[Any]
    _block: tuple[int, int]
    _cache: OrderedDict[tuple[int, int], np.ndarray]
    _cache_blocks: int

    def __init__(
        self,
        path: Path,
        transform: Affine,
        crs: CRS,
        nodata: float | int | None,
        classes: dict[str, int] | None,
        *,
        shape: tuple[int, int],
        dtype: np.dtype[Any],
        block: tuple[int, int],
        cache_bytes: int = 256 << 20,
    ) -> None:
        for name, value in (
            ("path", Path(path)),
            ("transform", transform),
            ("crs", crs),
            ("nodata", nodata),
            ("classes", classes),
            ("_shape", (int(shape[0]), int(shape[1]))),
            ("_dtype", np.dtype(dtype)),
            ("_block", block),
            ("_cache", OrderedDict()),
            ("_cache_blocks", max(4, cache_bytes // max(1, block[0] * block[1] * dtype.itemsize))),
        ):
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"RasterFile({self.path}, shape={self._shape}, dtype={self._dtype})"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dtype

    @property
    def block_rows(self) -> int:
        return self._block[0]

    @cached_property
    def array(self) -> np.ndarray:
        """The whole raster, read once (only for small rasters or code that needs it all)."""
        return self.read(0, self.shape[0])

    def read(self, row0: int, row1: int, col0: int = 0, col1: int | None = None) -> np.ndarray:
        import rasterio
        from rasterio.windows import Window

        if "array" in self.__dict__:
            return super().read(row0, row1, col0, col1)
        col1 = self.shape[1] if col1 is None else col1
        window = Window(col0, row0, max(col1 - col0, 0), max(row1 - row0, 0))
        with rasterio.open(self.path) as src:
            block: np.ndarray = src.read(1, window=window)
        return block

    def values_at(self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> np.ndarray:
        if "array" in self.__dict__:
            return super().values_at(rows, cols)
        height, width = self._block
        out = np.empty(len(rows), dtype=self.dtype)
        if not len(rows):
            return out
        key = (rows // height) * (self.shape[1] // width + 1) + cols // width
        order = np.argsort(key, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
        for start, stop in zip(starts, np.r_[starts[1:], len(order)], strict=True):
            at = order[start:stop]
            br, bc = int(rows[at[0]] // height), int(cols[at[0]] // width)
            out[at] = self._block_at(br, bc)[rows[at] - br * height, cols[at] - bc * width]
        return out

    def _block_at(self, br: int, bc: int) -> np.ndarray:
        cache = self._cache
        block = cache.get((br, bc))
        if block is None:
            height, width = self._block
            block = self.read(
                br * height,
                min((br + 1) * height, self.shape[0]),
                bc * width,
                min((bc + 1) * width, self.shape[1]),
            )
            cache[(br, bc)] = block
            if len(cache) > self._cache_blocks:
                cache.popitem(last=False)
        else:
            cache.move_to_end((br, bc))
        return block


def read_raster(
    path: str | Path, *, classes: dict[str, int] | None = None, in_memory: bool = True
) -> Raster:
    """Band 1 of a GeoTIFF (or any GDAL raster): read into a :class:`Raster`, or, with
    ``in_memory=False``, a :class:`RasterFile` that reads windows as they are needed."""
    from rasterio.errors import RasterioError

    from gardencity.errors import DataError

    try:
        return _read(path, classes, in_memory)
    except RasterioError as exc:
        raise DataError(
            MESSAGES.message("raster_unreadable", path=path, detail=exc, name=Path(path).name)
        ) from None


def _read(path: str | Path, classes: dict[str, int] | None, in_memory: bool) -> Raster:
    import rasterio

    from gardencity.errors import NoCrsError

    with rasterio.open(path) as src:
        if src.crs is None:
            raise NoCrsError(MESSAGES.message("raster_no_crs", path=path, name=Path(path).name))
        crs = CRS.from_user_input(src.crs)
        if not in_memory:
            block = src.block_shapes[0] if src.block_shapes else (256, src.width)
            return RasterFile(
                Path(path),
                src.transform,
                crs,
                src.nodata,
                classes,
                shape=(src.height, src.width),
                dtype=np.dtype(src.dtypes[0]),
                block=(int(block[0]), int(block[1])),
            )
        return Raster(src.read(1), src.transform, crs, src.nodata, classes)
