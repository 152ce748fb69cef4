"""Each channel speaks its platform's real format: the bodies and signatures a local receiver
checks as WeCom, DingTalk and Feishu document them, the signed webhook, SMS through the
provider template, and e-mail through a real SMTP server (STARTTLS and implicit TLS)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gardencity.notifications.models import Notification
from tests.notifications._receivers import WEBHOOK_SECRET, smtp_server
from tests.notifications.conftest import BASE_URL, Factory

DEADLINE_ZH = "2026年5月7日 09:00"  # filed Monday 09:00, bare soil, normal: 72 h


def test_group_robots_get_their_platforms_format(make_notify_sqlite: Factory) -> None:
    n = make_notify_sqlite()
    n.robots()
    case = n.dispatched_case(address="解放路88号绿地")
    assert n.deliver() == 4
    link = f"{BASE_URL}cases/{case['id']}"

    wecom = n.platforms.received("/wecom")[0].json
    assert set(wecom) == {"msgtype", "markdown"} and wecom["msgtype"] == "markdown"
    content = wecom["markdown"]["content"]
    for expected in (case["reference"], "黄土裸露", "解放路88号绿地", "鼓楼区第1街道", DEADLINE_ZH):
        assert expected in content
    assert f"[查看案卷]({link})" in content
    assert content.startswith('<font color="info">**案卷已派遣，请及时处置**</font>')

    ding = n.platforms.received("/dingtalk")[0]
    assert ding.query["access_token"] == ["ding-token-1"]
    assert set(ding.json) == {"msgtype", "markdown", "at"}
    assert ding.json["markdown"]["title"] == "案卷已派遣，请及时处置"
    assert ding.json["markdown"]["text"].startswith("#### 案卷已派遣，请及时处置")
    assert case["reference"] in ding.json["markdown"]["text"]
    assert ding.json["at"] == {"atMobiles": ["13800000011"], "isAtAll": False}

    feishu = n.platforms.received("/feishu")[0].json
    assert set(feishu) == {"timestamp", "sign", "msg_type", "card"}
    assert feishu["msg_type"] == "interactive"
    card = feishu["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": "案卷已派遣，请及时处置"}
    assert card["elements"][0]["tag"] == "markdown"
    assert DEADLINE_ZH in card["elements"][0]["content"]
    button = card["elements"][1]["actions"][0]
    assert button["url"] == link and button["text"]["content"] == "查看案卷"

    hook = n.platforms.received("/webhook")[0]
    body = hook.json
    assert body["event"] == "dispatched" and body["case"]["reference"] == case["reference"]
    assert hook.headers["x-gardencity-event"] == "dispatched"
    assert hook.headers["x-gardencity-delivery"] == str(body["id"])
    # every platform accepted (the receiver checks signatures as documented)
    with n.env.app.state.db.session() as session:
        statuses = session.scalars(
            select(Notification.status).where(Notification.channel != "inbox")
        ).all()
    assert statuses and set(statuses) == {"sent"}


def test_a_refusal_is_shown_to_the_admin_in_the_providers_words(
    make_notify_sqlite: Factory,
) -> None:
    n = make_notify_sqlite()
    url, unit = n.platforms.url, n.env.unit("d1s1")
    n.channel(
        "dingtalk",
        {"webhook_url": f"{url}/dingtalk?access_token=t", "secret": "SECwrong"},
        unit_id=unit,
    )
    bad = n.channel("wecom", {"webhook_url": f"{url}/wecom?key=revoked"}, unit_id=unit)
    n.dispatched_case()
    n.deliver()
    admin = n.env.headers("admin")
    rows = n.env.client.get("/api/v1/notifications/deliveries", headers=admin).json()
    errors = {r["channel"]: r for r in rows}
    assert errors["dingtalk"]["status"] == "failed"  # a wrong signature is not retried
    assert errors["dingtalk"]["last_error"] == (
        "钉钉群机器人返回错误码 310000（sign not match），请按其说明检查机器人设置"
    )
    assert errors["wecom"]["last_error"].startswith("企业微信群机器人返回错误码 93000（invalid")
    english = n.env.client.get(
        "/api/v1/notifications/deliveries", headers=admin | {"Accept-Language": "en"}
    ).json()
    shown = {r["channel"]: r["last_error"] for r in english}
    assert shown["dingtalk"] == (
        "DingTalk group robot answered error code 310000 (sign not match): "
        "check the robot's settings as it says"
    )
    assert errors["wecom"]["recipient"] == "鼓楼区第1街道"
    # the test button says the same at once
    test = n.env.client.post(f"/api/v1/notifications/channels/{bad['id']}/test", headers=admin)
    assert test.json() == {"ok": False, "answer": None, "error": errors["wecom"]["last_error"]}
    # fixed: the admin changes the key and sends the failed message again
    fixed = n.env.client.patch(
        f"/api/v1/notifications/channels/{bad['id']}",
        json={"settings": {"webhook_url": f"{url}/wecom?key=robot-key-1"}},
        headers=admin,
    )
    assert fixed.json()["settings"]["webhook_url"].endswith("key=••••ey-1")
    ok = n.env.client.post(f"/api/v1/notifications/channels/{bad['id']}/test", headers=admin)
    assert ok.json()["ok"] is True
    retry = n.env.client.post(
        f"/api/v1/notifications/deliveries/{errors['wecom']['id']}/retry", headers=admin
    )
    assert retry.status_code == 200
    n.deliver()
    sent = n.env.client.get("/api/v1/notifications/deliveries?status=sent", headers=admin).json()
    assert [r["channel"] for r in sent] == ["wecom"]


def test_secrets_are_write_only(make_notify_sqlite: Factory) -> None:
    n = make_notify_sqlite()
    n.robots()
    listed = n.env.client.get(
        "/api/v1/notifications/channels", headers=n.env.headers("admin")
    ).json()
    text = str(listed)
    assert "robot-key-1" not in text and "dingtalk-test-secret" not in text
    assert WEBHOOK_SECRET not in text
    # an edit that sends the masked value back keeps the secret
    ding = next(c for c in listed if c["kind"] == "dingtalk")
    n.env.client.patch(
        f"/api/v1/notifications/channels/{ding['id']}",
        json={"settings": ding["settings"] | {"keyword": "创园"}},
        headers=n.env.headers("admin"),
    )
    result = n.env.client.post(
        f"/api/v1/notifications/channels/{ding['id']}/test", headers=n.env.headers("admin")
    )
    assert result.json()["ok"] is True, result.json()
    assert "创园" in n.platforms.received("/dingtalk")[-1].json["markdown"]["text"]


def test_sms_goes_through_the_provider_template(make_notify_sqlite: Factory) -> None:
    n = make_notify_sqlite()
    officer = _user_id(n, "officer11")
    n.channel("sms", {"phone": "13800000011"}, user_id=officer)
    case = n.dispatched_case()
    n.deliver()
    request = n.platforms.received("/sms")[0]
    assert request.headers["authorization"] == "Bearer sms-token-1"
    assert request.json == {
        "mobile": "13800000011",
        "sign": "示范市创园办",
        "template": "SMS_1001",
        "params": {"ref": case["reference"], "due": DEADLINE_ZH},
    }


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_a_real_smtp_server(
    make_notify_sqlite: Factory, tmp_path: Path, security: str
) -> None:
    with smtp_server(security, tmp_path) as mailbox:
        cert = tmp_path / "smtp.pem"
        n = make_notify_sqlite(
            smtp={
                "host": "127.0.0.1",
                "port": mailbox.port,
                "security": security,
                "sender": "示范市创园办 <cy@example.gov.cn>",
                "ca_file": str(cert),
            }
        )
        n.channel("email", {"addresses": ["gulou1@example.gov.cn"]}, unit_id=n.env.unit("d1s1"))
        case = n.dispatched_case()
        n.deliver()
        mail = mailbox.wait_for(1)[0]
    assert mailbox.envelopes[0] == ("cy@example.gov.cn", ["gulou1@example.gov.cn"])
    assert mail["Subject"] == f"【示范市】案卷已派遣，请及时处置（{case['reference']}）"
    assert mail["To"] == "gulou1@example.gov.cn"
    text = mail.get_body(("plain",)).get_content()
    assert f"处置时限：{DEADLINE_ZH}" in text and f"{BASE_URL}cases/{case['id']}" in text
    html = mail.get_body(("html",)).get_content()
    assert "<th" in html and case["reference"] in html


def test_email_without_a_server_says_how_to_fix_it(make_notify_sqlite: Factory) -> None:
    n = make_notify_sqlite()
    n.channel("email", {"addresses": ["gulou1@example.gov.cn"]}, unit_id=n.env.unit("d1s1"))
    n.dispatched_case()
    n.deliver()
    rows = n.env.client.get(
        "/api/v1/notifications/deliveries", headers=n.env.headers("admin")
    ).json()
    assert rows[0]["status"] == "failed"
    assert "notifications.smtp" in rows[0]["last_error"]


def _user_id(n: object, username: str) -> int:
    from gardencity.auth.models import User

    with n.env.app.state.db.session() as session:  # type: ignore[attr-defined]
        return int(session.scalars(select(User.id).where(User.username == username)).one())


def test_the_inbox_speaks_the_readers_language(make_notify_sqlite: Factory) -> None:
    n = make_notify_sqlite()
    case = n.dispatched_case()
    officer = n.env.headers("officer11")
    english = n.env.client.get("/api/v1/inbox", headers=officer | {"Accept-Language": "en"})
    item = english.json()["items"][0]
    assert item["title"] == "Case dispatched to you: please act"
    assert item["event_label"] == "Dispatched"
    assert "Bare soil" in item["summary"] and "grid cell" in item["summary"]
    assert "7 May 2026, 09:00" in item["summary"]
    assert item["link"] == f"/cases/{case['id']}" and not item["read"]
    chinese = n.env.client.get("/api/v1/inbox", headers=officer).json()["items"][0]
    assert chinese["title"] == "案卷已派遣，请及时处置" and DEADLINE_ZH in chinese["summary"]
    work = n.env.client.get("/api/v1/inbox/work", headers=officer).json()
    assert [c["reference"] for c in work["action"]["items"]] == [case["reference"]]
    assert work["due_soon"]["total"] == 0  # 72 hours left
    count = n.env.client.get("/api/v1/inbox/count", headers=officer).json()
    assert count == {"unread": 1, "poll_seconds": 15}
    read = n.env.client.post("/api/v1/inbox/read", json={"ids": [item["id"]]}, headers=officer)
    assert read.json() == {"unread": 0}


def test_a_patrol_who_filed_reads_the_staff_message(make_notify_sqlite: Factory) -> None:
    n = make_notify_sqlite()
    case = n.dispatched_case()  # filed by patrol1, an inspector
    n.env.act("officer11", case, "accept")
    items = n.env.client.get("/api/v1/inbox", headers=n.env.headers("patrol1")).json()["items"]
    assert items[0]["title"] == "案卷已受理" and items[0]["link"] == f"/cases/{case['id']}"


@pytest.mark.parametrize(
    ("lang", "subject"), [("zh", "【示范市】巡查"), ("en", "[Demo City] Patrol")]
)
def test_an_email_names_the_city_in_the_message_language(lang: str, subject: str) -> None:
    from datetime import UTC, datetime

    from gardencity.notifications.channels.base import Outgoing
    from gardencity.notifications.channels.email import build_email
    from gardencity.notifications.config import NotificationConfig
    from gardencity.notifications.render import Message

    title = "巡查" if lang == "zh" else "Patrol"
    outgoing = Outgoing(
        message=Message("test", title, lang=lang),
        settings={},
        config=NotificationConfig(),  # the platform's language: Chinese
        city_name="示范市",
        city_name_en="Demo City",
        ids=[1],
        payloads=[{}],
        now=datetime(2026, 5, 4, tzinfo=UTC),
    )
    mail = build_email(outgoing, "cy@example.gov.cn", ["a@example.gov.cn"])
    assert mail["Subject"] == subject


def test_a_robot_that_cannot_be_reached_is_recorded_and_shown_in_both_languages(
    make_notify_sqlite: Factory,
) -> None:
    from tests.notifications._receivers import free_port

    n = make_notify_sqlite()
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    n.channel("wecom", {"webhook_url": f"{nobody}/wecom?key=k"}, unit_id=n.env.unit("d1s1"))
    n.dispatched_case()
    n.deliver()
    admin = n.env.headers("admin")
    rows = n.env.client.get("/api/v1/notifications/deliveries", headers=admin).json()
    wecom = next(r for r in rows if r["channel"] == "wecom")
    assert wecom["status"] in {"retrying", "pending", "failed"}, wecom
    assert wecom["last_error"] == "企业微信群机器人无法连接，稍后将自动重试", wecom["last_error"]
    english = n.env.client.get(
        "/api/v1/notifications/deliveries", headers=admin | {"Accept-Language": "en"}
    ).json()
    shown = next(r for r in english if r["channel"] == "wecom")["last_error"]
    assert shown.startswith("Cannot reach WeCom group robot ("), shown
    assert shown.endswith("); it will be tried again"), shown
