"""The rules are data: our defaults, a city's campaign.yaml overriding them, and every problem
of a bad file reported at once with what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gardencity.errors import InvalidRequestError
from gardencity.notifications.config import load_notification_config
from gardencity.notifications.events import EVENTS


def _city(tmp_path: Path, section: object) -> Path:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump({"notifications": section}, allow_unicode=True), "utf-8")
    return path


def test_the_defaults_cover_every_event_the_issue_names() -> None:
    config = load_notification_config()
    named = {"filed", "dispatched", "accepted", "due_soon", "overdue", "escalated", "submitted",
             "sent_back", "closed", "reopened", "flags_computed", "digest"}  # fmt: skip
    assert named <= set(config.rules) <= set(EVENTS)
    reporter = {e for e, sends in config.rules.items() for s in sends if "reporter" in s.to}
    assert reporter == {"accepted", "sent_back", "closed", "discarded"}
    for sends in config.rules.values():  # a resident is never sent to a group chat
        for send in sends:
            if "reporter" in send.to:
                assert not {"wecom", "dingtalk", "feishu"} & set(send.via)


def test_a_city_overrides_rules_quiet_hours_and_schedule(tmp_path: Path) -> None:
    path = _city(
        tmp_path,
        {
            "base_url": "https://cy.example.gov.cn",
            "quiet_hours": {"start": "21:30"},
            "schedule": {"digest": "30 7 * * 1-5", "flags": None},
            "rules": {
                "filed": [],
                "dispatched": [{"to": ["unit", "group:office"], "via": ["inbox", "dingtalk"]}],
            },
        },
    )
    config = load_notification_config(path)
    assert config.rules["filed"] == ()
    assert [s.via for s in config.rules["dispatched"]] == [("inbox", "dingtalk")]
    assert config.rules["closed"]  # untouched rules stay ours
    assert (config.quiet_hours.start, config.quiet_hours.end) == ("21:30", "07:30")
    assert config.schedule.jobs() == {
        "escalation": "5 * * * *",
        "reminders": "*/15 * * * *",
        "digest": "30 7 * * 1-5",
        "housekeeping": "30 3 * * *",
    }
    assert config.link("cases/3") == "https://cy.example.gov.cn/cases/3"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _city(
        tmp_path,
        {
            "timezone": "Beijing",
            "quiet_hours": {"start": "25:00"},
            "schedule": {"digest": "every morning"},
            "rules": {"dispatchd": [], "closed": [{"to": ["mayor"], "via": ["pigeon"]}]},
        },
    )
    with pytest.raises(InvalidRequestError) as caught:
        load_notification_config(path)
    message = str(caught.value)
    for expected in ("timezone", "Asia/Shanghai", "25:00", "HH:MM", "every morning",
                     "cron", "dispatchd", "mayor", "pigeon"):  # fmt: skip
        assert expected in message, expected


def test_a_malformed_section_says_what_it_must_be(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="须为键值映射") as refused:
        load_notification_config(_city(tmp_path, ["rules"]))
    assert "'notifications' must be a mapping" in refused.value.text("en")
