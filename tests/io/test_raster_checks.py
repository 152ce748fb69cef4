"""The canopy raster's values are checked strip by strip: never the whole raster at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gardencity.io import validate_setup
from gardencity.io.workspace import Workspace


def test_canopy_values_are_counted_by_strips_with_the_whole_rasters_counts(
    demo_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.open(demo_city)
    canopy = ws.load_raster("canopy")
    assert canopy is not None
    monkeypatch.setattr(validate_setup, "_COUNT_STRIP_PIXELS", 5000)  # many strips
    values, counts = validate_setup._value_counts(canopy)
    assert "array" not in canopy.__dict__  # the file was read by strips, never held whole
    whole = canopy.array
    expected, expected_counts = np.unique(whole[whole != canopy.nodata], return_counts=True)
    assert values.tolist() == expected.tolist()
    assert counts.tolist() == expected_counts.tolist()
    assert validate_setup.raster_content_problems(ws) == []
