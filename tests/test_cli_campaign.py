"""The campaign commands: backup, restore, escalate and clean-photos on an embedded workspace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gardencity.cli import main
from tests._campaign import CampaignEnv

HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("campaign", ["sqlite"], indirect=True)
def test_backup_restore_and_escalate_from_the_command_line(
    campaign: CampaignEnv, tmp_path: Path
) -> None:
    campaign.file("patrol1")
    workspace = tmp_path / "ws"
    (workspace / "campaign").mkdir(parents=True)
    shutil.copyfile(campaign.url.removeprefix("sqlite:///"), workspace / "campaign" / "campaign.db")
    runner = CliRunner()
    archive = tmp_path / "b.tar"
    result = runner.invoke(main, ["backup", str(workspace), "--out", str(archive)])
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output and archive.is_file()
    other = tmp_path / "ws2"
    result = runner.invoke(main, ["restore", str(archive), str(other)])
    assert result.exit_code == 0, result.output
    assert (other / "campaign" / "campaign.db").is_file()
    again = runner.invoke(main, ["restore", str(archive), str(other)])
    assert again.exit_code == 2 and "--force" in again.output
    result = runner.invoke(main, ["escalate", str(other)])
    assert result.exit_code == 0 and "已升级督办：0 件" in result.output
    result = runner.invoke(main, ["clean-photos", str(other), "--lang", "en"])
    assert result.exit_code == 0 and "Photos cleaned: 0" in result.output, result.output
    assert not HAN.search(result.output), result.output
    result = runner.invoke(main, ["serve"])
    assert result.exit_code != 0 and "WORKSPACE" in result.output


@pytest.mark.slow
def test_serve_with_several_worker_processes(demo_city: Path, tmp_path: Path) -> None:
    import re
    import shutil
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    workspace = tmp_path / "city"
    shutil.copytree(demo_city, workspace, ignore=shutil.ignore_patterns("runs", "campaign"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "gardencity", "serve", str(workspace), "--no-assess"]
    server = subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health") as r:
                    assert r.status == 200
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the server did not answer within 120 s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/public/cases.geojson") as r:
            assert r.status == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    started = set(re.findall(r"Started server process \[(\d+)\]", output))
    assert len(started) == 2, output
