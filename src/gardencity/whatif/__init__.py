"""What-if without a re-run: an assessment that follows drawn parks, residential parcels and
shaded roads, re-evaluating only what an edit changes (see :mod:`gardencity.whatif.engine`)."""

from __future__ import annotations

from gardencity.whatif.engine import MEASURES, IncrementalAssessment
from gardencity.whatif.shade import SHADE_HALF_WIDTH_M

__all__ = ["MEASURES", "SHADE_HALF_WIDTH_M", "IncrementalAssessment"]
