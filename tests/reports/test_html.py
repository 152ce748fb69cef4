"""The report is one self-contained file, in Chinese or English, with its maps in the page."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from gardencity.reports import write_report

SVG = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="module")
def scorecard(demo_assessment):  # type: ignore[no-untyped-def]
    return demo_assessment.to_dict()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_is_self_contained_with_maps(
    demo_assessment,
    scorecard,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    lang: str,
) -> None:
    path = write_report(
        scorecard,
        demo_assessment.zones,
        demo_assessment.diagnostics,
        tmp_path / "report.html",
        lang=lang,
    )
    html = path.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="https?://', html)
    maps = re.findall(r'<figure class="map">(.*?)</figure>', html, re.S)
    assert len(maps) >= 6 and "<img" not in html  # every map SVG in the page, no picture
    for figure in maps:
        svg = ElementTree.fromstring(re.search(r"<svg .*?</svg>", figure, re.S).group(0))
        assert svg.get("viewBox") and svg.findall(f"{{{SVG}}}path")
        assert '<ul class="legend">' in figure and 'class="scale"' in figure
    if lang == "zh":
        assert "园林城市指标评估报告" in html and "未达标（阈值待核实）" in html
        assert "阈值可信度" in html and "需新增公园绿地约" in html
    else:
        assert "Garden City indicator assessment" in html
        assert "fail (threshold unverified)" in html and "Add about" in html
        assert "阈值可信度" not in html


def test_every_indicator_value_threshold_and_confidence_is_shown(
    demo_assessment,
    scorecard,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    html = write_report(
        scorecard, demo_assessment.zones, demo_assessment.diagnostics, tmp_path / "r.html"
    ).read_text(encoding="utf-8")
    for result in scorecard["indicators"]:
        row = html.split(f'id="ind-{result["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert result["name_zh"] in row
        if result["value"] is not None and result["unit"] != "是/否":
            shown = (
                f"{result['value']:,.2f}"
                if abs(result["value"]) < 100
                else f"{result['value']:,.1f}"
            )
            assert shown in row
        if result["threshold"] and result["threshold"]["value"] is not None:
            # as a figure writes it: ≥ 40, never the ASCII >= 40
            sign = {">=": "≥", "<=": "≤", ">": "&gt;", "<": "&lt;"}[result["threshold"]["op"]]
            assert f"{sign} {result['threshold']['value']}" in row
            assert "&gt;=" not in row and "&lt;=" not in row
            label = {"confirmed": "已确认", "secondary": "二手来源", "unverified": "未核实"}
            assert label[result["threshold"]["confidence"]] in row
        if result.get("min_district"):  # the lowest district by its name, never its code
            name = {str(d["id"]): d["name"] for d in scorecard["districts"]}[
                str(result["min_district"])
            ]
            assert f"最低城区: {name}" in row and str(result["min_district"]) not in row


def test_osm_data_carries_the_odbl_attribution(
    demo_assessment,
    scorecard,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    card = {**scorecard, "city": {**scorecard["city"], "data_source": "OpenStreetMap"}}
    html = write_report(card, demo_assessment.zones, {}, tmp_path / "r.html").read_text(
        encoding="utf-8"
    )
    assert "OpenStreetMap" in html and "ODbL" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_city_and_its_districts_are_named_in_the_reports_language(
    demo_assessment,  # type: ignore[no-untyped-def]
    scorecard,
    tmp_path: Path,
    lang: str,
) -> None:
    from gardencity.reports.html import districts_of
    from gardencity.reports.map_layers import map_plan

    html = write_report(
        scorecard,
        demo_assessment.zones,
        demo_assessment.diagnostics,
        tmp_path / "report.html",
        lang=lang,
    ).read_text(encoding="utf-8")
    heading = html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    chinese = [d["name"] for d in scorecard["districts"]]
    english = [d["name_en"] for d in scorecard["districts"]]
    assert "Gulou District" in english and "鼓楼区" in chinese
    shown, hidden = (chinese, english) if lang == "zh" else (english, chinese)
    assert ("示范市" if lang == "zh" else "Demo City") in heading
    assert ("Demo City" if lang == "zh" else "示范市") not in html
    heads = re.findall(r"<thead>.*?</thead>", html, re.S)
    assert any(all(f"<th>{name}</th>" in head for name in shown) for head in heads)
    assert not any(name in html for name in hidden)
    # an indicator's unit after its value, in the report's language
    row = html.split('id="ind-park_area_per_capita"', 1)[1].split("</tr>", 1)[0]
    value = re.findall(r'<td class="num">(.*?)</td>', row)[0]
    assert value.endswith("m²/人" if lang == "zh" else "m²/person"), value
    # the names written on a map of the districts
    districts = districts_of(demo_assessment.zones)
    plan = map_plan([], districts, "", lang=lang, names=districts)
    assert {name for name, *_ in plan.names} == set(shown)


def test_the_template_is_compiled_once_a_process_while_the_figures_are_drawn(
    demo_assessment,  # type: ignore[no-untyped-def]
    scorecard,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """Compiling the report's template is not left until the figures are given (it is
    done while the figure worker draws them), and is done once however many reports a
    process writes, each in its own language and with its own labels."""
    import jinja2

    from gardencity.reports import html as html_module
    from gardencity.reports.html import load_labels
    from gardencity.vocabulary import vocabulary

    events: list[str] = []
    compile_template = jinja2.Environment.compile

    def compiling(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("compiled")
        return compile_template(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compiling)
    monkeypatch.setattr(html_module, "_bytecode_cache", lambda: None)  # compiled here, then
    html_module.report_templates.cache_clear()
    request.addfinalizer(html_module.report_templates.cache_clear)  # the next test's own
    problem = {
        "severity": "error",
        "layer": "parks",
        "message": "a park without a name",
        "message_zh": "公园缺少名称",
        "fix": "name it",
        "fix_zh": "补上名称",
    }
    card = {**scorecard, "validation": [problem]}
    pages = {}
    for lang in ("zh", "en"):
        pages[lang] = write_report(
            card,
            demo_assessment.zones,
            demo_assessment.diagnostics,
            tmp_path / f"{lang}.html",
            lang=lang,
            drawn=lambda: (events.append("figures"), ([], []))[1],
            layer_maps=lambda: (events.append("maps"), [])[1],
        ).read_text(encoding="utf-8")
    assert events == ["compiled", "maps", "figures", "maps", "figures"]
    unit = next(r["unit"] for r in scorecard["indicators"] if r["unit"] == "m²/人")
    assert f"({unit})" in pages["zh"]
    assert f"({vocabulary().label('units', unit, 'en')})" in pages["en"]
    for lang, page in pages.items():
        labels = load_labels(lang)
        assert html_module.problem_text(problem, labels, lang).split(" — ")[1] in page
    assert "公园缺少名称" in pages["zh"] and "a park without a name" in pages["en"]


def test_the_reports_templates_are_compiled_once_a_machine() -> None:
    """Jinja's cache of compiled templates, in the user's private temporary folder: a
    later command loads the report's templates compiled rather than compiling them."""
    import subprocess
    import sys

    from gardencity.reports.html import report_templates

    cache = report_templates().bytecode_cache
    assert cache is not None
    folder = Path(cache.directory)  # type: ignore[attr-defined]
    script = (
        "import sys, jinja2\n"
        "compiled = []\n"
        "real = jinja2.Environment.compile\n"
        "jinja2.Environment.compile = lambda *a, **k: compiled.append(1) or real(*a, **k)\n"
        "from gardencity.reports.html import report_template\n"
        "report_template()\n"
        "print(len(compiled))\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert int(runs[1].stdout) == 0  # loaded as compiled by the first (or an earlier) run
    assert any(folder.glob("__jinja2_*.cache")) and folder.stat().st_mode & 0o077 == 0
