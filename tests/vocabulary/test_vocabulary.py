"""One presentation vocabulary: the QGIS styles, the report's maps and the code take every
label and colour of a layer or a status from vocabulary.yaml, and define none of their own."""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex, to_rgba
from matplotlib.lines import Line2D

from gardencity.indicators import FAMILIES
from gardencity.reports.html import report_layers
from gardencity.reports.maps import layer_figure, map_style
from gardencity.reports.outputs import write_diagnostics
from gardencity.vocabulary import GROUPS, rgba, vocabulary

SRC = Path(__file__).resolve().parents[2] / "src" / "gardencity"
HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b(?![0-9a-fA-F-])")
# files that may write a colour literal, and why
ALLOWED = {
    "vocabulary/vocabulary.yaml": "the vocabulary itself",
    "web/static/photos.js": "a photo's transparent parts painted white when it is shrunk",
}


def test_every_term_has_both_languages_and_every_status_a_style() -> None:
    words = vocabulary()
    for group in GROUPS:
        for key, term in words.group(group).items():
            if term.label is not None:
                assert term.label.zh.strip() or key in ("count", "是/否"), (group, key)
    statuses = {"pass", "fail", "pass_unverified", "fail_unverified", "no_threshold"}
    statuses |= {"not_assessed", "insufficient_data", "error"}
    assert set(words.statuses) == statuses
    assert all(term.style is not None for term in words.statuses.values())
    assert words.label("statuses", "insufficient_data", "zh") == "数据不足"
    assert words.label("statuses", "not_assessed", "zh") == "未评估"


def test_every_diagnostic_layer_has_a_style_and_a_label() -> None:
    declared = {"zones", "districts_below_minimum"}
    for diagnostic in FAMILIES.diagnostics():
        declared |= set(diagnostic.layers)
    missing = {name for name in declared if name not in vocabulary().layers}
    assert not missing, f"layers without a style in vocabulary.yaml: {sorted(missing)}"


def _layer_styles(path: Path) -> dict[str, ElementTree.Element]:
    with sqlite3.connect(path) as db:
        rows = db.execute("select f_table_name, styleQML from layer_styles").fetchall()
    return {name: ElementTree.fromstring(qml.split(">", 1)[1]) for name, qml in rows}


def _options(layer: ElementTree.Element) -> dict[str, str]:
    return {o.get("name", ""): o.get("value", "") for o in layer.iter("Option") if o.get("name")}


def test_qml_styles_are_the_vocabulary_styles(demo_assessment: Any, tmp_path: Path) -> None:
    path = write_diagnostics(demo_assessment.diagnostics, tmp_path / "diagnostics.gpkg")
    styles = _layer_styles(path)
    assert {"zones", "uncovered_residential", "road_shade_segments"} <= set(styles)
    for name, qml in styles.items():
        style = vocabulary().style("layers", name)
        first = _options(next(qml.iter("layer")))
        if "line_color" in first:
            assert first["line_color"] == rgba(style.stroke or "")
            assert float(first["line_width"]) == pytest.approx(style.width)
        else:
            assert first["color"] == rgba(style.fill or "", style.fill_opacity)
            assert first["outline_color"] == rgba(style.stroke or "")
            assert float(first["outline_width"]) == pytest.approx(style.width)


def test_the_report_legends_are_the_vocabulary(demo_assessment: Any) -> None:
    zones = demo_assessment.zones
    districts = zones[zones["kind"] == "district"]
    city = zones.loc[["built_up_area"]]
    words = vocabulary()
    maps = report_layers(demo_assessment.diagnostics, districts)
    assert len(maps) >= 3
    seen = set()
    for lang in ("zh", "en"):
        for _title, layers in maps:
            with map_style():
                fig = layer_figure(layers, city, {}, "t", lang=lang)
            legend = fig.axes[0].get_legend()
            texts = [t.get_text() for t in legend.get_texts()]
            entries = dict(zip(texts, legend.legend_handles, strict=True))
            plt.close(fig)
            for gdf, name in layers:
                if gdf is None or gdf.empty:
                    continue
                seen.add(name)
                style = words.style("layers", name)
                handle = entries.pop(words.label("layers", name, lang))
                if isinstance(handle, Line2D):
                    assert to_hex(handle.get_color()) == style.stroke
                    continue
                fill = (
                    (0, 0, 0, 0) if style.fill is None else to_rgba(style.fill, style.fill_opacity)
                )
                assert to_rgba(handle.get_facecolor()) == pytest.approx(fill)
                assert to_hex(handle.get_edgecolor()) == style.stroke
            assert not entries, f"legend entries not from the vocabulary: {list(entries)}"
    assert {"eligible_parks", "uncovered_residential", "road_shade_segments"} <= seen


