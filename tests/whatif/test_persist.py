"""A what-if engine saved with its run answers, in a fresh process, as the engine it was saved
from; a saved engine of other data is not used."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from gardencity.whatif import IncrementalAssessment
from gardencity.whatif.persist import STATE_FILE, load_engine, save_engine

NEW_PARK = shapely.Point(481_000, 3_791_000).buffer(150)


def _what_if(engine: IncrementalAssessment) -> list[Any]:
    """Values and statuses after a park and a shaded road; the engine as it was after."""
    centre = engine.zones.geometry.iloc[0].centroid
    road = shapely.LineString([(centre.x - 400, centre.y), (centre.x + 400, centre.y)])
    park, shade = engine.add_park(NEW_PARK), engine.shade_road(road)
    try:
        now = engine.assessment()
        return [(r.id, r.value, r.status, r.by_district) for r in now.indicators]
    finally:
        engine.remove_park(park)
        engine.unshade_road(shade)


def test_a_saved_engine_answers_exactly_as_the_one_it_was_saved_from(
    demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    engine = IncrementalAssessment(demo_city, base=demo_assessment)
    path = save_engine(engine, tmp_path / STATE_FILE)
    loaded = load_engine(path, demo_city)
    assert loaded is not None and loaded is not engine
    assert "canopy" not in loaded.inputs._values  # rasters are read again, not saved
    canopy = loaded.workspace.load_raster("canopy")
    assert canopy is not None and "array" not in canopy.__dict__  # not even read yet
    referred = [
        found[1]["canopy"]
        for key, found in loaded.inputs.data_needs.items()
        if key.startswith("gap:") and "canopy" in found[1]
    ]
    assert referred and all(raster is canopy for raster in referred)  # by reference only
    assert _what_if(loaded) == _what_if(engine)
    assert _what_if(loaded) == _what_if(engine)  # and again after its edits were taken out


def test_a_saved_engine_of_other_data_is_not_loaded(
    demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "city"
    shutil.copytree(demo_city, copy)
    path = save_engine(IncrementalAssessment(copy, base=demo_assessment), tmp_path / STATE_FILE)
    assert load_engine(path, copy) is not None
    toml = copy / "city.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_engine(path, copy) is None
    assert load_engine(tmp_path / "missing.pickle", copy) is None


def test_a_state_of_an_earlier_format_or_cut_short_is_not_loaded(
    demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    engine = IncrementalAssessment(demo_city, base=demo_assessment)
    path = save_engine(engine, tmp_path / STATE_FILE)
    with path.open("rb") as saved:
        header = pickle.load(saved)
        body = saved.read()
    earlier = tmp_path / "earlier.pickle"  # the header of the format before this one
    earlier.write_bytes(pickle.dumps((header[0] - 1, *header[1:])) + body)
    assert load_engine(earlier, demo_city) is None
    # this format's header on an engine pickled whole, as earlier formats had it
    whole = tmp_path / "whole.pickle"
    whole.write_bytes(pickle.dumps(header) + pickle.dumps({"engine": [1.0, "pickled whole"]}))
    assert load_engine(whole, demo_city) is None
    for cut_at in (len(body) // 2, len(body) - 1, 3):
        cut = tmp_path / f"cut-{cut_at}.pickle"
        cut.write_bytes(pickle.dumps(header) + body[:cut_at])
        assert load_engine(cut, demo_city) is None
    assert load_engine(path, demo_city) is not None


def test_geometries_met_in_several_places_are_read_back_once(
    demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    engine = IncrementalAssessment(demo_city, base=demo_assessment)
    loaded = load_engine(save_engine(engine, tmp_path / STATE_FILE), demo_city)
    assert loaded is not None
    pieces = loaded._states[loaded._spec_state["park_service_coverage"]].pieces
    saved = engine._states[engine._spec_state["park_service_coverage"]].pieces
    assert saved.tree.geometries[0] is saved.geoms[0]
    assert pieces.tree.geometries[0] is pieces.geoms[0]  # the index over the same pieces
    assert len(pieces.geoms) == len(saved.geoms)


def test_the_first_what_if_of_a_fresh_process_loads_the_runs_engine(
    demo_city: Path, demo_assessment: Any, tmp_path: Path
) -> None:
    """A worker started after the run: its first what-if loads the saved engine and does not
    assess again (run_assessment would fail in that process)."""
    from gardencity.jobs.whatif_fast import incremental_whatif, keep_engine

    copy = tmp_path / "city"
    shutil.copytree(demo_city, copy)
    out = copy / "runs" / "1"
    out.mkdir(parents=True)
    earlier = copy / "runs" / "0"
    earlier.mkdir()
    keep_engine(copy, demo_assessment, earlier)
    keep_engine(copy, demo_assessment, out)
    assert (out / STATE_FILE).is_file()
    assert not (earlier / STATE_FILE).exists()  # only the newest run keeps its engine
    park = json.loads(
        gpd.GeoSeries([NEW_PARK], crs=demo_assessment.zones.crs).to_crs(4326).to_json()
    )["features"][0]["geometry"]
    script = (
        "import sys, json, pathlib, gardencity.assessment as a\n"
        "def refuse(*args, **kwargs): raise SystemExit('assessed again')\n"
        "a.run_assessment = refuse\n"
        "from gardencity.jobs.whatif_fast import incremental_whatif\n"
        "edits = {'parks': [json.loads(sys.argv[2])]}\n"
        "done = incremental_whatif(pathlib.Path(sys.argv[1]), edits)\n"
        "print(json.dumps({r.id: r.value for r in done.indicators}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(copy), json.dumps(park)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    fresh = json.loads(done.stdout.strip().splitlines()[-1])
    in_memory = incremental_whatif(copy, {"parks": [park]})  # the engine kept by keep_engine
    assert fresh == {r.id: r.value for r in in_memory.indicators}
    assert fresh["park_service_coverage"] > demo_assessment.result("park_service_coverage").value
