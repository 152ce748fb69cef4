"""A message's labels and values are joined as its language writes them: “：” in Chinese,
“: ” in English — in the e-mail's text and HTML and in the robots' markdown alike."""

from __future__ import annotations

import re

from gardencity.notifications.config import NotificationConfig
from gardencity.notifications.render import batch, html, markdown, plain_text, render

PAYLOAD = {
    "event": "dispatched",
    "case": {
        "reference": "GC-2026-000123",
        "category_zh": "裸土",
        "category_en": "Bare soil",
        "place": {"address": None, "grid_code": "0101010009", "lonlat": "34.3, 117.0"},
        "unit_name": "Gulou street",
        "deadline_at": "2026-05-07T01:00:00+00:00",
        "id": 123,
    },
    "link": "https://gc.example.gov.cn/cases/123",
}


def test_english_messages_join_labels_with_a_latin_colon() -> None:
    config = NotificationConfig()
    english = render(PAYLOAD, "en", config)
    texts = [plain_text(english), markdown(english), html(english)]
    texts.append(plain_text(batch([english, render(PAYLOAD, "en", config)], "en")))
    for text in texts:
        assert "：" not in text, text
    assert "Reference: GC-2026-000123" in texts[0] and "**Reference**: GC-2026-000123" in texts[1]
    assert re.search(r"- .+: ", texts[3])
    chinese = render(PAYLOAD, "zh", config)
    assert "编号：GC-2026-000123" in plain_text(chinese)
    assert "**编号**：GC-2026-000123" in markdown(chinese)
