"""The walking network: built once from the roads, shared by every accessibility measure."""

from __future__ import annotations

from gardencity.network.build import WalkGraph, walk_graph_from_roads
from gardencity.network.reach import Snap, multi_source_distances, snap_to_graph, snap_xy

__all__ = [
    "Snap",
    "WalkGraph",
    "multi_source_distances",
    "snap_to_graph",
    "snap_xy",
    "walk_graph_from_roads",
]
