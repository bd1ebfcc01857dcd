"""The simulator's command lines: `python -m moodlesim` and `jonction moodle-sim`."""

from __future__ import annotations

import subprocess
import sys

import httpx
from typer.testing import CliRunner

from jonction.cli import app
from moodlesim.testing import running_simulator


def test_python_m_moodlesim_serves_over_http() -> None:
    with running_simulator(mode="process", latency_ms=0, workers=2, max_input_vars=100) as moodle:
        answer = httpx.post(
            moodle.rest_url,
            data={
                "wstoken": moodle.token,
                "moodlewsrestformat": "json",
                "wsfunction": "core_webservice_get_site_info",
            },
        ).json()
        assert answer["siteurl"] == moodle.base_url
        assert moodle.stats()["workers"] == 2


def test_python_m_moodlesim_refuses_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "moodlesim", "--port", "0"],
        capture_output=True,
        text=True,
        env={"PATH": ""},
        check=False,
    )
    assert result.returncode == 2 and "token" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "moodlesim", "--token", "t", "--enrol-setting", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "NAME=VALUE" in result.stderr


def test_jonction_moodle_sim_checks_its_options() -> None:
    result = CliRunner().invoke(
        app, ["moodle-sim", "--token", "t", "--enrol-setting", "unenrolaction=9"]
    )
    assert result.exit_code == 2
    assert "unenrolaction" in result.output
    result = CliRunner().invoke(app, ["moodle-sim", "--token", "t", "--workers", "0"])
    assert result.exit_code == 2
