"""Residents' privacy: photos lose their metadata on every channel and are public only as the
public view shows them, under ids nobody can guess; staff notes stay internal unless they
reply to the reporter; the public sees an address without its door number; out-of-scope
cases answer exactly like missing ones."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from gardencity.campaign.models import Attachment
from gardencity.storage.files import FileStore
from tests._campaign import CampaignEnv
from tests._images import MARKERS, phone_photo

SECRET_NOTE = "联系人王小明 13912345678 家住3号楼"


def _open311(
    env: CampaignEnv, photo: bytes | None = None, kind: str = "image/jpeg", **fields: Any
) -> dict[str, Any]:
    lon, lat = env.lonlat(500_400, 3_800_400)
    data = {
        "api_key": env.seed.api_key,
        "service_code": "dead_or_missing_tree",
        "lat": str(lat),
        "long": str(lon),
        "description": "行道树枯死",
    } | fields
    files = {"media": ("IMG_0042", photo, kind)} if photo else None
    response = env.client.post("/open311/v2/requests.json", data=data, files=files)
    assert response.status_code == 201, response.text
    return dict(response.json()[0])


def _staff_case(env: CampaignEnv, reference: str) -> dict[str, Any]:
    found = env.client.get(f"/api/v1/cases?q={reference}", headers=env.headers("admin"))
    [case] = found.json()["items"]
    return dict(case)


def _stored_files(env: CampaignEnv) -> list[bytes]:
    root = Path(env.app.state.settings.files_dir)
    return [p.read_bytes() for p in root.rglob("*") if p.is_file()]


def _clean(content: bytes) -> bool:
    return not [m for m in MARKERS if m in content] and not Image.open(
        io.BytesIO(content)
    ).getexif().get(0x8825)


def test_photos_lose_their_metadata_on_every_channel(campaign: CampaignEnv) -> None:
    env = campaign
    # the public page, Open311 POST with a photo (HEIC, as iPhones send), a staff upload
    # of an attachment and of target evidence
    lon, lat = env.lonlat(501_500, 3_800_500)
    public = env.client.post(
        "/api/v1/public/cases",
        data={"category": "weeds", "lon": lon, "lat": lat},
        files={"photo": ("IMG_0001.jpg", phone_photo("JPEG"), "image/jpeg")},
    )
    assert public.status_code == 201, public.text
    receipt = _open311(env, phone_photo("HEIF"), "image/heic")
    case = _staff_case(env, receipt["service_request_id"])
    staff = env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("scene.png", phone_photo("PNG"), "image/png")},
        data={"role": "before"},
        headers=env.headers("admin"),
    )
    assert staff.status_code == 201, staff.text
    evidence = env.client.post(
        "/api/v1/evidence",
        files={"file": ("site.webp", phone_photo("WEBP"), "image/webp")},
        headers=env.headers("admin"),
    )
    assert evidence.status_code == 201, evidence.text
    stored = _stored_files(env)
    assert len(stored) == 4 and all(_clean(content) for content in stored)
    # served: upright (EXIF orientation 6 applied), HEIC as JPEG
    [listed] = env.client.get(f"/open311/v2/requests/{receipt['service_request_id']}.json").json()
    photo = env.client.get(listed["media_url"].replace("http://testserver", ""))
    assert photo.headers["content-type"] == "image/jpeg" and _clean(photo.content)
    assert Image.open(io.BytesIO(photo.content)).size == (32, 64)
    served = env.client.get(
        f"/api/v1/attachments/{staff.json()['id']}", headers=env.headers("admin")
    )
    assert served.status_code == 200 and _clean(served.content)


def test_only_what_the_public_view_shows_is_public_and_ids_cannot_be_enumerated(
    campaign: CampaignEnv,
) -> None:
    env = campaign
    receipt = _open311(env, phone_photo("JPEG"))
    case = _staff_case(env, receipt["service_request_id"])
    staff_photo = env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("inside.jpg", phone_photo("JPEG", orientation=1), "image/jpeg")},
        data={"role": "after"},
        headers=env.headers("admin"),
    ).json()
    assert staff_photo["public"] is False
    # the anonymous media route knows no sequential ids, and not the staff photo either
    for guess in (str(staff_photo["id"]), str(staff_photo["id"] - 1), staff_photo["public_id"]):
        assert env.client.get(f"/open311/v2/media/{guess}").status_code in {404, 422}
    followed = env.client.get(f"/api/v1/public/cases/{receipt['service_request_id']}").json()
    [shown] = followed["photos"]  # the resident's own photo only
    public_id = shown["url"].rsplit("/", 1)[1]
    assert shown["role"] == "before" and len(public_id) >= 22
    assert env.client.get(shown["url"]).status_code == 200
    [listed] = env.client.get(f"/open311/v2/requests/{receipt['service_request_id']}.json").json()
    assert listed["media_url"].endswith(f"/open311/v2/media/{public_id}")
    # staff may choose to publish a photo (e.g. the finished work)
    chosen = env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("done.jpg", phone_photo("JPEG", orientation=3), "image/jpeg")},
        data={"role": "after", "public": "true"},
        headers=env.headers("admin"),
    ).json()
    assert chosen["public"] is True
    assert env.client.get(f"/open311/v2/media/{chosen['public_id']}").status_code == 200
    document = env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("memo.pdf", b"%PDF-1.4\n" + b"x" * 50, "application/pdf")},
        data={"role": "document", "public": "true"},
        headers=env.headers("admin"),
    )
    assert document.status_code == 422 and "只有照片" in document.json()["error"]["message"]


def test_photos_stored_before_stripping_are_never_served_with_metadata(
    campaign: CampaignEnv,
) -> None:
    env = campaign
    receipt = _open311(env)
    case = _staff_case(env, receipt["service_request_id"])
    ctx = env.app.state.ctx
    raw = phone_photo("JPEG")
    old = ctx.files.put(raw, clean_photos=False)  # as an older version stored it
    with env.app.state.db.session() as session:
        row = Attachment(
            case_id=case["id"],
            sha256=old.sha256,
            media_type="image/jpeg",
            size=old.size,
            role="before",
            created_at=env.clock(),
            public=True,
            metadata_stripped=False,
        )
        session.add(row)
        session.commit()
        attachment_id, public_id = row.id, row.public_id
    assert not _clean(ctx.files.read(old.sha256))
    served = [
        env.client.get(f"/open311/v2/media/{public_id}"),
        env.client.get(f"/api/v1/attachments/{attachment_id}", headers=env.headers("admin")),
    ]
    assert all(r.status_code == 200 and _clean(r.content) for r in served)
    from gardencity.campaign import media

    with env.app.state.db.session() as session:
        report = media.clean_stored_photos(session, ctx)
        assert (report.cleaned, report.removed_files, report.unreadable) == (1, 1, [])
        row = session.get(Attachment, attachment_id)
        assert row is not None and row.metadata_stripped and row.public_id == public_id
        assert _clean(FileStore(ctx.files.root).read(row.sha256))
    assert not ctx.files.exists(old.sha256)  # the original, with its GPS position, is gone


def test_staff_notes_are_internal_unless_they_reply_to_the_reporter(campaign: CampaignEnv) -> None:
    env = campaign
    receipt = _open311(env, address_string="幸福小区3号楼2单元501室门口")
    reference = receipt["service_request_id"]
    case = _staff_case(env, reference)
    assert case["address"] == "幸福小区3号楼2单元501室门口"  # staff see the exact address
    assert env.act("coord1", case, "comment", reason=SECRET_NOTE).status_code == 200
    assert (
        env.act(
            "coord1", case, "dispatch", reason=SECRET_NOTE, unit_id=env.unit("d1s1")
        ).status_code
        == 200
    )
    public_urls = (
        f"/open311/v2/requests/{reference}.json?extensions=true",
        f"/open311/v2/requests/{reference}.xml?extensions=true",
        "/open311/v2/requests.json?extensions=true",
        f"/api/v1/public/cases/{reference}",
    )
    for url in public_urls:
        body = env.client.get(url).content.decode()
        assert "王小明" not in body and "13912345678" not in body and "501室" not in body, url
    [one] = env.client.get(f"/open311/v2/requests/{reference}.json?extensions=true").json()
    assert one["address"] == "幸福小区" and one["status_notes"] is None
    assert [u["action"] for u in one["updates"]] == ["file", "dispatch"]  # no internal comment
    staff = env.client.get(f"/api/v1/cases/{case['id']}", headers=env.headers("admin")).json()
    assert [(e["action"], e["public"]) for e in staff["events"]][1:] == [
        ("comment", False),
        ("dispatch", False),
    ]
    # a deliberate reply to the reporter is public
    reply = "已安排园林处补植，预计一周内完成"
    answered = env.act("coord1", case, "comment", reason=reply, public=True)
    assert answered.status_code == 200, answered.text
    env.app.state.public_cache.clear()
    [one] = env.client.get(f"/open311/v2/requests/{reference}.json?extensions=true").json()
    assert one["status_notes"] == reply and one["updates"][-1]["status_notes"] == reply
    timeline = env.client.get(f"/api/v1/public/cases/{reference}").json()["timeline"]
    assert [e["note"] for e in timeline] == [None, None, reply]
    empty = env.act("coord1", case, "comment", reason=" ", public=True)
    assert empty.status_code == 422


def test_absolute_urls_come_from_the_configured_base_not_the_host_header(
    campaign: CampaignEnv, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from gardencity.app import create_app
    from gardencity.settings import Settings

    env = campaign
    _open311(env, phone_photo("JPEG"))
    env.app.state.public_cache.clear()
    poisoned = env.client.get("/open311/v2/requests.json", headers={"Host": "evil.example"})
    assert poisoned.json()[0]["media_url"].startswith("http://evil.example/")
    honest = env.client.get("/open311/v2/requests.json").json()  # same path and query
    assert honest[0]["media_url"].startswith("http://testserver/open311/v2/media/")
    settings = Settings(
        database_url=env.url,
        files_dir=env.app.state.settings.files_dir,
        public_base_url="https://garden.example.cn/city",
    )
    with TestClient(create_app(settings, clock=env.clock)) as client:
        for host in ("evil.example", "testserver"):
            [item] = client.get("/open311/v2/requests.json", headers={"Host": host}).json()
            assert item["media_url"].startswith("https://garden.example.cn/city/open311/v2/media/")


def test_out_of_scope_cases_answer_exactly_like_missing_ones(campaign: CampaignEnv) -> None:
    env = campaign
    case = env.file("patrol1")  # district 1
    photo = env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("p.jpg", phone_photo("JPEG"), "image/jpeg")},
        headers=env.headers("patrol1"),
    ).json()
    outsider = env.headers("coord2")  # district 2's coordinator
    missing_id = 999_999

    def same(path: str, hidden_id: int) -> None:
        hidden = env.client.get(path.format(hidden_id), headers=outsider)
        missing = env.client.get(path.format(missing_id), headers=outsider)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(str(hidden_id), "N") == missing.text.replace(
            str(missing_id), "N"
        )
        assert case["reference"] not in hidden.text

    same("/api/v1/cases/{}", case["id"])
    same("/api/v1/attachments/{}", photo["id"])
    hidden = env.client.post(
        f"/api/v1/cases/{case['id']}/actions/comment",
        json={"version": 1, "reason": "x"},
        headers=outsider,
    )
    missing = env.client.post(
        f"/api/v1/cases/{missing_id}/actions/comment",
        json={"version": 1, "reason": "x"},
        headers=outsider,
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(str(case["id"]), "N") == missing.text.replace(str(missing_id), "N")


def test_a_resident_sees_of_their_own_report_only_what_is_public(campaign: CampaignEnv) -> None:
    env = campaign
    case = env.file("resident")
    uploaded = [
        env.client.post(
            f"/api/v1/cases/{case['id']}/attachments",
            files={"file": ("p.jpg", phone_photo("JPEG", orientation=o), "image/jpeg")},
            data={"role": "after", "public": public},
            headers=env.headers("admin"),
        ).json()
        for o, public in ((1, "false"), (3, "true"))
    ]
    internal, shown = uploaded
    mine = env.client.get(f"/api/v1/cases/{case['id']}", headers=env.headers("resident")).json()
    assert [a["id"] for a in mine["attachments"]] == [shown["id"]]
    resident = env.headers("resident")
    assert env.client.get(f"/api/v1/attachments/{shown['id']}", headers=resident).status_code == 200
    hidden = env.client.get(f"/api/v1/attachments/{internal['id']}", headers=resident)
    missing = env.client.get("/api/v1/attachments/999999", headers=resident)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(str(internal["id"]), "N") == missing.text.replace("999999", "N")
