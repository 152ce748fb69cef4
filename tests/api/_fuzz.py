"""API fuzzing against the live server, as tests/api/test_fuzz.py and
test_fuzz_postgresql.py run it: schemathesis generates requests from the OpenAPI schema for
every operation, valid and invalid ones, and sends them as the administrator (who may call them
all) to uvicorn serving a seeded organisation.

At least 5,000 requests per backend within a time box; every response must be no server
error and no time-out, have a documented status code and content type and match its
schema, and every invalid request must be refused (e.g. ``rankings/compute?when=0.5``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests._campaign import PASSWORD, seeded_database

EXAMPLES = {GenerationMode.POSITIVE: 75, GenerationMode.NEGATIVE: 30}  # per operation
# each of these hashes or checks a password (Argon2, a deliberately slow hash): fewer examples
SLOW = {
    "POST /api/v1/auth/login": 20,
    "POST /api/v1/auth/password": 15,
    "POST /api/v1/users": 20,
    "PATCH /api/v1/users/{user_id}": 20,
}
MIN_REQUESTS = 5_000
TIME_BOX_S = 600  # per backend; generation stops then (a quiet 2-core machine needs ~2 min)
REQUEST_TIMEOUT_S = 30
CHECKS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ],
    GenerationMode.NEGATIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        negative_data_rejection,
    ],
}


@dataclass(frozen=True)
class LiveApi:
    url: str
    pid: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_api(backend: str, seeded_templates: dict[str, Any], tmp_path: Path) -> Iterator[LiveApi]:
    """uvicorn (its own process) serving a fresh copy of the seeded organisation on
    ``backend`` (sqlite or postgresql)."""
    with seeded_database(backend, seeded_templates, tmp_path) as (url, _):
        port = _free_port()
        env = os.environ | {
            "GARDENCITY_DATABASE_URL": url,
            "GARDENCITY_FILES_DIR": str(tmp_path / "files"),
        }
        command = [sys.executable, "-m", "uvicorn", "--factory"]
        command += ["gardencity.app:app_from_env", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--no-proxy-headers", "--log-level", "warning"]
        log_path = tmp_path / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(base, server, log_path)
                yield LiveApi(base, server.pid)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the server did not start in 90 s"
        time.sleep(0.3)


class _Admin:
    """The administrator's credentials, kept usable whatever the fuzzer does: it may not
    deactivate or demote the admin, revoke the admin's own token, or log it out."""

    def __init__(self, base: str, http: requests.Session) -> None:
        login = http.post(
            f"{base}/api/v1/auth/login", data={"username": "admin", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        body = login.json()
        self.base, self.http = base, http
        self.id, self.token_id = body["user"]["id"], body["id"]
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        http.cookies.clear()

    def headers_for(self, case: Any) -> dict[str, str]:
        path, params = case.operation.path, case.path_parameters or {}
        if path == "/api/v1/users/{user_id}" and params.get("user_id") == self.id:
            params["user_id"] = self.id + 1
        if path == "/api/v1/auth/tokens/{token_id}" and params.get("token_id") == self.token_id:
            params["token_id"] = self.token_id + 100_000
        if path == "/api/v1/auth/logout":  # log out a token of its own
            minted = self.http.post(f"{self.base}/api/v1/auth/tokens", headers=self.headers)
            return {"Authorization": f"Bearer {minted.json()['access_token']}"}
        return self.headers


def answers_every_generated_request_as_documented(api: LiveApi) -> None:
    """Fuzz every operation of the live API (see the module's docstring) and check the answers."""
    schema = schemathesis.openapi.from_url(f"{api.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 60
    http = requests.Session()
    admin = _Admin(api.url, http)
    failures: dict[str, str] = {}
    sent: Counter[str] = Counter()
    started = time.monotonic()
    cpu0 = time.process_time()

    def send(case: Any, mode: GenerationMode) -> None:
        if time.monotonic() - started > TIME_BOX_S:
            return  # the time box is over: the count below says whether enough were sent
        headers = admin.headers_for(case)
        sent[mode.value] += 1
        label = f"{case.method} {case.operation.path} [{mode.value}]"
        try:
            response = case.call(session=http, headers=headers, timeout=REQUEST_TIMEOUT_S)
        except requests.Timeout:
            failures.setdefault(f"{label}: time-out", _describe(case))
            return
        http.cookies.clear()  # the log-in route sets one: the requests use the Bearer
        try:
            case.validate_response(response, checks=CHECKS[mode], headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis's Failure(Group)
            key = f"{label}: {type(exc).__name__} {response.status_code}"
            failures.setdefault(key, f"{_describe(case)}\n{str(exc)[:600]}")

    for mode, examples in EXAMPLES.items():
        for operation in operations:
            _fuzz(operation, mode, min(examples, SLOW.get(operation.label, examples)), send)

    total = sum(sent.values())
    duration = time.monotonic() - started
    client_cpu = time.process_time() - cpu0
    print(
        f"\nfuzz: {total} requests ({dict(sent)}) in {duration:.0f} s; CPU: client "
        f"{client_cpu:.0f} s, server {_cpu_seconds(api.pid):.0f} s"
    )
    report = "\n\n".join(f"{key}\n{detail}" for key, detail in sorted(failures.items()))
    assert not failures, f"{len(failures)} kinds of failure:\n{report[:20000]}"
    assert total >= MIN_REQUESTS, f"only {total} requests within the time box of {TIME_BOX_S} s"


def _describe(case: Any) -> str:
    parts = [f"path={case.path_parameters}", f"query={case.query}"]
    if case.body is not None and not isinstance(case.body, bytes):
        parts.append(f"body={str(case.body)[:200]}")
    return "  " + " ".join(parts)


def _fuzz(operation: Any, mode: GenerationMode, examples: int, send: Any) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        send(case, mode)

    try:
        run()
    except Unsatisfiable:  # nothing in this operation's request can be made invalid
        assert mode == GenerationMode.NEGATIVE, operation.label


def _cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
