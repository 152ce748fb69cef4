"""Assessment runs: rows in ``assessment_runs``, outputs in ``<workspace>/runs/<id>/``.

``execute_run`` is what the worker process does: it opens the database itself, reports
progress into the run's row after each indicator and writes scorecard.json, diagnostics.gpkg
and report.html next to it. A what-if run assesses a copy of the workspace with the user's
edits (see :mod:`gardencity.jobs.whatif`).

The outputs of an assessment of the real workspace (not a what-if) are registered in the
evidence ledger as generated evidence of the items they prove
(:mod:`gardencity.inspection.generated_evidence`), in the same transaction that marks the run
succeeded; a later run replaces them.
"""

from __future__ import annotations

import functools
import gzip
import logging
import os
import shutil
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gardencity.assessment.scorecard import SCORECARD_FILE, Scorecard
from gardencity.errors import ConflictError, GardenCityError, NotFoundError
from gardencity.io.workspace import CONFIG_FILE
from gardencity.jobs.models import AssessmentRun
from gardencity.messages import Catalogue, Message
from gardencity.planning.suggest import write_suggestions

__all__ = [
    "OUTPUT_FILES",
    "REPORT_GZIP",
    "RUN_STATES",
    "compress_report",
    "execute_run",
    "failure_text",
    "import_outputs",
    "latest_run",
    "latest_scorecard",
    "mark_interrupted",
    "run_dir",
    "run_message",
    "start_run",
    "step_text",
]
MESSAGES = Catalogue(__package__)
log = logging.getLogger(__name__)

RUN_STATES = ("queued", "running", "succeeded", "failed")
OUTPUT_FILES = {
    "scorecard": SCORECARD_FILE,
    "diagnostics": "diagnostics.gpkg",
    "report": "report.html",
}
#: report.html compressed, as the API sends it to a browser that takes gzip: its maps'
#: paths compress to about a tenth (a large city's report, 7 MB, to under 1 MB)
REPORT_GZIP = "report.html.gz"


def compress_report(out: Path) -> None:
    """``out``'s report.html compressed beside it (:data:`REPORT_GZIP`), once, as the run
    is written: compressing it in each request would hold the server."""
    source = out / OUTPUT_FILES["report"]
    if not source.is_file():
        return
    tmp = out / f".{REPORT_GZIP}.tmp"
    with source.open("rb") as plain, gzip.GzipFile(tmp, "wb", compresslevel=6, mtime=0) as packed:
        shutil.copyfileobj(plain, packed, 1 << 20)
    os.replace(tmp, out / REPORT_GZIP)


PRIVATE_ARGUMENTS = {"imported"}


def run_message(stored: str, lang: str) -> str:
    """A run's stored step or failure in ``lang``: a code (``code`` or ``code:argument``), a
    message kept in both languages (an indicator's name, the reason a run failed), or the
    text an older version kept (an indicator's Chinese name, or ``中文 / English``).

    >>> run_message("queued", "en"), run_message("imported:/tmp/out", "zh")
    ('queued', '由命令行评估导入')
    >>> run_message(step_text(Message.literal("绿地率", "Green space ratio")), "en")
    'Green space ratio'
    >>> run_message("城市建成区绿地率", "en"), run_message("完成", "en")
    ('Green space ratio of the built-up area', 'done')
    """
    if stored.startswith('{"'):
        return MESSAGES.shown(stored, lang) or stored
    code, _, argument = stored.partition(":")
    pick = 0 if lang == "zh" else 1
    if code in MESSAGES.pairs():
        text = MESSAGES.pairs()[code][pick]
        # where the server read files from is no one's business on a page
        return f"{text} {argument}" if argument and code not in PRIVATE_ARGUMENTS else text
    if " / " in stored:
        return stored.split(" / ", 1)[pick]
    # runs recorded by an older version: an indicator's Chinese name, then 完成
    return _step_names().get(stored, (stored, stored))[pick]