def _colour_literals() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in {".py", ".js", ".css", ".html", ".j2", ".yaml"}:
            continue
        text = path.read_text("utf-8")
        hits = HEX.findall(text)
        if hits:
            found[str(path.relative_to(SRC))] = hits
    return found


def test_no_layer_or_status_colour_is_defined_outside_the_vocabulary() -> None:
    words = vocabulary()
    ours: set[str] = set()
    for group in GROUPS:
        for term in words.group(group).values():
            if term.style is not None:
                style = term.style
                colours = (style.fill, style.stroke, style.text, style.mark)
                ours |= {c for c in colours if c}
    elsewhere = {
        path: sorted({h.lower() for h in hits} & ours)
        for path, hits in _colour_literals().items()
        if path not in ALLOWED
    }
    elsewhere = {path: hits for path, hits in elsewhere.items() if hits}
    assert not elsewhere, f"vocabulary colours written out elsewhere: {elsewhere}"
    # the modules that draw layers and statuses hold no colour literal at all
    for path in (
        "reports/maps.py",
        "reports/svg_maps.py",
        "reports/html.py",
        "reports/outputs.py",
        "reports/raster_maps.py",
        "reports/self_assessment/figures.py",
        "jobs/layers.py",
        "inspection/route_outputs.py",
        "web/static/mapcore.js",
        "web/static/map.js",
        "web/static/cockpit.js",
        "web/static/public.js",
        "web/static/ledger.js",
    ):
        assert path not in _colour_literals(), path


def test_the_pages_theme_is_the_vocabularys() -> None:
    """The stylesheet writes no colour: its theme (--ink, --brand …) and the status colours
    are custom properties /static/vocabulary.css defines from the vocabulary, as is the
    installed app's theme colour."""
    from gardencity.web.installable import manifest
    from gardencity.web.vocabulary_css import vocabulary_css

    css = (SRC / "web/static/app.css").read_text("utf-8")
    assert not HEX.search(css) and ":root" not in css
    defined = set(re.findall(r"--([\w-]+):", vocabulary_css()))
    used = set(re.findall(r"var\(--([\w-]+)", css))
    assert {"ink", "brand", "surface", "danger", "status-fail-fill"} <= used
    assert not used - defined, f"colours app.css uses that the vocabulary lacks: {used - defined}"
    brand = vocabulary().style("theme", "brand").fill
    assert f"--brand: {brand};" in vocabulary_css()
    assert manifest("zh")["theme_color"] == brand
    written = [p for p in _colour_literals() if p.startswith("web/") and p not in ALLOWED]
    assert not written, f"colours written in the pages' code: {written}"


# the words of cases, units, rankings and shortfalls: the vocabulary is their only definition
WORD_GROUPS = (
    "case_sources",
    "priorities",
    "levels",
    "case_events",
    "case_actions",
    "periods",
    "flags",
    "confidences",
)
TEXT_FILES = ("*.py", "*.js", "*.html", "*.yaml", "*.j2")
# groups whose Chinese words are common ones (其他, 单位): their English or longer words count
NAMED_GROUPS = ("site_kinds", "public_roles", "map_marks", "survey_verdicts")
# a code that names something else as well, and where
SHARED_CODES = {
    ("campaign/data/campaign.yaml", "indicator_gap"): "the city's case category of that name",
    ("campaign/seed.py", "leader"): "the demo city's leader is a person named 包挂领导",
    ("auth/messages.yaml", "leader"): "the role's name in the organisation (not the public's)",
    ("notifications/data/messages.yaml", "leader"): "an audience of the notifications",
    ("notifications/data/messages.yaml", "inspector"): "an audience of the notifications",
    ("maintenance/data/checklists.yaml", "compound"): "the check-list of that kind of site",
    ("web/i18n/messages.yaml", "compound"): "the import help lists the site types in words",
}


