"""A run's steps and failure, and a peer table's problems, come in the language asked for:
Chinese pages read Chinese, English pages English, never the other language's words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gardencity.assessment import run_assessment
from gardencity.jobs.models import AssessmentRun
from gardencity.jobs.runs import execute_run, start_run, step_text
from gardencity.messages import Message
from tests._campaign import CampaignEnv

HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"\b(?:the|is|not|no|a|of|give|run|Fix|folder|workspace)\b")


def _zh(text: str) -> None:
    assert HAN.search(text) and not ENGLISH_WORD.search(text), text


def _en(text: str) -> None:
    assert not HAN.search(text), text


def _run(env: CampaignEnv, run_id: int, lang: str) -> dict[str, Any]:
    response = env.client.get(f"/api/v1/runs/{run_id}?lang={lang}", headers=env.headers("admin"))
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_run_steps_and_failures_come_in_the_page_language(
    campaign: CampaignEnv, demo_city: Path, tmp_path: Path
) -> None:
    db = campaign.app.state.db
    with db.session() as session:
        run_id = start_run(session, user_id=None).id
    shown: list[tuple[str, str]] = []

    def progress(step: Message, done: int, total: int) -> None:  # as the worker records it
        with db.session() as session:
            run = session.get(AssessmentRun, run_id)
            assert run is not None
            run.message = step_text(step)
        shown.append(
            (_run(campaign, run_id, "zh")["message"], _run(campaign, run_id, "en")["message"])
        )

    run_assessment(demo_city, progress=progress)
    assert len(shown) > 5
    for zh, en in shown:
        _zh(zh)
        _en(en)
    assert shown[0] == ("城市建成区绿化覆盖率", "Green coverage ratio of the built-up area")
    assert shown[-1] == ("完成", "done")

    # the run then fails, and says why in each language (the worker's function, a real failure)
    execute_run(campaign.url, run_id, str(tmp_path / "no-such-city"))
    zh, en = _run(campaign, run_id, "zh"), _run(campaign, run_id, "en")
    assert zh["status"] == "failed" and (zh["message"], en["message"]) == ("失败", "failed")
    assert str(tmp_path) not in zh["error"] + en["error"]  # the server's folders are its own
    where = "no-such-city"
    _zh(zh["error"].replace(where, ""))
    _en(en["error"])
    assert zh["error"].startswith(f"评估未完成：{where} 中没有 city.toml。处理：")
    assert en["error"].startswith(f"The assessment did not finish: {where} has no city.toml")


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_peer_table_problems_come_in_the_page_language(campaign: CampaignEnv) -> None:
    table = "城市,年份,城市建成区绿化覆盖率,greenness\n甲市,2024,很高,1\n乙市,,41.0,\n"

    def problems(lang: str) -> str:
        response = campaign.client.post(
            f"/api/v1/benchmark/figures/import?lang={lang}",
            files={"file": ("peers.csv", table.encode(), "text/csv")},
            headers=campaign.headers("admin"),
        )
        assert response.status_code == 422, response.text
        return str(response.json()["error"]["message"])

    zh, en = problems("zh"), problems("en")
    assert "对标数据有以下问题" in zh and "不是数字" in zh and "greenness" in zh
    assert "The peer figures have problems" in en and "is not a number" in en
    # a Chinese page: only the table's own names (cities, the id it used) are Latin
    _zh(zh.replace("greenness", "").replace("green_coverage_ratio", ""))
    _en(en.replace("甲市", "").replace("很高", ""))
    year = campaign.client.post(
        "/api/v1/benchmark/figures/import?lang=zh",
        files={"file": ("p.csv", "城市,城市建成区绿化覆盖率\n丁市,40\n".encode(), "text/csv")},
        headers=campaign.headers("admin"),
    )
    assert year.status_code == 422 and "请填写年份" in year.json()["error"]["message"]


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_a_file_that_is_no_table_is_refused_in_the_page_language(campaign: CampaignEnv) -> None:
    said = {}
    for lang in ("zh", "en"):
        response = campaign.client.post(
            f"/api/v1/benchmark/figures/import?lang={lang}",
            files={"file": ("peers.txt", b"city,value\n", "text/plain")},
            headers=campaign.headers("admin"),
        )
        assert response.status_code == 422, response.text
        said[lang] = str(response.json()["error"]["message"])
    _zh(
        said["zh"]
        .replace(".csv", "")
        .replace(".xlsx", "")
        .replace("UTF-8", "")
        .replace("Excel", "")
    )
    _en(said["en"])
    assert "请上传 .csv" in said["zh"] and said["en"].startswith("Give a .csv or .xlsx file")