def step_text(message: Message, limit: int = 200) -> str:
    """``message`` as a run keeps it (both languages, each at most ``limit`` characters
    in all), to show later in the reader's language with :func:`run_message`."""
    zh, en = message.render("zh"), message.render("en")
    stored = MESSAGES.stored(Message.literal(zh, en))
    while len(stored) > limit:  # long texts (a failure's detail) are shortened, never cut
        zh, en = zh[: len(zh) * 4 // 5], en[: len(en) * 4 // 5]
        stored = MESSAGES.stored(Message.literal(zh + "…", en + "…"))
    return stored


def failure_text(exc: BaseException, workspace: Path | None = None) -> str:
    """Why a run failed, kept in both languages: a gardencity error says what to fix in
    each language; anything else is a fault of the platform, said as such with its detail.
    Where the server keeps the ``workspace`` is no one's business on a page: its folder's
    name stands for it."""

    def hidden(text: str) -> str:
        return text.replace(str(workspace), workspace.name) if workspace else text

    if isinstance(exc, GardenCityError):
        reason = Message.literal(hidden(exc.text("zh")), hidden(exc.text("en")))
        return step_text(MESSAGES.message("failed_because", reason=reason), limit=5000)
    detail = hidden("".join(traceback.format_exception_only(type(exc), exc)).strip())
    return step_text(MESSAGES.message("failed_fault", detail=detail), limit=5000)


@functools.cache
def _step_names() -> dict[str, tuple[str, str]]:
    """The steps an older version recorded (its indicators' Chinese names and 完成) in
    both languages, from every bundled catalogue."""
    from gardencity.standards import list_standards

    names = {
        spec.name_zh: (spec.name_zh, spec.name_en or spec.name_zh)
        for standard in list_standards()
        for spec in standard.indicators
    }
    return names | {"完成": MESSAGES.pairs()["done"]}


def _now() -> datetime:
    return datetime.now(UTC)


def run_dir(workspace: Path, run_id: int) -> Path:
    return Path(workspace) / "runs" / str(run_id)


def _values(scorecard: Scorecard) -> dict[str, Any]:
    return {
        item.id: {"value": item.value, "status": item.status.value} for item in scorecard.indicators
    }


def _summary(scorecard: Scorecard) -> dict[str, int]:
    return {str(status): count for status, count in scorecard.summary.items()}


def _register_evidence(
    session: Session, workspace: Path, run: AssessmentRun, scorecard: Scorecard
) -> None:
    """The run's outputs as the ledger's reference material, and the evidence city.toml
    names for the management items (so the ledger agrees with the cockpit); assessments of
    the real city only."""
    if run.kind != "assessment":
        return
    from gardencity.inspection.generated_evidence import register_generated_evidence
    from gardencity.inspection.ledger_export import register_workspace_evidence
    from gardencity.io.workspace import Workspace

    out = run_dir(workspace, run.id)
    files = {key: out / name for key, name in OUTPUT_FILES.items()}
    register_generated_evidence(
        session, files, scorecard, now=_now(), run_id=run.id, workspace=workspace
    )
    if not (Path(workspace) / CONFIG_FILE).is_file():
        return  # outputs imported without their workspace: no city.toml evidence to list
    items = {r.id for r in scorecard.indicators}
    management = Workspace.open(workspace).management()
    register_workspace_evidence(session, workspace, management, now=_now(), item_ids=items)


def start_run(
    session: Session, *, user_id: int | None, kind: str = "assessment", edits: Any = None
) -> AssessmentRun:
    """A queued run; refused while another run is queued or running (one at a time)."""
    busy = session.scalar(
        select(AssessmentRun.id).where(AssessmentRun.status.in_(("queued", "running")))
    )
    if busy is not None:
        raise ConflictError(MESSAGES.message("run_busy", busy=busy))
    run = AssessmentRun(
        kind=kind,
        status="queued",
        progress=0.0,
        message="queued",
        started_by=user_id,
        created_at=_now(),
        edits=edits or {},
        summary={},
        values={},
    )
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int) -> AssessmentRun:
    run = session.get(AssessmentRun, run_id)
    if run is None:
        raise NotFoundError(MESSAGES.message("run_not_found", run_id=run_id))
    return run


def latest_run(session: Session, *, kind: str | None = "assessment") -> AssessmentRun | None:
    query = select(AssessmentRun).where(AssessmentRun.status == "succeeded")
    if kind is not None:
        query = query.where(AssessmentRun.kind == kind)
    return session.scalars(query.order_by(AssessmentRun.id.desc()).limit(1)).one_or_none()


def latest_scorecard(session: Session, workspace: Path) -> tuple[int | None, Scorecard | None]:
    """The newest succeeded assessment run of ``workspace`` (its id, or None when there is
    none) and its scorecard (None when the run's files are gone)."""
    run = latest_run(session)
    if run is None:
        return None, None
    path = run_dir(workspace, run.id) / SCORECARD_FILE
    return run.id, Scorecard.read(path) if path.is_file() else None


