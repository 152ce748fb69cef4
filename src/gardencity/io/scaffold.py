"""``gardencity init``: an empty workspace to fill layer by layer.

It writes only ``city.toml`` (name, working CRS, standard, and the optional sections as
comments to fill in); the layers are added with ``gardencity import-layer``, which creates
``city.gpkg``. Until then ``gardencity validate`` lists what is missing and how to add it.
"""

from __future__ import annotations

import os
from pathlib import Path

import tomli_w

from gardencity.errors import StandardError, WorkspaceError
from gardencity.io.crs import parse_crs
from gardencity.io.layers import LAYERS
from gardencity.messages import Catalogue
from gardencity.standards import list_standards, load_standard

__all__ = ["init_workspace", "next_steps"]
MESSAGES = Catalogue(__package__)

_TEMPLATE = """
# Optional sections (remove the # to use them; see docs/architecture.md §Workspace):
# [rasters]
# canopy = "canopy.tif"                  # categorical canopy raster, classes below
# land_surface_temperature = "lst.tif"   # °C
# [rasters.canopy_classes]
# tree = 1
# shrub = 2
# grass = 3
# [tables]
# weather_stations = "stations.csv"
# [management.green_system_plan]
# status = true
# evidence = ["docs/绿地系统规划批复.pdf"]
"""


def init_workspace(
    path: str | os.PathLike[str],
    *,
    name: str,
    crs: str,
    standard: str = "national_ecological_garden_city_2022",
    name_en: str = "",
) -> Path:
    """Create the folder (if needed) and its city.toml; refuse to touch an existing workspace."""
    root = Path(path)
    if (root / "city.toml").exists():
        raise WorkspaceError(
            MESSAGES.message("init_already_workspace", root=root, config=root / "city.toml")
        )
    if root.exists() and not root.is_dir():
        raise WorkspaceError(MESSAGES.message("init_root_is_file", root=root))
    if not name.strip():
        raise WorkspaceError(MESSAGES.message("init_name_empty"))
    working = parse_crs(crs)
    _check_standard(standard, root)
    epsg = working.to_epsg()
    city = {
        "name": name.strip(),
        "name_en": name_en,
        "crs": f"EPSG:{epsg}" if epsg else working.to_wkt(),
        "standard": standard,
        "population_source": "",
    }
    root.mkdir(parents=True, exist_ok=True)
    text = tomli_w.dumps({"city": city}) + _TEMPLATE
    tmp = root / ".city.toml.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, root / "city.toml")
    return root


def _check_standard(standard: str, root: Path) -> None:
    candidate = root / standard
    try:
        load_standard(str(candidate) if candidate.is_file() else standard)
    except StandardError as exc:
        raise StandardError(
            MESSAGES.message(
                "init_unknown_standard",
                problem=exc.message or str(exc),
                known=[s.id for s in list_standards()],
            )
        ) from None


def next_steps(root: Path, lang: str = "en") -> list[str]:
    """The commands that fill the new workspace, required layers first."""
    required = [n for n, s in LAYERS.items() if s.required]
    optional = [n for n, s in LAYERS.items() if not s.required]
    file_word = MESSAGES.text("next_file", lang)
    lines = [f"gardencity import-layer {root} {n} {file_word}" for n in required]
    lines.insert(0, MESSAGES.text("next_required", lang))
    lines.append(MESSAGES.text("next_optional", lang, optional=", ".join(optional)))
    lines.append(MESSAGES.text("next_then", lang, root=root))
    return lines
