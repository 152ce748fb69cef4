"""Assess many cities at once on Dask distributed: one task per city, retries, one table.

A province or the ministry compares hundreds of cities; each city is an independent
assessment, so the unit of work is the city. :func:`assess_batch` runs on a
``distributed.LocalCluster`` by default (one process per worker, one thread each: an
assessment is CPU-bound) or on a running scheduler when given its address, retries a failed
city, reports progress as cities finish and returns a table with one row per city.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gardencity.assessment.scorecard import Scorecard
from gardencity.errors import GardenCityError
from gardencity.io.threads import THREADS_VARIABLE, using_threads
from gardencity.messages import Catalogue, Message

__all__ = [
    "BatchResult",
    "assess_batch",
    "assess_city",
    "combined_table",
    "workers_threads",
]
MESSAGES = Catalogue(__package__)

Progress = Callable[[int, int, str, bool], None]


@dataclass
class BatchResult:
    """Scorecards of the cities that were assessed and the errors of those that were not."""

    scorecards: dict[str, Scorecard] = field(default_factory=dict)
    failures: dict[str, Message] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def table(self) -> pd.DataFrame:
        return combined_table(self.scorecards)


def assess_city(
    workspace: str, standard: str | None = None, out_dir: str | None = None
) -> Scorecard | Message:
    """One city's scorecard, or why its data cannot be assessed (in both languages: trying
    again would not help); with ``out_dir`` its report, scorecard and diagnostics are written to
    ``out_dir/<workspace folder name>``. Runs in a worker."""
    from gardencity.assessment import run_assessment
    from gardencity.reports import write_outputs

    threads = workers_threads()
    try:
        assessment = run_assessment(Path(workspace), standard=standard, threads=threads)
    except GardenCityError as exc:  # the city's data: trying again would not help
        return Message.literal(exc.text("zh"), exc.text("en"))
    if out_dir is not None:
        with using_threads(threads):
            write_outputs(assessment, Path(out_dir) / Path(workspace).name)
    return assessment.scorecard()


def workers_threads() -> int | None:
    """In a Dask worker, the threads the cluster gave it (its share of the cores), which
    the assessment it runs keeps to: with one, no step overlaps another, since the batch's
    cores are kept busy by its other workers; None outside a worker, or where
    :data:`THREADS_VARIABLE` says how many threads to use."""
    if os.environ.get(THREADS_VARIABLE, "").strip():
        return None
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError):  # not in a worker
        return None


def combined_table(scorecards: Mapping[str, Scorecard]) -> pd.DataFrame:
    """One row per city: name, standard, pass/fail counts, and each indicator's value and
    status (columns ``<indicator id>`` and ``<indicator id>:status``), in catalogue order.

    >>> card = Scorecard.model_validate(
    ...     {"city": {"name": "甲市"}, "standard": {"id": "s", "name_zh": "s", "name_en": "s"},
    ...      "summary": {"pass": 1}, "indicators": [{"id": "green_coverage_ratio",
    ...      "name_zh": "绿化覆盖率", "name_en": "-", "value": 41.5, "status": "pass"}]})
    >>> float(combined_table({"/data/a": card}).loc["/data/a", "green_coverage_ratio"])
    41.5
    """
    rows: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for workspace, card in scorecards.items():
        row: dict[str, Any] = {"city": card.city.name, "standard": card.standard.id}
        row.update({f"summary:{k.value}": v for k, v in card.summary.items()})
        for indicator in card.indicators:
            if indicator.id not in order:
                order.append(indicator.id)
            row[indicator.id] = indicator.value
            row[f"{indicator.id}:status"] = indicator.status.value
        rows[workspace] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "workspace"
    leading = [c for c in frame.columns if c.split(":")[0] not in order]
    indicator_columns = [c for key in order for c in (key, f"{key}:status") if c in frame.columns]
    return frame[leading + indicator_columns]


def assess_batch(
    workspaces: Sequence[Path | str],
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    retries: int = 1,
    standard: str | None = None,
    out_dir: Path | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Assess every workspace, one Dask task per city.

    Parameters
    ----------
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); by default a
        ``LocalCluster`` of ``n_workers`` single-threaded worker processes is started here
        and stopped afterwards.
    retries
        How many times a city whose task failed is tried again (a worker that died, a file
        that was briefly unavailable) before it is reported as failed. A city whose data
        fails validation is reported at once, with every problem and its fix.
    progress
        Called as ``progress(done, total, workspace, ok)`` as each city finishes.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - only without the batch extra
        raise GardenCityError(MESSAGES.message("batch_needs_dask")) from exc
    paths = [str(Path(w).resolve()) for w in workspaces]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise GardenCityError(MESSAGES.message("batch_duplicates", paths=duplicates))
    started = time.perf_counter()
    result = BatchResult()
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: 8787 may be another cluster's
            silence_logs=40,
        )
    client = Client(scheduler if scheduler is not None else cluster)
    try:
        futures = {
            client.submit(
                assess_city,
                path,
                standard,
                str(out_dir) if out_dir is not None else None,
                key=f"assess-city-{index}",
                retries=retries,
                pure=False,
            ): path
            for index, path in enumerate(paths)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            path = futures[future]
            try:
                card = future.result()
            except Exception as exc:  # still failing after the retries
                card = MESSAGES.message("batch_city_failed", error=f"{type(exc).__name__}: {exc}")
            ok = isinstance(card, Scorecard)
            if isinstance(card, Scorecard):
                result.scorecards[path] = card
            else:
                result.failures[path] = card
            if progress is not None:
                progress(done, len(paths), path, ok)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    result.scorecards = {p: result.scorecards[p] for p in paths if p in result.scorecards}
    result.seconds = time.perf_counter() - started
    return result
