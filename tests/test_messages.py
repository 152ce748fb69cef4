"""Messages are data in both languages and shown in one: no inline "中文 / English" strings in
the code, every catalogue entry a [中文, English] pair with the same placeholders, errors that
keep both languages."""

from __future__ import annotations

import pickle
import re
import string
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from gardencity.errors import InvalidRequestError, NotFoundError, WorkspaceError
from gardencity.messages import Catalogue, Listing, Message, fill, load_yaml

SRC = Path(__file__).resolve().parents[1] / "src" / "gardencity"
HAN = re.compile(r"[\u3400-\u9fff]")
# Chinese text, then (in the same string) a slash and English: "照片过大 / the photo …",
# "「{x}」/ a case …"
INLINE_BILINGUAL = re.compile(r"[\u3400-\u9fff」）][^\"\n]*?\s?/ [\"'(`{%]*[A-Za-z]")
ALLOWED = {
    # reads run steps an older version stored in both languages (its docstring shows one)
    "jobs/runs.py": 2,
}


def test_no_inline_bilingual_strings_in_the_code() -> None:
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        hits = [f"{n}: {line.strip()}" for n, line in enumerate(lines, 1)]
        hits = [h for h in hits if INLINE_BILINGUAL.search(h.split(": ", 1)[1])]
        if hits:
            found[path.relative_to(SRC).as_posix()] = hits
    unexpected = {name: hits for name, hits in found.items() if len(hits) > ALLOWED.get(name, 0)}
    assert not unexpected, "put these messages in the package's messages.yaml:\n" + "\n".join(
        f"{name}:{hit}" for name, hits in unexpected.items() for hit in hits
    )


def test_the_guard_sees_the_forms_messages_took() -> None:
    for line in (
        'raise InvalidRequestError("文件为空 / the file is empty")',
        'f"案卷处于「{x}」，不能执行「{a}」/ a {x} case cannot be"',
        "\"提交整改需附整改后照片 / 'submit' needs at least one after-photo\"",
    ):
        assert INLINE_BILINGUAL.search(line), line
    for line in ('"鼓楼区 / 口袋公园建设"', 'f"{population / 1e4:.2f}万"', '"m² / 人"'):
        assert not INLINE_BILINGUAL.search(line), line


def _catalogues() -> list[Catalogue]:
    found = []
    for path in sorted(SRC.rglob("messages.yaml")):
        relative = path.relative_to(SRC)
        package = "gardencity." + relative.parts[0]
        found.append(Catalogue(package, "/".join(relative.parts[1:])))
    return found


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("catalogue", _catalogues(), ids=lambda c: f"{c.package}:{c.resource}")
def test_every_catalogue_entry_is_a_pair_with_the_same_placeholders(
    catalogue: Catalogue,
) -> None:
    pairs = catalogue.pairs()  # refuses an entry that is not [中文, English]
    assert pairs
    for key, (zh, en) in pairs.items():
        assert HAN.search(zh) or not HAN.search(en), f"{key}: Chinese half {zh!r}"
        assert " / " not in zh or not re.search(r" / [A-Za-z]{3}", zh), f"{key}: {zh!r}"
        assert not HAN.search(en) or key in _NAMES_IN_ENGLISH, f"{key}: English half {en!r}"
        if catalogue.package != "gardencity.web":  # the pages fill their own placeholders
            # English may add what only English has: a library's own words, a permission code
            extra = _fields(en) - _fields(zh)
            assert _fields(zh) <= _fields(en) and extra <= _ENGLISH_ONLY, f"{key}: {zh!r} vs {en!r}"


_ENGLISH_ONLY = {"detail", "permission"}
# English texts that name something Chinese by its name
_NAMES_IN_ENGLISH = {"app_title_zh"}


def test_an_error_keeps_both_languages_and_is_chinese_by_default() -> None:
    message = Message.of(("照片过大：{n} 像素", "The photo is too large: {n} pixels"), n=9)
    for error in (InvalidRequestError(message), WorkspaceError(message), NotFoundError(message)):
        assert str(error) == "照片过大：9 像素"
        assert error.text("en") == "The photo is too large: 9 pixels"
        assert pickle.loads(pickle.dumps(error)).text("en") == error.text("en")
    plain = InvalidRequestError("a plain string")
    assert plain.text("zh") == plain.text("en") == "a plain string"
    listed = Message.of(("问题：{p}", "Problems: {p}"), p=Listing((message, "x")))
    assert listed.render("zh") == "问题：照片过大：9 像素、x"
    assert listed.render("en") == "Problems: The photo is too large: 9 pixels, x"