def _defines(line: str, code: str, label: str) -> bool:
    """Whether ``line`` pairs ``code`` with ``label`` as a string of its own, e.g.
    ``"grid_patrol": "网格巡查"`` or ``st_filed: [已上报, Filed]``."""
    named = re.search(rf"(?<![A-Za-z]){re.escape(code)}(?![A-Za-z])", line)
    quoted = re.search(rf"[\"'\[\s]{re.escape(label)}(?:[\"',\]]|\s*$)", line)
    return bool(named and quoted)


def test_the_words_of_cases_and_rankings_are_defined_only_in_the_vocabulary() -> None:
    words = vocabulary()
    pairs = [
        (group, key, term.label.zh)
        for group in WORD_GROUPS
        for key, term in words.group(group).items()
        if term.label is not None
    ]
    # their English where it is more than a word, the named groups, the map's scale and north
    pairs += [
        (group, key, label)
        for group in (*WORD_GROUPS, *NAMED_GROUPS)
        for key, term in words.group(group).items()
        if term.label is not None
        for label in (term.label.en, term.label.zh)
        if " " in label or (group in NAMED_GROUPS and label == term.label.zh and len(label) >= 3)
    ]
    pairs += [("units", key, words.label("units", key, "zh")) for key in ("ha", "km", "m2")]
    pairs += [("map_marks", "north", words.label("map_marks", "north", "zh"))]
    # a shortfall's sentence written in code: each gap kind's template, its blanks filled
    templates = [
        re.compile(".+".join(map(re.escape, re.split(r"\{\w+\}", t.label.zh))))
        for t in words.gap_kinds.values()
        if t.label
    ]
    found = []
    for pattern in TEXT_FILES:
        for path in SRC.rglob(pattern):
            name = path.relative_to(SRC).as_posix()
            if name == "vocabulary/vocabulary.yaml":
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                found += [
                    f"{name}:{number} {group}.{key}"
                    for group, key, label in pairs
                    # both must be in the line (cheap) before the patterns are tried
                    if key in line and label in line and _defines(line, key, label)
                    if (name, key) not in SHARED_CODES
                ]
                if "{" in line:  # a sentence being written, not one quoted in a docstring
                    found += [f"{name}:{number} gap_kinds" for t in templates if t.search(line)]
    assert not found, "labels defined outside vocabulary.yaml:\n" + "\n".join(found)


def test_the_pages_get_these_words_in_their_language() -> None:
    zh, en = vocabulary().page_labels("zh"), vocabulary().page_labels("en")
    assert zh["case_sources"]["grid_patrol"] == "网格巡查"
    assert en["case_events"]["file"] == "Filed" and zh["levels"]["street"] == "街道"
    assert set(zh) == set(en) and all(set(zh[g]) == set(en[g]) for g in zh)


# ---- no inline "中文 / English" in code: messages live in the catalogues ----
HAN_TEXT = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CODE = re.compile(r"[a-z0-9_.]+")
# Han and a Latin word joined by " / " in one literal (either way round)
JOINED = re.compile(
    r"[\u3400-\u9fff][^/\n]*\s/\s[^/\n]*[A-Za-z]{2,}|[A-Za-z]{2,}[^/\n]*\s/\s[^/\n]*[\u3400-\u9fff]"
)


