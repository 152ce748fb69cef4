"""The deterministic synthetic demo city 示范市 (sizes S, M, L and XL).

>>> import tempfile, pathlib
>>> path = generate_demo_city(pathlib.Path(tempfile.mkdtemp()) / "city", "S")
>>> sorted(p.name for p in path.iterdir() if p.is_file())
['canopy.tif', 'city.gpkg', 'city.toml', 'lst.tif', 'stations.csv']
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from gardencity.demo.city import CRS, build_layers
from gardencity.demo.layout import SIZES, plan_city
from gardencity.demo.rasters import write_canopy, write_stations, write_temperature
from gardencity.errors import WorkspaceError
from gardencity.io.workspace import CONFIG_FILE, write_workspace
from gardencity.messages import Catalogue

__all__ = ["generate_demo_city"]
MESSAGES = Catalogue(__package__)

EVIDENCE = {
    "green_system_plan": (
        "docs/绿地系统规划批复.md",
        "# 示范市城市绿地系统规划（2021—2035年）批复\n\n示范市人民政府批复"
        "（示政复〔2022〕18号）。规划明确公园绿地布局、绿线管控和分期实施安排。",
    ),
    "dedicated_funding": (
        "docs/园林绿化专项资金预算.md",
        "# 2025 年度园林绿化建设和维护专项资金\n\n市级财政预算科目"
        "“城市园林绿化建设和维护资金” 2.6 亿元，养护资金按每平方米 12 元列支。",
    ),
    "management_agency": (
        "docs/园林绿化管理机构设置.md",
        "# 示范市园林绿化管理中心\n\n市编委批复设立，正处级公益一类事业单位，"
        "负责全市园林绿化行业管理。",
    ),
}


def generate_demo_city(
    path: str | os.PathLike[str], size: str = "S", *, seed: int = 20221, overwrite: bool = False
) -> Path:
    """Write the demo city workspace of ``size``.

    S ≈ 16 km², M ≈ 100 km², L ≈ 1,000 km² (canopy at 2 m); XL ≈ 1,500 km² (about 370,000
    residential parcels, 8,900 parks, a 1 m canopy raster of 1.6 G pixels, written in strips:
    about 4 minutes and 3 GB of memory to generate).
    """
    if size not in SIZES:
        raise WorkspaceError(MESSAGES.message("unknown_size", size=size))
    root = Path(path)
    if (root / CONFIG_FILE).exists() and not overwrite:
        raise WorkspaceError(MESSAGES.message("workspace_exists", root=root))
    rng = np.random.default_rng([seed, *map(ord, size)])
    plan = plan_city(size)
    demo = build_layers(plan, rng)
    boundary = demo.layers["built_up_area"].geometry.iloc[0]
    staging = Path(
        tempfile.mkdtemp(prefix=".demo-", dir=root.parent if root.parent.exists() else None)
    )
    try:
        write_canopy(
            staging / "canopy.tif",
            boundary,
            demo.zone_types,
            demo.street_bands,
            pixel=SIZES[size].pixel_m,
            crs=CRS,
            rng=rng,
        )
        green = [g for g, kind in demo.zone_types if kind in (1, 2)]
        write_temperature(staging / "lst.tif", boundary, green, crs=CRS, rng=rng)
        write_stations(staging / "stations.csv", rng)
        files: dict[str, str | os.PathLike[str]] = {
            name: staging / name for name in ("canopy.tif", "lst.tif", "stations.csv")
        }
        management: dict[str, dict[str, object]] = {}
        for item, (doc, text) in EVIDENCE.items():
            (staging / Path(doc).name).write_text(text + "\n", encoding="utf-8")
            files[doc] = staging / Path(doc).name
            management[item] = {"status": True, "evidence": [doc]}
        management["research_capacity"] = {
            "status": False,
            "evidence": [],
            "note": "尚未设立园林科研机构",
        }
        config = {
            "city": {
                "name": "示范市",
                "name_en": "Demo City",
                "crs": CRS,
                "standard": "national_ecological_garden_city_2022",
                "region": "north",
                "land_use_scheme": "gb50137",
                "green_space_scheme": "cjjt85_2017",
                "population_source": "示范数据（合成）",
                "data_source": "synthetic",
            },
            "rasters": {
                "canopy": "canopy.tif",
                "land_surface_temperature": "lst.tif",
                "canopy_classes": {"tree": 1, "shrub": 2, "grass": 3},
            },
            "tables": {"weather_stations": "stations.csv"},
            "management": management,
        }
        write_workspace(root, config=config, layers=demo.layers, files=files, overwrite=overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root
