"""Heavy work outside HTTP requests. Assessment runs as jobs: started from the pages or the
API, executed in a worker process, with progress; their outputs are kept in the workspace.
Many cities at once: :mod:`gardencity.jobs.batch` on Dask."""

from gardencity.jobs.runner import JobRunner
from gardencity.jobs.runs import (
    RUN_STATES,
    import_outputs,
    mark_interrupted,
    run_dir,
    start_run,
)

__all__ = [
    "RUN_STATES",
    "JobRunner",
    "import_outputs",
    "mark_interrupted",
    "run_dir",
    "start_run",
]
