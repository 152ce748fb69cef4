"""SMS through the city's provider, described by an HTTP template (``notifications.sms``).

Chinese providers send only pre-approved templates: a registered signature (签名) and a
template id with named parameters. The template says where to send the request and how its
JSON body looks; string values are filled in:

* ``{phone}``, ``{sign_name}``, ``{template_id}`` — the number, the signature, the template
  chosen for the event (``templates.<event>``, residents' ``templates.resident_<event>``);
* ``{params}`` (a whole value) — the template's parameters as an object, ``{params_json}``
  the same as a JSON string (as some providers want);
* ``{env:NAME}`` — an environment variable (tokens and keys stay out of the file).

A template's ``params`` map each parameter to one of: reference, category, place, unit,
deadline, status, date, url, stop_url, hours. The answer is JSON; ``success_field`` must hold
one of ``success_values``, otherwise ``error_field`` is the provider's message.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, ClassVar

import httpx
from pydantic import Field

from gardencity.notifications.channels.base import (
    ChannelSettings,
    Outgoing,
    failure,
)
from gardencity.notifications.config import SmsProvider
from gardencity.notifications.render import local_time, place_text, unit_text

__all__ = ["SmsChannel", "fill_template", "sms_variables"]

_ENV = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


class SmsSettings(ChannelSettings):
    phone: str | None = Field(
        default=None, description="the number; a person's channel may leave it empty (theirs)"
    )

    SECRETS: ClassVar[tuple[str, ...]] = ()


def sms_variables(outgoing: Outgoing) -> dict[str, str]:
    """What a template parameter can be filled with, for ``outgoing``."""
    payload = outgoing.payloads[0] if outgoing.payloads else {}
    case = payload.get("case") or {}
    lang = outgoing.config.language
    detail = payload.get("detail") or {}
    hours = detail.get("hours_overdue", detail.get("hours_left"))
    return {
        "reference": str(case.get("reference", "")),
        "category": str(case.get(f"category_{lang}", case.get("category", ""))),
        "place": place_text(case.get("place"), lang)[:30],
        "unit": unit_text(case, "unit_name", lang, "")[:30],
        "deadline": local_time(case.get("deadline_at"), lang, outgoing.config.zone),
        "status": outgoing.message.title[:30],
        "date": local_time(case.get("created_at"), lang, outgoing.config.zone).split(" ")[0],
        "url": outgoing.message.link or "",
        "stop_url": str(payload.get("stop_url") or ""),
        "hours": f"{hours:g}" if isinstance(hours, int | float) else "",
    }


def _env(match: re.Match[str]) -> str:
    value = os.environ.get(match.group(1))
    if value is None:
        raise failure("env_missing", name=match.group(1), retry=False)
    return value


def fill_template(value: Any, fields: dict[str, Any]) -> Any:
    """``value`` (a template body, header or URL) with its placeholders filled in.

    >>> fill_template({"to": "{phone}", "p": "{params}", "s": "{params_json}"},
    ...               {"phone": "13800000000", "params": {"code": "GC1"}})
    {'to': '13800000000', 'p': {'code': 'GC1'}, 's': '{"code":"GC1"}'}
    """
    if isinstance(value, dict):
        return {k: fill_template(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_template(v, fields) for v in value]
    if not isinstance(value, str):
        return value
    if value == "{params}":
        return fields["params"]
    if value == "{params_json}":
        return json.dumps(fields["params"], ensure_ascii=False, separators=(",", ":"))
    text = _ENV.sub(_env, value)
    for key in ("phone", "sign_name", "template_id"):
        text = text.replace("{" + key + "}", str(fields.get(key, "")))
    return text


def _template_key(outgoing: Outgoing) -> str:
    event = outgoing.message.event
    return f"resident_{event}" if outgoing.resident else event


class SmsChannel:
    kind = "sms"
    settings_model = SmsSettings

    def request(self, outgoing: Outgoing, provider: SmsProvider, phone: str) -> dict[str, Any]:
        key = _template_key(outgoing)
        template = provider.templates.get(key)
        if template is None:
            raise failure("no_sms_template", key=key, retry=False)
        variables = sms_variables(outgoing)
        unknown = sorted(set(template.params.values()) - set(variables))
        if unknown:
            raise failure(
                "sms_unknown_fields",
                key=key,
                unknown=unknown,
                known=sorted(variables),
                retry=False,
            )
        params = {name: variables[source] for name, source in template.params.items()}
        fields = {
            "phone": phone,
            "sign_name": provider.sign_name,
            "template_id": template.id,
            "params": params,
        }
        return {
            "method": provider.method,
            "url": fill_template(provider.url, fields),
            "headers": fill_template(provider.headers, fields),
            "body": fill_template(provider.body, fields),
        }

    def send(self, outgoing: Outgoing, http: httpx.Client) -> str:
        provider = outgoing.config.sms
        if provider is None:
            raise failure("no_sms_provider", retry=False)
        settings = SmsSettings.model_validate(outgoing.settings)
        phone = settings.phone or outgoing.address
        if not phone:
            raise failure("no_phone", retry=False)
        spec = self.request(outgoing, provider, phone)
        try:
            if spec["method"] == "GET":
                response = http.get(spec["url"], params=spec["body"], headers=spec["headers"])
            else:
                response = http.post(spec["url"], json=spec["body"], headers=spec["headers"])
        except httpx.HTTPError as exc:
            raise failure("sms_unreachable", detail=exc) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not response.is_success:
            retry = response.status_code >= 500 or response.status_code == 429
            raise failure(
                "sms_http", status=response.status_code, detail=response.text[:300], retry=retry
            )
        if not isinstance(answer, dict):
            answer = {}
        status = str(answer.get(provider.success_field, ""))
        if status not in provider.success_values:
            error = answer.get(provider.error_field, response.text[:300])
            raise failure(
                "sms_rejected",
                field=provider.success_field,
                status=status,
                detail=error,
                retry=False,
            )
        return f"{provider.success_field}={status}"
