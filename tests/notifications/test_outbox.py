"""The transactional outbox and its delivery: rows written with the event (and never without
it), retries with back-off, each message once across workers, quiet hours and batching, and
no resident's personal data in a group chat."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from gardencity.auth.models import User
from gardencity.notifications.channels.base import MESSAGES
from gardencity.notifications.delivery import DeliveryWorker
from gardencity.notifications.models import Notification
from tests.notifications._receivers import WEBHOOK_SECRET
from tests.notifications.conftest import Factory, NotifyEnv


def _rows(n: NotifyEnv, **where: object) -> list[Notification]:
    with n.env.app.state.db.session() as session:
        query = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            query = query.where(getattr(Notification, key) == value)
        return list(session.scalars(query).all())


def _user(n: NotifyEnv, username: str) -> int:
    with n.env.app.state.db.session() as session:
        return int(session.scalars(select(User.id).where(User.username == username)).one())


def test_a_dispatch_and_its_notifications_commit_together(make_notify: Factory) -> None:
    n = make_notify()
    n.robots()
    officer = _user(n, "officer11")
    case = n.env.file("patrol1")
    # filing tells the district's coordinator (inbox)
    filed = _rows(n, event="filed")
    assert [(r.channel, r.user_id) for r in filed] == [("inbox", _user(n, "coord1"))]
    before = len(_rows(n))
    # a dispatch refused for a stale version writes no notification
    stale = n.env.client.post(
        f"/api/v1/cases/{case['id']}/actions/dispatch",
        json={"version": 99, "unit_id": n.env.unit("d1s1")},
        headers=n.env.headers("coord1"),
    )
    assert stale.status_code == 409 and len(_rows(n)) == before
    n.env.act("coord1", case, "dispatch", unit_id=n.env.unit("d1s1"))
    rows = _rows(n, event="dispatched")
    # before any worker ran: the officer's inbox entry, and one row per group channel
    assert {(r.channel, r.user_id, r.status) for r in rows if r.channel == "inbox"} == {
        ("inbox", officer, "sent")
    }
    assert sorted(r.channel for r in rows if r.channel != "inbox") == [
        "dingtalk", "feishu", "webhook", "wecom"
    ]  # fmt: skip
    assert {r.status for r in rows if r.channel != "inbox"} == {"pending"}
    assert all(r.case_event_id is not None for r in rows)
    count = n.env.client.get("/api/v1/inbox/count", headers=n.env.headers("officer11"))
    assert count.json()["unread"] == 1


def test_failures_are_retried_with_back_off_then_given_up(make_notify: Factory) -> None:
    n = make_notify(delivery={"max_attempts": 3, "first_retry_seconds": 30})
    url = n.platforms.url
    n.channel(
        "webhook", {"url": f"{url}/webhook", "secret": WEBHOOK_SECRET}, group_code="city_systems"
    )
    n.platforms.scripted["/webhook"] = [(503, {"error": "busy"})] * 5
    n.dispatched_case()
    start = n.env.clock()
    n.deliver()
    row = _rows(n, channel="webhook")[0]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == start + timedelta(seconds=30)
    shown = MESSAGES.shown(row.last_error, "en")
    assert shown == 'The city system answered HTTP 503 ({"error": "busy"})', shown
    assert MESSAGES.shown(row.last_error, "zh") == '业务系统返回 HTTP 503（{"error": "busy"}）'
    assert n.deliver() == 0  # not due yet
    n.env.clock.advance(seconds=30)
    n.deliver()
    row = _rows(n, channel="webhook")[0]
    assert (row.status, row.attempts) == ("pending", 2)
    assert row.next_attempt_at == n.env.clock() + timedelta(seconds=60)  # doubled
    n.env.clock.advance(seconds=60)
    n.deliver()
    row = _rows(n, channel="webhook")[0]
    assert (row.status, row.attempts) == ("failed", 3)
    # the same delivery id on every attempt: a receiver can drop a duplicate
    ids = {r.headers["x-gardencity-delivery"] for r in n.platforms.received("/webhook")}
    assert ids == {str(row.id)}


def test_two_workers_send_each_message_once(make_notify: Factory) -> None:
    n = make_notify()
    url = n.platforms.url
    n.channel(
        "webhook", {"url": f"{url}/webhook", "secret": WEBHOOK_SECRET}, group_code="city_systems"
    )
    for _ in range(12):
        n.dispatched_case()
    app = n.env.app
    notifier = app.state.notifications.notifier
    workers = [
        DeliveryWorker(
            app.state.db, notifier.config, None, n.env.clock, city_name="示范市", name=f"w{i}"
        )
        for i in range(2)
    ]
    barrier = threading.Barrier(2)

    def run(worker: DeliveryWorker) -> None:
        barrier.wait()
        while worker.run_once(limit=3):
            pass

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        worker.close()
    delivered = [r.headers["x-gardencity-delivery"] for r in n.platforms.received("/webhook")]
    assert len(delivered) == 12 and len(set(delivered)) == 12
    assert {r.status for r in _rows(n, channel="webhook")} == {"sent"}


def test_quiet_hours_hold_and_batching_merges(make_notify: Factory) -> None:
    n = make_notify(
        quiet_hours={"start": "22:00", "end": "07:30", "channels": ["sms"]},
        batching={"window_seconds": 60, "channels": ["wecom"]},
    )
    n.channel(
        "wecom",
        {"webhook_url": f"{n.platforms.url}/wecom?key=robot-key-1"},
        unit_id=n.env.unit("d1s1"),
    )
    n.channel("sms", {"phone": "13800000011"}, user_id=_user(n, "officer11"))
    cases = [n.dispatched_case() for _ in range(3)]
    assert n.deliver() == 3  # the SMS (09:00 is not quiet); the robot waits for the window
    n.env.clock.advance(seconds=61)
    n.deliver()
    robot = n.platforms.received("/wecom")
    assert len(robot) == 1  # three dispatches, one message
    content = robot[0].json["markdown"]["content"]
    assert "3 条新通知" in content and all(c["reference"] in content for c in cases)
    # at 23:00 Beijing an SMS waits for 07:30
    n.advance(hours=14, seconds=-61)  # Monday 23:00 in Beijing
    n.dispatched_case()
    held = [r for r in _rows(n, channel="sms") if r.status == "pending"]
    assert len(held) == 1
    local = held[0].next_attempt_at.astimezone(n.runtime.notifier.config.zone)
    assert (local.day, local.hour, local.minute) == (5, 7, 30)
    assert n.deliver() == 0


def test_residents_data_never_reaches_a_group_chat(make_notify: Factory) -> None:
    n = make_notify()
    n.robots()
    n.channel("sms", {"phone": "13800000011"}, user_id=_user(n, "officer11"))
    lon, lat = n.env.lonlat(500_300, 3_800_300)
    filed = n.env.client.post(
        "/api/v1/public/cases",
        data={"category": "bare_soil", "lon": lon, "lat": lat, "description": "东门黄土",
              "contact_phone": "13912345678"},
    ).json()  # fmt: skip
    subscribe = n.env.client.post(
        "/api/v1/public/notifications/subscribe",
        json={"reference": filed["reference"], "token": filed["token"],
              "phone": "139-1234-5678", "email": "wang.li@example.cn"},
    )  # fmt: skip
    assert subscribe.status_code == 201, subscribe.text
    with n.env.app.state.db.session() as session:
        from gardencity.campaign.models import Case

        case = session.scalars(select(Case).where(Case.reference == filed["reference"])).one()
        case_json = {"id": case.id, "version": case.version}
    n.env.act("coord1", case_json, "dispatch", unit_id=n.env.unit("d1s1"))
    n.env.act("officer11", case_json, "accept")
    n.deliver()
    group_bodies = [
        r.body.decode()
        for path in ("/wecom", "/dingtalk", "/feishu", "/webhook")
        for r in n.platforms.received(path)
    ]
    assert group_bodies
    for body in group_bodies:
        for personal in ("13912345678", "wang.li", "1234-5678"):
            assert personal not in body
    # the resident heard of the acceptance by SMS, in the template the city registered
    sms = [r.json for r in n.platforms.received("/sms") if r.json["mobile"] == "13912345678"]
    assert [s["template"] for s in sms] == ["SMS_2001"]
    assert sms[0]["params"]["url"] == f"https://cy.example.gov.cn/public?ref={filed['reference']}"
    with n.env.app.state.db.session() as session:
        total = session.scalar(
            select(func.count(Notification.id)).where(Notification.audience == "reporter")
        )
    assert total == 2  # SMS and e-mail (the e-mail fails: no SMTP server in this test)
