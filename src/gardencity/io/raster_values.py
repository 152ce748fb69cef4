"""Pixel values of a class raster's file and how many pixels hold each, counted once in a
process: the pass that counts a canopy's classes per zone reads every strip of the file
anyway, so it counts the values too (:func:`value_tally`), and validation's count of the
values (canopy values outside the declared classes) takes them from there
(:func:`counted_values`) rather than decompressing the file a second time."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from gardencity.io.raster import Raster, RasterFile

__all__ = ["ValueTally", "count_values", "counted_values", "value_tally"]

#: files whose values were counted in this process, newest last: (path, size, mtime) -> counts
_COUNTED: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
_KEEP = 4


def _file_key(raster: Raster) -> tuple[str, int, int] | None:
    """The raster's file as it is now, where its values can be tallied: a file of 8- or
    16-bit unsigned integers."""
    dtype = raster.dtype
    if not isinstance(raster, RasterFile) or "array" in raster.__dict__:
        return None
    if not (np.issubdtype(dtype, np.unsignedinteger) and dtype.itemsize <= 2):
        return None
    try:
        stat = raster.path.stat()
    except OSError:
        return None
    return str(raster.path.resolve()), stat.st_size, stat.st_mtime_ns


#: pixels counted at once: the comparisons' masks and a bincount's eight bytes a pixel stay
#: small, whatever the strip a pass reads
_CHUNK_PIXELS = 1 << 18


def count_values(strip: np.ndarray, counts: np.ndarray) -> None:
    """Add the pixels of each value in ``strip`` (rows of a raster) to ``counts``, a few rows
    at a time: the values already seen are counted one comparison each (a class raster holds
    a handful), the rows are bincounted only where they hold a value not seen before."""
    step = max(1, _CHUNK_PIXELS // max(1, strip.shape[-1]))
    for row in range(0, strip.shape[0], step):
        _count_chunk(strip[row : row + step], counts)


def _count_chunk(chunk: np.ndarray, counts: np.ndarray) -> None:
    seen = np.flatnonzero(counts)
    if 0 < len(seen) <= 8:
        found = [np.count_nonzero(chunk == value) for value in seen]
        if sum(found) == chunk.size:
            counts[seen] += found
            return
    counts += np.bincount(chunk.ravel(), minlength=len(counts))


def _values(raster: Raster, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = counts.copy()
    if raster.nodata is not None and 0 <= raster.nodata < len(counts):
        counts[int(raster.nodata)] = 0
    values = np.flatnonzero(counts)
    return values, counts[values]


def counted_values(raster: Raster) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct valid pixel values of ``raster``'s file and their counts, where a pass
    over the whole file counted them in this process (the file unchanged since); else None."""
    key = _file_key(raster)
    counts = None if key is None else _COUNTED.get(key)
    return None if counts is None else _values(raster, counts)


class ValueTally:
    """The pixel values of a raster's file counted strip by strip (:meth:`add`) as another
    pass reads them; once every pixel has been added exactly once, :meth:`done` keeps the
    counts for :func:`counted_values`."""

    def __init__(self, key: tuple[str, int, int], dtype: np.dtype[np.unsignedinteger]) -> None:
        self._key = key
        self.counts = np.zeros(1 << (8 * dtype.itemsize), dtype=np.int64)

    def add(self, strip: np.ndarray) -> None:
        """Count the pixels of ``strip`` (whole rows of the raster)."""
        count_values(strip, self.counts)

    def done(self) -> None:
        """Every pixel of the file has been added once: keep the counts."""
        _COUNTED[self._key] = self.counts
        _COUNTED.move_to_end(self._key)
        while len(_COUNTED) > _KEEP:
            _COUNTED.popitem(last=False)


def value_tally(raster: Raster) -> ValueTally | None:
    """A tally of ``raster``'s pixel values for a pass that reads its whole file, where they
    are worth counting (a file of 8- or 16-bit classes) and not counted already."""
    key = _file_key(raster)
    if key is None or key in _COUNTED:
        return None
    return ValueTally(key, raster.dtype)