def _literal(node: ast.AST) -> str | None:
    """The text of a string literal (an f-string's fixed parts, its fields as {})."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _zh_and_en(first: str | None, second: str | None, *, pair: bool = True) -> bool:
    """Whether two literals are one text in Chinese and in English (in a pair, a lower-case
    word such as ``("name", "名称")`` is a code and its label, not English)."""
    if first is None or second is None:
        return False
    zh, en = sorted((first, second), key=lambda t: not HAN_TEXT.search(t))
    words = LATIN_WORD.search(en) and not (pair and CODE.fullmatch(en))
    return bool(HAN_TEXT.search(zh) and not HAN_TEXT.search(en) and words)


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def inline_bilingual(source: str) -> list[tuple[int, str]]:
    """Where ``source`` writes a text in both languages itself: one literal "中文 / English",
    a ``(中文, English)`` pair of literals, or ``中文 if lang == "zh" else English``."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        text = _literal(node)
        if text is not None and id(node) not in docs and JOINED.search(text):
            found.append((node.lineno, text))
        elif isinstance(node, ast.Tuple | ast.List) and len(node.elts) == 2:
            first, second = map(_literal, node.elts)
            if _zh_and_en(first, second):
                found.append((node.lineno, f"({first!r}, {second!r})"))
        elif isinstance(node, ast.IfExp):
            body, orelse = _literal(node.body), _literal(node.orelse)
            if _zh_and_en(body, orelse, pair=False):
                found.append((node.lineno, f"{body!r} if … else {orelse!r}"))
    return found


def test_the_scan_finds_each_form_of_an_inline_bilingual_text() -> None:
    source = (
        'A = "完成 / done"\n'
        'B = f"{n} 个 / {n} cases"\n'
        'C = ("公园", "Park")\n'
        'D = "说明" if zh else "note"\n'
        'E = ("甲市", "乙市")\n'
        'G = {"name": "名称"}, ("uncovered_residential", "未覆盖")\n'
        'F = "a / b"\n'
        'def f():\n    """中文 / English in a docstring is documentation."""\n'
    )
    assert [line for line, _ in inline_bilingual(source)] == [1, 2, 3, 4]


def test_no_module_writes_a_text_in_both_languages_itself() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for line, text in inline_bilingual(path.read_text("utf-8")):
            found.append(f"{path.relative_to(SRC)}:{line} {text[:70]}")
    assert not found, "texts in both languages outside the catalogues:\n" + "\n".join(found)


def test_the_scale_bar_and_north_arrow_speak_the_vocabulary(demo_assessment: Any) -> None:
    zones = demo_assessment.zones
    city = zones.loc[["built_up_area"]]
    words = vocabulary()
    for lang in ("zh", "en"):
        with map_style():
            fig = layer_figure([(city, "built_up_area")], city, {}, "t", lang=lang)
        texts = [t.get_text() for t in fig.axes[0].texts]
        plt.close(fig)
        km = words.label("units", "km", lang)
        assert any(re.fullmatch(rf"[\d.]+ {km}", t) for t in texts), texts
        assert words.label("map_marks", "north", lang) in texts


# Python's own errors, never shown to a person (pickle's: the saved what-if engine's guards)
BUILTIN_ERRORS = {
    "ValueError",
    "KeyError",
    "TypeError",
    "RuntimeError",
    "NotImplementedError",
    "PicklingError",
    "UnpicklingError",
}


def _written_text(node: ast.AST) -> bool:
    """Whether ``node`` is a text written in the code: a literal, or one joined with ``+``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _written_text(node.left) or _written_text(node.right)
    return _literal(node) is not None


def one_language_errors(source: str) -> int:
    """How many ``raise SomeError("text")`` of ``source`` give a plain text, not a message."""
    count = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            func = node.exc.func
            name = getattr(func, "id", getattr(func, "attr", ""))
            plain = _written_text(node.exc.args[0])
            count += plain and name.endswith("Error") and name not in BUILTIN_ERRORS
    return count


def test_no_error_is_raised_in_one_language() -> None:
    assert (
        one_language_errors('raise DataError(f"{x} is bad")\nraise DataError(M.message("k"))') == 1
    )
    assert one_language_errors('raise DataError("bad: " + ", ".join(names))') == 1
    found = [
        f"{path.relative_to(SRC)}: {count}"
        for path in sorted(SRC.rglob("*.py"))
        if (count := one_language_errors(path.read_text("utf-8")))
    ]
    assert not found, "errors raised in one language (use the package's catalogue): " + ", ".join(
        found
    )
