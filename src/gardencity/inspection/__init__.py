"""Prepare the inspection: spot-check rehearsal, inspection routes, the self-assessment report,
the residents' survey, peer benchmarking and the evidence ledger (台账)."""

from __future__ import annotations
