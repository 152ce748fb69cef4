"""Migration 0006 on a database an older version filled: every event's reason becomes
internal (none was a deliberate reply), every attachment gets its own unguessable public
id, the residents' report photos stay public, and every stored photo counts as not yet
cleaned (so it is cleaned whenever served). Down and up again on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from gardencity.campaign.models import Attachment, CaseEvent
from gardencity.db.migrate import alembic_config, current_revision, head_revision, upgrade
from tests._campaign import CampaignEnv
from tests._images import plain_jpeg


def test_upgrade_from_0005_keeps_residents_photos_public_and_notes_internal(
    campaign: CampaignEnv,
) -> None:
    env = campaign
    lon, lat = env.lonlat(501_500, 3_800_500)
    report = env.client.post(
        "/api/v1/public/cases",
        data={"category": "weeds", "lon": lon, "lat": lat},
        files={"photo": ("p.jpg", plain_jpeg(), "image/jpeg")},
    ).json()
    case = env.file("patrol1")
    env.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("p.jpg", plain_jpeg((9, 9, 9)), "image/jpeg")},
        headers=env.headers("patrol1"),
    )
    assert env.act("coord1", case, "comment", reason="内部意见").status_code == 200
    engine = env.app.state.db.engine
    engine.dispose()
    command.downgrade(alembic_config(engine), "0005")
    with engine.begin() as connection:  # what the older version left: every event public
        connection.execute(text("UPDATE case_events SET public = :yes").bindparams(yes=True))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with env.app.state.db.session() as session:
        rows = session.execute(
            select(Attachment.public_id, Attachment.public, Attachment.metadata_stripped).order_by(
                Attachment.id
            )
        ).all()
        assert [(public, stripped) for _, public, stripped in rows] == [
            (True, False),  # the resident's report photo
            (False, False),  # the patrol's photo
        ]
        ids = [public_id for public_id, _, _ in rows]
        assert len(set(ids)) == 2 and all(len(i) >= 22 for i in ids)
        assert not any(session.scalars(select(CaseEvent.public)).all())
    followed = env.client.get(f"/api/v1/public/cases/{report['reference']}").json()
    assert [p["url"].rsplit("/", 1)[1] for p in followed["photos"]] == [ids[0]]
    assert env.client.get(followed["photos"][0]["url"]).status_code == 200
