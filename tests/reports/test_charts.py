"""The report's bar charts: SVG in the page, to scale, every district named, none drawn as
a zero where it has no value, and names however hostile shown as text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from gardencity.reports.charts import bar_chart
from gardencity.reports.html import district_charts, load_labels

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _texts(root: ET.Element) -> list[str]:
    """Each text's words (a name's lines joined by a space), without its tooltip."""
    return [
        " ".join(x.text or "" for x in [t, *t.iter(f"{SVG}tspan")] if x.text)
        for t in root.iter(f"{SVG}text")
    ]


def _bars(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}rect"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_reports_bar_charts_are_svg_in_the_page(
    demo_assessment, demo_report, lang: str
) -> None:  # type: ignore[no-untyped-def]
    scorecard = demo_assessment.scorecard()
    page = demo_report(lang).read_text(encoding="utf-8")
    found = list(re.finditer(r'<svg [^>]*class="chart (screen|phone)".*?</svg>', page, re.S))
    charts, svgs = [m.group(1) for m in found], [m.group(0) for m in found]
    expected = district_charts(scorecard, lang)
    # each chart laid out for a screen, then for a phone
    assert charts == ["screen", "phone"] * len(expected) and len(expected) >= 5
    names = {d.label(lang) for d in scorecard.districts}
    for i, svg in enumerate(svgs):
        root = _parsed(svg)
        assert root.get("aria-label") == expected[i // 2]["title"]
        assert names <= set(_texts(root))  # every district named under its bar
    # the charts are no pictures: their section of the page has none
    section = page[page.index("<h2>" + load_labels(lang)["charts"]) :].split("</section>")[0]
    assert len(re.findall(r'class="chart ', section)) == len(svgs) and "<img" not in section


def test_bars_are_to_scale_and_the_threshold_where_its_value_is() -> None:
    labels = load_labels("zh")
    root = _parsed(
        bar_chart(["甲区", "乙区", "丙区"], [20.0, 40.0, 10.0], 30.0, labels, "绿地率", "%")
    )
    heights = [float(r.get("height")) for r in _bars(root)]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.2)
    assert heights[0] == pytest.approx(2 * heights[2], abs=0.2)
    foot = float(_bars(root)[0].get("y")) + heights[0]
    dashed = next(line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray"))
    assert foot - float(dashed.get("y1")) == pytest.approx(1.5 * heights[0], abs=0.2)
    colours = [r.get("fill") for r in _bars(root)]
    assert colours[1] != colours[0] == colours[2]  # only 乙区 meets 30
    assert "阈值 30" in _texts(root)


def test_a_district_without_a_value_has_no_bar_and_says_so() -> None:
    for lang in ("zh", "en"):
        labels = load_labels(lang)
        root = _parsed(bar_chart(["甲区", "乙区"], [None, 12.5], 10.0, labels, "t", "%"))
        assert len(_bars(root)) == 1
        assert labels["no_value"] in _texts(root)
        assert "0.0" not in _texts(root) and "12.5" in _texts(root)
    root = _parsed(bar_chart(["甲区", "乙区"], [None, None], 90.0, labels, "t", "%"))
    assert not _bars(root) and _texts(root).count(labels["no_value"]) == 2


def test_hostile_district_names_are_text() -> None:
    name = '<script>alert("x")</script> & </svg><img src=x onerror=alert(1)>'
    svg = bar_chart([name, "乙区"], [1.0, 2.0], None, load_labels("en"), name, "m²/person")
    root = _parsed(svg)  # still one well-formed SVG
    assert root.get("aria-label") == name
    assert "<script>" not in svg and "<img" not in svg
    assert name in _texts(root)  # under its bar, as it is written


def test_names_too_long_for_their_bars_are_turned_not_run_together() -> None:
    names = [f"District {n} New Area" for n in "ABCDEFGHIJKL"]
    root = _parsed(
        bar_chart(names, [float(i) for i in range(12)], 5.0, load_labels("en"), "t", "%")
    )
    turned = [t for t in root.iter(f"{SVG}text") if "rotate(-35)" in (t.get("transform") or "")]
    assert ["".join(t.itertext()) for t in turned] == names
    height = float(root.get("viewBox").split()[3])
    assert height > 300  # room for them below the plot
