"""The canopy raster's values are checked strip by strip: never the whole raster at once."""

from __future__ import annotations

import sys
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


def test_canopy_values_counted_by_another_process_give_the_same_problems(
    demo_city: Path, tmp_path: Path
) -> None:
    import multiprocessing
    import shutil
    from concurrent.futures import ProcessPoolExecutor

    city = tmp_path / "city"
    shutil.copytree(demo_city, city)
    config = city / "city.toml"  # grass pixels are no longer a declared class: one problem
    config.write_text(config.read_text(encoding="utf-8").replace("grass = 3\n", ""), "utf-8")
    here = validate_setup.raster_content_problems(Workspace.open(city))
    assert [p.layer for p in here] == ["canopy"]
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        ws = Workspace.open(city)
        beside = validate_setup.start_raster_content_problems(ws, pool)()
    assert beside == here
