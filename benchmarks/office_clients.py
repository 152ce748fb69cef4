"""The clients of benchmarks/office_load.py: a campaign office's day, compressed.

Each client is a closed loop on its own keep-alive connection (asyncio + httpx, so that
multipart photo uploads and the read-the-version-then-act workflow are plain code):

* ``reader``   staff: case list pages, one case, statistics, the public map, Open311 lists;
* ``filer``    an inspector files a case, then uploads its photo;
* ``workflow`` takes its own cases round the workflow: dispatch → accept → (after-photo)
  submit → verify → reopen, each action with the version it has just read;
* ``public``   a resident on the public page: reports with a photo (one in three), or
  follows a report;
* ``open311``  an outside application (a hotline's or a mini-program's) on Open311: posts a
  request with the camera's full-size photo as it is (one in three), or reads one back.

Photos: the staff pages and the resident's page send what photos.js makes of a camera
photo (at most 2048 px, upright, no metadata; see :func:`page_photos`); the Open311
application sends the camera's 8-megapixel file unchanged, as outside clients do.

With ``think_s`` (a range of seconds) each client pauses between one action and the next
as a person does; without it the clients are closed loops that saturate the server.

A prober asks ``/api/v1/health`` every 50 ms beside them. Every answer is recorded with its
latency; anything but 200/201 is a failure (a 409 lost race is counted apart).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

MIX = {"reader": 8, "filer": 4, "workflow": 4, "public": 2, "open311": 2}  # per 20 clients
REQUEST_TIMEOUT_S = 30.0


@dataclass
class Office:
    """What the clients know: the server, tokens, seeded cases, points inside district 1."""

    url: str
    tokens: dict[str, str]  # username -> API token
    case_ids: list[int]  # seeded cases in district 1 (the workflow clients share them out)
    references: list[str]  # public references to follow
    points: list[tuple[float, float]]  # lon, lat
    photos: list[bytes]  # as the pages send them
    camera_photos: list[bytes]  # as the camera wrote them (the Open311 application sends these)
    api_key: str  # the Open311 application's
    think_s: tuple[float, float] | None = None  # a person's pause between actions


@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, op: str, status: str, seconds: float) -> None:
        self.latencies[op].append(seconds)
        self.statuses[f"{op} {status}"] += 1


class Client:
    def __init__(self, office: Office, record: Record, seed: int) -> None:
        self.office = office
        self.record = record
        self.rng = random.Random(seed)
        self.http = httpx.AsyncClient(
            base_url=office.url,
            timeout=REQUEST_TIMEOUT_S,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.office.tokens[username]}"}

    def photo(self, *, camera: bool = False) -> bytes:
        """A phone photo (as the pages send it, or with ``camera`` as the camera wrote it),
        unique even without its metadata (so the store writes a new file every time): the
        last eight entries of its first quantisation table are random."""
        sent = self.office.camera_photos if camera else self.office.photos
        photo = bytearray(self.rng.choice(sent))
        table = photo.index(b"\xff\xdb") + 5  # marker, length, precision and table id
        photo[table + 56 : table + 64] = bytes(max(1, b) for b in uuid.uuid4().bytes[:8])
        return bytes(photo)

    async def call(self, op: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.record.add(op, type(exc).__name__, time.perf_counter() - started)
            return None
        self.record.add(op, str(response.status_code), time.perf_counter() - started)
        return response if response.status_code < 400 else None


async def reader(client: Client, username: str) -> None:
    office, rng = client.office, client.rng
    op = rng.choice(["list"] * 3 + ["read"] * 3 + ["stats", "map", "open311"])
    if op == "list":
        path = f"/api/v1/cases?per_page=20&page={rng.randint(1, 5)}"
    elif op == "read":
        path = f"/api/v1/cases/{rng.choice(office.case_ids)}"
    elif op == "stats":
        path = "/api/v1/stats/cases"
    elif op == "map":
        path = "/api/v1/public/cases.geojson?limit=200"
    else:
        path = "/open311/v2/requests.json?page_size=50"
    await client.call(op, "GET", path, headers=client.auth(username))


async def filer(client: Client, username: str) -> None:
    lon, lat = client.rng.choice(client.office.points)
    body = {"category": "bare_soil", "lon": lon, "lat": lat, "description": "巡查发现"}
    filed = await client.call(
        "file", "POST", "/api/v1/cases", json=body, headers=client.auth(username)
    )
    if filed is None:
        return
    await client.call(
        "photo",
        "POST",
        f"/api/v1/cases/{filed.json()['id']}/attachments",
        files={"file": ("现场.jpg", client.photo(), "image/jpeg")},
        data={"role": "before"},
        headers=client.auth(username),
    )


NEXT_ACTION = {  # status -> (action, who, reason)
    "filed": ("dispatch", "admin", None),
    "dispatched": ("accept", "coord1", None),
    "in_progress": ("submit", "coord1", "已整改"),
    "submitted": ("verify", "admin", None),
    "closed": ("reopen", "admin", "复查发现反弹"),
}


async def workflow(client: Client, case_ids: list[int]) -> None:
    case_id = case_ids[0]
    case_ids.append(case_ids.pop(0))
    seen = await client.call(
        "read_case", "GET", f"/api/v1/cases/{case_id}", headers=client.auth("admin")
    )
    if seen is None:
        return
    case = seen.json()
    action, who, reason = NEXT_ACTION[case["status"]]
    body: dict[str, Any] = {"version": case["version"], "reason": reason}
    if action == "submit":
        photo = await client.call(
            "photo",
            "POST",
            f"/api/v1/cases/{case_id}/attachments",
            files={"file": ("整改后.jpg", client.photo(), "image/jpeg")},
            data={"role": "after"},
            headers=client.auth(who),
        )
        if photo is None:
            return
        body["attachment_ids"] = [photo.json()["id"]]
    await client.call(
        "transition",
        "POST",
        f"/api/v1/cases/{case_id}/actions/{action}",
        json=body,
        headers=client.auth(who),
    )


async def public(client: Client, mine: list[str]) -> None:
    office, rng = client.office, client.rng
    if rng.random() < 1 / 3:
        lon, lat = rng.choice(office.points)
        reported = await client.call(
            "report",
            "POST",
            "/api/v1/public/cases",
            data={"category": "weeds", "lon": str(lon), "lat": str(lat), "description": "杂草"},
            files={"photo": ("photo.jpg", client.photo(), "image/jpeg")},
        )
        if reported is not None:
            mine.append(reported.json()["reference"])
        return
    reference = rng.choice(mine or office.references)
    await client.call("follow", "GET", f"/api/v1/public/cases/{reference}")


async def open311(client: Client, mine: list[str]) -> None:
    office, rng = client.office, client.rng
    if rng.random() < 1 / 3 or not mine:
        lon, lat = rng.choice(office.points)
        posted = await client.call(
            "api_report",
            "POST",
            "/open311/v2/requests.json",
            data={
                "api_key": office.api_key,
                "service_code": "weeds",
                "lat": str(lat),
                "long": str(lon),
                "description": "热线转来：绿地杂草",
            },
            files={"media": ("IMG_0001.JPG", client.photo(camera=True), "image/jpeg")},
        )
        if posted is not None:
            mine.append(posted.json()[0]["service_request_id"])
        return
    await client.call("api_follow", "GET", f"/open311/v2/requests/{rng.choice(mine)}.json")


async def _loop(client: Client, step: Callable[[], Awaitable[None]], until: float) -> None:
    think = client.office.think_s
    if think:  # people do not all begin at the same instant
        await asyncio.sleep(client.rng.uniform(0, think[1]))
    while time.monotonic() < until:
        await step()
        if think:
            await asyncio.sleep(client.rng.uniform(*think))


async def _probe_health(client: Client, until: float) -> None:
    while time.monotonic() < until:
        await client.call("health", "GET", "/api/v1/health")
        await asyncio.sleep(0.05)


def _clients(office: Office, record: Record, count: int) -> list[tuple[Client, Callable[[], Any]]]:
    total = sum(MIX.values())
    kinds = [k for k, n in MIX.items() for _ in range(max(1, round(n * count / total)))][:count]
    staff = itertools.cycle(["admin", "coord1", "leader", "inspector", "patrol1"])  # see district 1
    inspectors = itertools.cycle(["patrol1", "patrol2", "inspector"])
    workflow_clients = kinds.count("workflow")
    shares = (office.case_ids[k::workflow_clients] for k in range(workflow_clients))
    plans: list[tuple[Client, Callable[[], Any]]] = []
    for i, kind in enumerate(kinds):
        client = Client(office, record, seed=1000 + i)
        if kind == "reader":
            step = _bind(reader, client, next(staff))
        elif kind == "filer":
            step = _bind(filer, client, next(inspectors))
        elif kind == "workflow":
            step = _bind(workflow, client, list(next(shares)))
        elif kind == "open311":
            step = _bind(open311, client, [])
        else:
            step = _bind(public, client, [])
        plans.append((client, step))
    return plans


def _bind(function: Callable[..., Awaitable[None]], client: Client, arg: Any) -> Callable[[], Any]:
    return lambda: function(client, arg)


async def run_office(office: Office, *, clients: int, seconds: float) -> Record:
    """Run the client mix for ``seconds``; requests in flight at the end are awaited."""
    record = Record()
    plans = _clients(office, record, clients)
    prober = Client(office, record, seed=1)
    until = time.monotonic() + seconds
    try:
        await asyncio.gather(
            _probe_health(prober, until), *(_loop(c, step, until) for c, step in plans)
        )
    finally:
        for client in [prober, *(c for c, _ in plans)]:
            await client.http.aclose()
    return record


def phone_photos(count: int = 8, size: tuple[int, int] = (3264, 2448)) -> list[bytes]:
    """8-megapixel JPEGs as a phone camera writes them (about 3 MB), textured so that they
    compress like photos, with a phone's EXIF (make, model, GPS): half of them upright, half
    of them portrait shots stored sideways with orientation 6 (the server turns these upright
    losslessly; the upright ones it copies without their metadata). An app that uploads
    the camera's file as it is (an Open311 client) sends these."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(20221)
    photos = []
    for i in range(count):
        height, width = size[1], size[0]
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack(
            [(x * (i + 1)) % 256, (y * 2 + i * 40) % 256, (x + y) % 256], axis=-1
        ).astype(np.float32)
        texture = rng.normal(0, 18, (height, width, 3))
        pixels = np.clip(base * 0.6 + 60 + texture, 0, 255).astype(np.uint8)
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "PhoneMaker", "Model X"
        exif[0x0112] = 1 if i % 2 == 0 else 6
        exif[0x8825] = {1: "N", 2: (34.0, 15.0, 30.5), 3: "E", 4: (117.0, 11.0, 2.25)}
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=85, exif=exif.tobytes())
        photos.append(buffer.getvalue())
    return photos


PHOTOS_JS = Path(__file__).resolve().parents[1] / "src/gardencity/web/static/photos.js"
CHROMIUM = "/usr/bin/chromium"
_SHRINK = """async (encoded) => {
  const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  const file = new File([bytes], "IMG_0001.jpg", { type: "image/jpeg" });
  const sent = new Uint8Array(await (await window.gc.phonePhoto(file)).arrayBuffer());
  let binary = "";
  for (let i = 0; i < sent.length; i += 0x8000) {
    binary += String.fromCharCode(...sent.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}"""


def page_photos(camera: list[bytes]) -> list[bytes]:
    """The camera's photos as the platform's pages upload them: each passed through the
    pages' own ``photos.js`` in Chromium (at most 2048 px, upright, no metadata)."""
    import base64

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<!doctype html><title>photos</title>")
        page.add_script_tag(content="window.gc = {};")
        page.add_script_tag(content=PHOTOS_JS.read_text(encoding="utf-8"))
        sent = [
            base64.b64decode(page.evaluate(_SHRINK, base64.b64encode(photo).decode()))
            for photo in camera
        ]
        browser.close()
    return sent
