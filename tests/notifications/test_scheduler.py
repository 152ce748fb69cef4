"""The built-in scheduler, driven by a controllable clock: escalation, due-soon and overdue
reminders, each leader's daily digest (with photos), the weekly flag announcement; and two
server processes on one database that run and send each scheduled message once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gardencity.app import create_app
from gardencity.auth.models import User
from gardencity.notifications.models import Notification, SchedulerRun
from gardencity.settings import Settings
from gardencity.storage.images import strip_metadata
from tests.campaign.test_workflow import JPEG
from tests.notifications._receivers import smtp_server
from tests.notifications.conftest import Factory, NotifyEnv

JOBS = ["escalation", "reminders", "digest", "flags", "housekeeping"]


def _events(n: NotifyEnv, username: str) -> list[str]:
    with n.env.app.state.db.session() as session:
        uid = session.scalars(select(User.id).where(User.username == username)).one()
        return list(
            session.scalars(
                select(Notification.event)
                .where(Notification.user_id == uid, Notification.channel == "inbox")
                .order_by(Notification.id)
            ).all()
        )


def _with_photo(n: NotifyEnv) -> dict[str, Any]:
    case = n.env.file("patrol1")
    photo = n.env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("before.jpg", JPEG, "image/jpeg")},
        data={"role": "before"},
        headers=n.env.headers("patrol1"),
    )
    assert photo.status_code == 201, photo.text
    n.env.act("coord1", case, "dispatch", unit_id=n.env.unit("d1s1"))
    return case


def test_the_clock_drives_reminders_escalation_digests_and_flags(
    make_notify: Factory, tmp_path: Path
) -> None:
    with smtp_server("none", tmp_path) as mailbox:
        n = make_notify(
            smtp={"host": "127.0.0.1", "port": mailbox.port, "security": "none",
                  "sender": "cy@example.gov.cn"},
        )  # fmt: skip
        with n.env.app.state.db.session() as session:
            leader = session.scalars(select(User.id).where(User.username == "leader")).one()
        n.channel("email", {"addresses": ["leader@example.gov.cn"]}, user_id=leader)
        case = _with_photo(n)  # Monday 09:00; deadline Thursday 09:00
        scheduler = n.runtime.scheduler
        assert scheduler.tick() == JOBS  # Monday 09:00: every job's latest slot is due
        assert scheduler.tick() == []  # … and ran once
        assert "digest" in _events(n, "leader")
        assert "flags_computed" in _events(n, "officer11")  # every unit hears the standings

        n.advance(days=2, hours=1)  # Wednesday 10:00: 23 hours left
        assert scheduler.tick() == ["escalation", "reminders", "digest", "housekeeping"]
        assert _events(n, "officer11")[-1] == "due_soon"

        n.advance(days=1)  # Thursday 10:00: an hour overdue
        assert scheduler.tick() == ["escalation", "reminders", "digest", "housekeeping"]
        officer = _events(n, "officer11")
        assert officer.count("overdue") == 1 and officer.count("due_soon") == 1
        assert "overdue" in _events(n, "coord1")  # the district hears too
        assert "escalated" in _events(n, "leader")  # level 1: the district and the leader
        n.advance(minutes=15)  # 10:15: the 10:05 escalation and the 10:15 reminders run …
        assert scheduler.tick() == ["escalation", "reminders"]
        assert _events(n, "officer11").count("overdue") == 1  # … and repeat nothing
        assert _events(n, "leader").count("escalated") == 1

        n.deliver()
        digests = [m for m in mailbox.wait_for(4) if "每日简报" in str(m["Subject"])]
    assert len(digests) == 3  # Monday, Wednesday, Thursday
    thursday = digests[-1]
    text = thursday.get_body(("plain",)).get_content()
    assert "在办 1 件，其中超期 1 件" in text and case["reference"] in text
    photos = [part for part in thursday.walk() if part.get_content_type() == "image/jpeg"]
    stored = strip_metadata(JPEG, "image/jpeg").content  # the photo as stored: no metadata
    assert len(photos) == 1 and photos[0].get_content() == stored  # inline, with the e-mail
    html = thursday.get_body(("related", "html")).get_body(("html",)).get_content()
    assert f'src="cid:{photos[0]["Content-ID"][1:-1]}"' in html


def test_a_slot_missed_long_ago_is_not_run(make_notify: Factory) -> None:
    n = make_notify(schedule={"catch_up_hours": 0.5, "flags": None})
    scheduler = n.runtime.scheduler
    # Monday 09:00: the digest's (08:00) and the escalation's (08:05) slots are older than
    # the half hour allowed; the reminders' (09:00) is not
    assert scheduler.tick() == ["reminders"]


def test_two_servers_run_and_send_each_scheduled_message_once(make_notify: Factory) -> None:
    n = make_notify()
    with n.env.app.state.db.session() as session:
        leader = session.scalars(select(User.id).where(User.username == "leader")).one()
    n.channel("wecom", {"webhook_url": f"{n.platforms.url}/wecom?key=robot-key-1"}, user_id=leader)
    _with_photo(n)
    first = n.env.app
    settings: Settings = first.state.settings
    second = create_app(
        Settings(
            database_url=settings.database_url,
            files_dir=settings.files_dir,
            campaign_config=settings.campaign_config,
        ),
        clock=n.env.clock,
        background=False,
    )
    runtimes = [first.state.notifications, second.state.notifications]
    try:
        ran: list[list[str]] = [[], []]
        barrier = threading.Barrier(2)

        def tick(i: int) -> None:
            barrier.wait()
            for _ in range(3):
                ran[i] += runtimes[i].scheduler.tick()

        threads = [threading.Thread(target=tick, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(ran[0] + ran[1]) == sorted(JOBS)  # one of them ran every job, once
        assert [] in ran  # the other held no lease (or found every slot taken)
        with first.state.db.session() as session:
            runs = session.scalars(select(SchedulerRun.job)).all()
        assert sorted(runs) == sorted(JOBS)

        # the lease holder dies: after its lease the other takes over, and runs nothing twice
        holder = 0 if ran[0] else 1
        n.advance(seconds=91)
        assert runtimes[1 - holder].scheduler.tick() == []
        n.advance(hours=23)  # Tuesday 08:xx: the next digest, by the survivor
        assert "digest" in runtimes[1 - holder].scheduler.tick()

        def deliver(i: int) -> None:
            barrier.wait()
            while runtimes[i].worker.run_once(limit=1):
                pass

        threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        robot = [r.json["markdown"]["content"] for r in n.platforms.received("/wecom")]
        assert len([c for c in robot if "每日简报" in c]) == 2  # Monday's and Tuesday's, once each
    finally:
        second.state.notifications.stop()
        second.state.db.dispose()


def test_housekeeping_forgets_what_is_old_and_done(make_notify: Factory) -> None:
    n = make_notify(retention_days=30)
    n.dispatched_case()  # an unread inbox entry and a read one, both kept while young
    officer = n.env.headers("officer11")
    n.dispatched_case()
    first = n.env.client.get("/api/v1/inbox", headers=officer).json()["items"][-1]["id"]
    n.env.client.post("/api/v1/inbox/read", json={"ids": [first]}, headers=officer)
    runtime = n.runtime
    assert runtime.scheduler.run("housekeeping", n.env.clock(), n.env.clock())
    n.advance(days=31)
    assert runtime.scheduler.run("housekeeping", n.env.clock(), n.env.clock())
    with n.env.app.state.db.session() as session:
        runs = session.scalars(select(SchedulerRun.slot)).all()
    inbox = n.env.client.get("/api/v1/inbox", headers=n.env.headers("officer11")).json()
    assert [i["id"] for i in inbox["items"] if i["id"] == first] == []  # read and old: gone
    assert inbox["unread"] == len(inbox["items"]) == 1  # unread: kept however old
    assert len(runs) == 1  # the month-old run is forgotten too
