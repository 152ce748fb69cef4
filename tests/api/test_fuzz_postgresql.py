"""The API fuzzing of test_fuzz.py on PostgreSQL (tests/api/_fuzz.py says what it checks), in a
file of its own: with ``--dist loadfile`` the two backends' runs then go to two workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api._fuzz import answers_every_generated_request_as_documented, live_api

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_live_api_answers_every_generated_request_as_documented(
    backend: str, seeded_templates: dict[str, Any], tmp_path: Path
) -> None:
    with live_api(backend, seeded_templates, tmp_path) as api:
        answers_every_generated_request_as_documented(api)
