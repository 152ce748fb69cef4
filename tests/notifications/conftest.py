"""A campaign server whose notifications go to real local servers (see ``_receivers``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._campaign import CampaignEnv, campaign_fixture
from tests.notifications._receivers import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    WEBHOOK_SECRET,
    Platforms,
    platforms,
)

BASE_URL = "https://cy.example.gov.cn/"


def notification_settings(url: str, **override: Any) -> dict[str, Any]:
    """The ``notifications:`` section the tests run with (no waiting unless a test asks)."""
    section: dict[str, Any] = {
        "base_url": BASE_URL,
        "quiet_hours": {"channels": []},
        "batching": {"window_seconds": 0},
        "sms": {
            "url": f"{url}/sms",
            "headers": {"Authorization": "Bearer {env:GC_TEST_SMS_TOKEN}"},
            "body": {
                "mobile": "{phone}",
                "sign": "{sign_name}",
                "template": "{template_id}",
                "params": "{params}",
            },
            "sign_name": "示范市创园办",
            "success_field": "code",
            "success_values": ["OK"],
            "templates": {
                "dispatched": {"id": "SMS_1001", "params": {"ref": "reference", "due": "deadline"}},
                "overdue": {"id": "SMS_1002", "params": {"ref": "reference", "hours": "hours"}},
                "resident_accepted": {
                    "id": "SMS_2001",
                    "params": {"ref": "reference", "url": "url"},
                },
                "resident_sent_back": {"id": "SMS_2002", "params": {"ref": "reference"}},
                "resident_closed": {
                    "id": "SMS_2003",
                    "params": {"ref": "reference", "stop": "stop_url"},
                },
            },
        },
    }
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(section.get(key), dict):
            section[key] = section[key] | value
        else:
            section[key] = value
    return section


@dataclass
class NotifyEnv:
    env: CampaignEnv
    platforms: Platforms

    @property
    def runtime(self) -> Any:
        return self.env.app.state.notifications

    def advance(self, **delta: float) -> None:
        """Move the clock (log-ins expire with it: log in again when asked)."""
        self.env.clock.advance(**delta)
        self.env.forget_logins()

    def deliver(self, rounds: int = 10) -> int:
        """Run the delivery worker until nothing is due; the rows it handled."""
        total = 0
        for _ in range(rounds):
            handled = int(self.runtime.worker.run_once())
            total += handled
            if not handled:
                break
        return total

    def channel(self, kind: str, settings: dict[str, Any], **owner: Any) -> dict[str, Any]:
        body = {"kind": kind, "name": f"{kind} 测试", "settings": settings} | owner
        response = self.env.client.post(
            "/api/v1/notifications/channels", json=body, headers=self.env.headers("admin")
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def robots(self, unit: str = "d1s1") -> None:
        """The unit's WeCom, DingTalk and Feishu group robots, and the city systems' webhook."""
        url, unit_id = self.platforms.url, self.env.unit(unit)
        self.channel("wecom", {"webhook_url": f"{url}/wecom?key=robot-key-1"}, unit_id=unit_id)
        self.channel(
            "dingtalk",
            {
                "webhook_url": f"{url}/dingtalk?access_token=ding-token-1",
                "secret": DINGTALK_SECRET,
                "at_mobiles": ["13800000011"],
            },
            unit_id=unit_id,
        )
        self.channel(
            "feishu",
            {"webhook_url": f"{url}/feishu", "secret": FEISHU_SECRET},
            unit_id=unit_id,
        )
        self.channel(
            "webhook",
            {"url": f"{url}/webhook", "secret": WEBHOOK_SECRET},
            group_code="city_systems",
        )

    def dispatched_case(self, unit: str = "d1s1", **fields: Any) -> dict[str, Any]:
        case = self.env.file("patrol1", **fields)
        response = self.env.act("coord1", case, "dispatch", unit_id=self.env.unit(unit))
        assert response.status_code == 200, response.text
        return dict(response.json())


def write_city_config(folder: Path, section: dict[str, Any]) -> Path:
    path = folder / "campaign.yaml"
    path.write_text(yaml.safe_dump({"notifications": section}, allow_unicode=True), "utf-8")
    return path


@pytest.fixture
def receivers() -> Iterator[Platforms]:
    with platforms() as found:
        yield found


Factory = Callable[..., NotifyEnv]


def _factory(
    backend: str, store: dict[str, Any], tmp_path: Path, receivers: Platforms, stack: ExitStack
) -> Factory:
    servers = itertools.count()

    def make(**override: Any) -> NotifyEnv:
        folder = tmp_path / f"server{next(servers)}"
        folder.mkdir()
        path = write_city_config(folder, notification_settings(receivers.url, **override))
        env = stack.enter_context(campaign_fixture(backend, store, folder, campaign_config=path))
        return NotifyEnv(env, receivers)

    return make


@pytest.fixture(params=["sqlite", "postgresql"])
def make_notify(
    request: pytest.FixtureRequest,
    seeded_templates: dict[str, Any],
    tmp_path: Path,
    receivers: Platforms,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Factory]:
    """Build a notifying campaign server (on SQLite and on PostgreSQL) with the test
    notification settings, changed by the keyword arguments."""
    monkeypatch.setenv("GC_TEST_SMS_TOKEN", "sms-token-1")
    with ExitStack() as stack:
        yield _factory(request.param, seeded_templates, tmp_path, receivers, stack)


@pytest.fixture
def make_notify_sqlite(
    seeded_templates: dict[str, Any],
    tmp_path: Path,
    receivers: Platforms,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Factory]:
    """As ``make_notify``, on SQLite only (message formats do not depend on the database)."""
    monkeypatch.setenv("GC_TEST_SMS_TOKEN", "sms-token-1")
    with ExitStack() as stack:
        yield _factory("sqlite", seeded_templates, tmp_path, receivers, stack)
