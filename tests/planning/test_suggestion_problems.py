"""Why the siting help could not suggest a part is kept as a message's key and parameters and
shown in the reader's language (it was kept in Chinese only)."""

from __future__ import annotations

import json

from gardencity.errors import DataError, MissingLayerError
from gardencity.messages import Message
from gardencity.planning.suggest import MESSAGES, _problem, shown_problems


def test_a_suggestion_problem_is_shown_in_the_readers_language() -> None:
    problem = _problem("parks", DataError(MESSAGES.message("no_candidates", categories="other")))
    assert json.loads(problem["message"])["key"] == "no_candidates"  # a code, not a text
    result = {"parks": None, "problems": [problem]}
    chinese = shown_problems(result, "zh")["problems"][0]["message"]
    english = shown_problems(result, "en")["problems"][0]["message"]
    assert chinese.startswith("没有可选地块") and "other" in chinese
    assert english.startswith("No land-use parcel of the categories other")


def test_another_packages_message_keeps_both_languages() -> None:
    error = MissingLayerError(Message(("缺少图层", "A layer is missing")))
    result = {"problems": [_problem("roads", error)]}
    assert shown_problems(result, "zh")["problems"][0]["message"] == "缺少图层"
    assert shown_problems(result, "en")["problems"][0]["message"] == "A layer is missing"