def mark_interrupted(session: Session) -> int:
    """Runs left queued or running by a stopped server are failed (their worker is gone)."""
    result = session.execute(
        update(AssessmentRun)
        .where(AssessmentRun.status.in_(("queued", "running")))
        .values(
            status="failed",
            finished_at=_now(),
            error="interrupted",  # a step code, shown in the reader's language (run_message)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def import_outputs(session: Session, workspace: Path, outputs: Path) -> AssessmentRun:
    """Record an assessment written by ``gardencity assess`` as a finished run (its files are
    copied into the workspace's runs folder)."""
    scorecard_path = Path(outputs) / OUTPUT_FILES["scorecard"]
    if not scorecard_path.is_file():
        raise NotFoundError(MESSAGES.message("no_scorecard", outputs=outputs))
    scorecard = Scorecard.read(scorecard_path)
    now = _now()
    run = AssessmentRun(
        kind="assessment",
        status="succeeded",
        progress=1.0,
        message=f"imported:{outputs}"[:200],
        created_at=now,
        started_at=now,
        finished_at=now,
        edits={},
        summary=_summary(scorecard),
        values=_values(scorecard),
    )
    session.add(run)
    session.flush()
    target = run_dir(workspace, run.id)
    target.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES.values():
        source = Path(outputs) / name
        if source.is_file():
            shutil.copyfile(source, target / name)
    compress_report(target)
    if (target / OUTPUT_FILES["diagnostics"]).is_file() and (
        Path(workspace) / CONFIG_FILE
    ).is_file():
        write_suggestions(workspace, target / OUTPUT_FILES["diagnostics"], target / SUGGESTIONS)
        _write_tiles(Path(workspace), target)
    _register_evidence(session, Path(workspace), run, scorecard)
    return run


#: the share of a run's progress bar taken by the measures; the outputs take the rest
MEASURES_SHARE = 0.85
WRITING_STARTS = {
    "scorecard": 0.85,
    "diagnostics": 0.87,
    "report": 0.92,
    "suggestions": 0.96,
    "tiles": 0.98,
}
#: 建议选址 of an assessment run (not part of the outputs a run must have)
SUGGESTIONS = "suggestions.json"


def _write_tiles(workspace: Path, out: Path) -> None:
    """The map's vector tiles of the run's heavy layers. A failure here costs the run nothing
    but speed: the map then draws those layers as GeoJSON."""
    from gardencity.jobs.tiles import write_map_tiles

    try:
        write_map_tiles(workspace, out)
    except Exception:
        log.exception("the map's vector tiles of %s could not be cut", out)


def execute_run(database_url: str, run_id: int, workspace: str) -> None:
    """The worker's job: assess, write the outputs, record the result (never raises)."""
    from gardencity.db.engine import open_database

    db = open_database(database_url, migrate=False)
    out = run_dir(Path(workspace), run_id)

    def record(**values: Any) -> None:
        with db.session() as session:
            session.execute(
                update(AssessmentRun).where(AssessmentRun.id == run_id).values(**values)
            )

    def progress(step: Message, done: int, total: int) -> None:  # the measures: 0–85 %
        record(progress=round(MEASURES_SHARE * done / max(total, 1), 3), message=step_text(step))

    def writing(name: str) -> None:  # then each output file in turn
        record(progress=WRITING_STARTS[name], message=f"writing_{name}")

    try:
        with db.session() as session:
            edits = get_run(session, run_id).edits
        record(status="running", started_at=_now(), message="loading")
        out.mkdir(parents=True, exist_ok=True)
        from gardencity.assessment import run_assessment
        from gardencity.reports.outputs import write_outputs

        if edits:
            from gardencity.jobs.whatif_fast import incremental_whatif

            assessment = incremental_whatif(Path(workspace), edits, progress)
        else:
            assessment = run_assessment(Path(workspace), progress=progress)
        write_outputs(assessment, out, scenario=bool(edits), progress=writing)
        compress_report(out)
        if not edits:  # 建议选址 and the map's tiles from the city as it is
            writing("suggestions")
            write_suggestions(workspace, out / OUTPUT_FILES["diagnostics"], out / SUGGESTIONS)
            writing("tiles")
            _write_tiles(Path(workspace), out)
        scorecard = Scorecard.read(out / SCORECARD_FILE)
        with db.session() as session:  # the ledger evidence and the success, together
            run = get_run(session, run_id)
            _register_evidence(session, Path(workspace), run, scorecard)
            run.status = "succeeded"
            run.progress = 1.0
            run.message = "done"
            run.finished_at = _now()
            run.summary = _summary(scorecard)
            run.values = _values(scorecard)
        if not edits:  # after the success: the what-if engine, for the first what-if to come
            from gardencity.jobs.whatif_fast import keep_engine

            keep_engine(Path(workspace), assessment, out)
    except Exception as exc:
        if isinstance(exc, GardenCityError):  # the data's fault: said on the run's page
            log.warning("assessment run %s failed: %s", run_id, exc.text("en"))
        else:
            log.exception("assessment run %s failed", run_id)
        record(
            status="failed",
            finished_at=_now(),
            error=failure_text(exc, Path(workspace)),
            message="failed",
        )
    finally:
        db.dispose()