def test_a_stored_message_is_shown_in_the_readers_language() -> None:
    campaign = Catalogue("gardencity.campaign")
    stored = campaign.stored(campaign.message("routing.no_unit", where="A1"))
    assert campaign.shown(stored, "zh") == "A1；未找到责任单位，请人工派遣"
    assert campaign.shown(stored, "en") == "A1; no responsible unit found: dispatch by hand"
    assert campaign.shown("人工输入的原因 / 不变", "en") == "人工输入的原因 / 不变"
    assert campaign.shown('{"key": "no.such.key"}', "en") == '{"key": "no.such.key"}'


def test_a_message_about_an_exception_is_stored_with_the_exceptions_text() -> None:
    notifications = Catalogue("gardencity.notifications", "data/messages.yaml")
    error = ConnectionError("[Errno 111] Connection refused")
    stored = notifications.stored(
        notifications.message("error.unreachable", what="X", detail=error)
    )
    assert notifications.shown(stored, "en") == (
        "Cannot reach X ([Errno 111] Connection refused); it will be tried again"
    )


def test_the_command_line_speaks_english_with_lang_en(tmp_path: Path) -> None:
    from gardencity.cli import main

    runner = CliRunner(env={"COLUMNS": "200"})
    listed = runner.invoke(main, ["standards", "list", "--lang", "en"])
    assert listed.exit_code == 0, listed.output
    assert "indicators" in listed.output and not HAN.search(listed.output), listed.output
    peers = tmp_path / "peers.csv"
    peers.write_text("city,indicator_id,value,year,source\n", "utf-8")
    refused = runner.invoke(
        main, ["inspection", "benchmark", str(tmp_path), str(peers), "--lang", "en"]
    )
    assert refused.exit_code == 2, refused.output
    assert "Error:" in refused.output and "run `gardencity assess" in refused.output
    assert not HAN.search(refused.output), refused.output
    chinese = runner.invoke(main, ["inspection", "benchmark", str(tmp_path), str(peers)])
    assert chinese.exit_code == 2 and "错误：" in chinese.output and "请先运行" in chinese.output
    assert not re.search(r"\b(run|first|not found)\b", chinese.output), chinese.output
    by_environment = CliRunner(env={"GARDENCITY_LANG": "en", "COLUMNS": "200"}).invoke(
        main, ["standards", "list"]
    )
    assert not HAN.search(by_environment.output), by_environment.output


def test_load_yaml_reads_every_bundled_data_file_as_safe_load_does() -> None:
    files = sorted(SRC.rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert repr(load_yaml(text)) == repr(yaml.safe_load(text)), path


def test_load_yaml_raises_yaml_errors_as_safe_load_does() -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [1, 2\nb: 3")
    with pytest.raises(yaml.YAMLError):  # a safe loader: no Python objects
        load_yaml("!!python/object/apply:os.system ['true']")


# a count's English word: {n:point|points}
COUNT_WORD = re.compile(r"\{(\w+):([^{}|]*)\|([^{}]*)\}")
JS = SRC / "web" / "static"


def test_a_count_takes_the_english_noun_in_its_number() -> None:
    grid = Catalogue("gardencity.campaign")
    assert grid.text("grid.no_code", "en", count=1) == "1 cell without a code: fill it in"
    assert grid.text("grid.no_code", "en", count=3) == "3 cells without a code: fill them in"
    assert grid.text("grid.no_code", "zh", count=1) == "1 个网格缺编码，请补填"
    assert fill("{n} {n:day|days}, {x:.1f}", {"n": 0, "x": 2}) == "0 days, 2.0"
    assert fill("a | b {n}", {"n": 1}) == "a | b 1"  # a bar outside a field is text


@pytest.mark.parametrize("catalogue", _catalogues(), ids=lambda c: f"{c.package}:{c.resource}")
def test_count_words_are_english_only_and_follow_a_count(catalogue: Catalogue) -> None:
    scripts = "\n".join(p.read_text("utf-8") for p in JS.glob("*.js"))
    for key, (zh, en) in catalogue.pairs().items():
        assert not COUNT_WORD.search(zh), f"{key}: Chinese needs no count's word: {zh!r}"
        counts = {m.group(1) for m in COUNT_WORD.finditer(en)}
        assert counts <= _fields(zh), f"{key}: {counts} must be counts the Chinese shows too"
        for count in counts:
            assert fill(en, dict.fromkeys(_fields(en), 1) | {count: 1})
        if counts and catalogue.package == "gardencity.web":
            # the pages fill it with tf (which knows count words), never with t(…).replace;
            # the patrol page picks one of its track_done messages by the patrol's state
            assert (
                f'tf("{key}"' in scripts
                or f"tf('{key}'" in scripts
                or key.startswith(("track_done",))
            ), f"{key} has count words: fill it with tf in the scripts"
            assert f't("{key}").replace' not in scripts, key
