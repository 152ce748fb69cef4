"""Residents who asked to hear about their report: the opt-in (proved by the report's token),
plain-word messages on acceptance, send-back and closure with a link to follow the report and
a way to stop them; the Open311 client that filed the report hears the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from gardencity.auth.models import ApiKey
from gardencity.campaign.models import Case
from gardencity.notifications.models import Notification
from tests.campaign.test_workflow import JPEG
from tests.notifications._receivers import WEBHOOK_SECRET, smtp_server
from tests.notifications.conftest import BASE_URL, Factory, NotifyEnv


def _public_report(n: NotifyEnv, phone: str = "13912345678") -> dict[str, Any]:
    lon, lat = n.env.lonlat(500_300, 3_800_300)
    response = n.env.client.post(
        "/api/v1/public/cases",
        data={"category": "bare_soil", "lon": lon, "lat": lat, "contact_phone": phone},
    )
    assert response.status_code == 201, response.text
    report = dict(response.json())
    with n.env.app.state.db.session() as session:
        case = session.scalars(select(Case).where(Case.reference == report["reference"])).one()
        report["id"] = case.id
    return report


def _subscribe(n: NotifyEnv, report: dict[str, Any], **contact: str) -> Any:
    body = {"reference": report["reference"], "token": report["token"]} | contact
    return n.env.client.post("/api/v1/public/notifications/subscribe", json=body)


def test_the_opt_in_needs_the_reports_token_and_a_valid_address(make_notify: Factory) -> None:
    n = make_notify()
    report = _public_report(n)
    stranger = _subscribe(n, report | {"token": "guessed"}, phone="13800000000")
    assert stranger.status_code == 404
    bad = _subscribe(n, report, phone="12345", email="not-an-address")
    assert bad.status_code == 422
    message = bad.json()["error"]["message"]
    assert "12345" in message and "not-an-address" in message  # every problem at once
    assert _subscribe(n, report).status_code == 422  # neither phone nor e-mail
    ok = _subscribe(n, report, phone="+86 139 1234 5678")
    assert ok.status_code == 201 and ok.json()["channels"] == ["sms"]


def test_a_resident_hears_in_plain_words_and_can_stop(make_notify: Factory, tmp_path: Path) -> None:
    with smtp_server("none", tmp_path) as mailbox:
        n = make_notify(
            smtp={"host": "127.0.0.1", "port": mailbox.port, "security": "none",
                  "sender": "示范市创园办 <cy@example.gov.cn>"},
        )  # fmt: skip
        report = _public_report(n)
        assert (
            _subscribe(n, report, phone="13912345678", email="wang.li@example.cn").status_code
            == 201
        )
        case = {"id": report["id"]}
        n.env.act("coord1", case, "dispatch", unit_id=n.env.unit("d1s1"))
        n.env.act("officer11", case, "accept")
        n.deliver()
        mail = mailbox.wait_for(1)[0]
        text = mail.get_body(("plain",)).get_content()
        sms = n.platforms.received("/sms")
        # the resident got the acceptance (by SMS and e-mail), and nothing meant for staff
        assert [r.json["template"] for r in sms] == ["SMS_2001"]
        follow = f"{BASE_URL}public?ref={report['reference']}"
        assert sms[0].json["params"] == {"ref": report["reference"], "url": follow}
        assert mail["To"] == "wang.li@example.cn"
        assert mail["Subject"] == f"【示范市】您反映的问题有新进展（{report['reference']}）"
        assert text.startswith("您反映的问题有新进展")
        assert (
            f"您好！您于2026年5月4日反映的“黄土裸露”问题（编号 {report['reference']}）已受理"
            in text
        )
        assert f"查看进展：{follow}" in text
        stop_url = str(mail["List-Unsubscribe"]).strip().strip("<>")
        assert stop_url.startswith(f"{BASE_URL}n/stop/") and f"不想再收到消息：{stop_url}" in text
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # the rectification is sent back: the resident hears it, in plain words
        _submit(n, case)
        n.env.act("inspector", case, "send_back", reason="仍有裸土")
        n.deliver()
        assert [r.json["template"] for r in n.platforms.received("/sms")] == [
            "SMS_2001",
            "SMS_2002",
        ]
        sent_back = mailbox.wait_for(2)[1].get_body(("plain",)).get_content()
        assert "经核查未达要求，已退回责任单位继续整改" in sent_back
        assert "仍有裸土" not in sent_back  # staff's reasons stay with staff

        # the resident stops messages with the link (a mail client's one-click POST)
        path = "/" + stop_url.removeprefix(BASE_URL)
        page = n.env.client.get(path)
        assert page.status_code == 200 and "不再接收消息" in page.text
        stopped = n.env.client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert stopped.status_code == 200 and "已退订" in stopped.text
        assert n.env.client.post(path).status_code == 404  # used already
        _submit(n, case)
        n.env.act("inspector", case, "verify")
        n.deliver()
        assert len(n.platforms.received("/sms")) == 2 and len(mailbox.messages) == 2
    with n.env.app.state.db.session() as session:
        closed = session.scalars(
            select(Notification).where(
                Notification.event == "closed", Notification.audience == "reporter"
            )
        ).all()
    assert closed == []  # nobody left to tell


def test_the_open311_client_hears_what_its_resident_hears(make_notify: Factory) -> None:
    n = make_notify()
    with n.env.app.state.db.session() as session:
        key_id = session.scalars(select(ApiKey.id).where(ApiKey.name == "市民上报页面")).one()
    n.channel(
        "webhook",
        {"url": f"{n.platforms.url}/webhook", "secret": WEBHOOK_SECRET},
        group_code=f"open311-{key_id}",
    )
    lon, lat = n.env.lonlat(500_300, 3_800_300)
    created = n.env.client.post(
        "/open311/v2/requests.json",
        data={"api_key": n.env.seed.api_key, "service_code": "bare_soil", "lat": lat, "long": lon,
              "email": "zhang@example.cn", "first_name": "张"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    reference = created.json()[0]["service_request_id"]
    with n.env.app.state.db.session() as session:
        case = {"id": session.scalars(select(Case.id).where(Case.reference == reference)).one()}
    n.env.act("coord1", case, "dispatch", unit_id=n.env.unit("d1s1"))
    n.env.act("officer11", case, "accept")
    n.deliver()
    pushed = n.platforms.received("/webhook")
    assert [p.json["event"] for p in pushed] == ["accepted"]
    body = pushed[0].json
    assert body["case"]["reference"] == reference
    assert "已受理，责任单位正在处理" in body["message"]["text"]
    assert "zhang" not in pushed[0].body.decode() and "张" not in body["message"]["text"]
    # a client that polls sees the same update
    view = n.env.client.get(f"/open311/v2/requests/{reference}.json?extensions=true").json()[0]
    assert [u["action"] for u in view["updates"]][-1] == "accept"


def _submit(n: NotifyEnv, case: dict[str, Any]) -> None:
    photo = n.env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("after.jpg", JPEG + bytes(len(n.platforms.requests)), "image/jpeg")},
        data={"role": "after"},
        headers=n.env.headers("officer11"),
    ).json()
    response = n.env.act("officer11", case, "submit", attachment_ids=[photo["id"]])
    assert response.status_code == 200, response.text


def test_messages_queued_before_a_stop_are_not_sent(make_notify: Factory) -> None:
    n = make_notify()
    report = _public_report(n)
    _subscribe(n, report, phone="13912345678")
    case = {"id": report["id"]}
    n.env.act("coord1", case, "dispatch", unit_id=n.env.unit("d1s1"))
    n.env.act("officer11", case, "accept")  # queued, not yet sent …
    with n.env.app.state.db.session() as session:
        row = session.scalars(select(Notification).where(Notification.audience == "reporter")).one()
        token = row.payload["stop_token"]
    assert n.env.client.post(f"/n/stop/{token}").status_code == 200  # … when the resident stops
    n.deliver()
    assert n.platforms.received("/sms") == []
    with n.env.app.state.db.session() as session:
        assert session.get(Notification, row.id).status == "stopped"  # type: ignore[union-attr]
