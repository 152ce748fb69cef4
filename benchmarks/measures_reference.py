"""The measures as they were before their speed-ups, kept only as the benchmark's reference
(``benchmarks/measures.py`` times them beside the current code and asserts the same values)."""

from __future__ import annotations

from gardencity.indicators.green_space import green_space_ratio
from gardencity.indicators.roads import road_green_compliance, shaded_road_coverage

__all__ = ["green_space_ratio", "road_green_compliance", "shaded_road_coverage"]
