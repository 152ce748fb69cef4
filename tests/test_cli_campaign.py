"""The campaign commands: backup, restore and escalate on an embedded workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gardencity.cli import main
from tests._campaign import CampaignEnv


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
    assert "backup written" in result.output and archive.is_file()
    other = tmp_path / "ws2"
    result = runner.invoke(main, ["restore", str(archive), str(other)])
    assert result.exit_code == 0, result.output
    assert (other / "campaign" / "campaign.db").is_file()
    again = runner.invoke(main, ["restore", str(archive), str(other)])
    assert again.exit_code == 2 and "--force" in again.output
    result = runner.invoke(main, ["escalate", str(other)])
    assert result.exit_code == 0 and "escalated: 0" in result.output
    result = runner.invoke(main, ["serve"])
    assert result.exit_code != 0 and "WORKSPACE" in result.output
