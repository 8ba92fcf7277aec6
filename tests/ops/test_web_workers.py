"""How many web workers gunicorn runs: WEB_CONCURRENCY through app/ops/gunicorn_hooks.py, 3 when
unset (the image's count), 2 in docker-compose.yml (one machine that also runs PostgreSQL and the
job worker: docs/benchmarks.md, "Whole journey under load")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.ops.gunicorn_hooks import DEFAULT_WORKERS, workers_from
from app.ops.serve import GUNICORN_CONFIG, web_command

ROOT = Path(__file__).resolve().parents[2]


def printed_workers(value: str | None) -> subprocess.CompletedProcess:
    """gunicorn's own reading of its settings (``--print-config``), as the image starts it."""
    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    if value is not None:
        env["WEB_CONCURRENCY"] = value
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "--config", GUNICORN_CONFIG, "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def workers_line(result: subprocess.CompletedProcess) -> str:
    return next(line for line in result.stdout.splitlines() if line.startswith("workers "))


@pytest.mark.parametrize(("value", "expected"), [(None, 3), ("", 3), ("2", 2), (" 5 ", 5), ("1", 1)])
def test_web_concurrency_sets_the_workers_and_unset_keeps_three(value, expected):
    assert DEFAULT_WORKERS == 3
    assert workers_from(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "2.5"])
def test_a_web_concurrency_that_is_no_count_of_workers_is_refused_by_name(value):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number of web workers"):
        workers_from(value)


def test_gunicorn_started_as_the_image_starts_it_runs_what_web_concurrency_says():
    assert workers_line(printed_workers(None)).split("=")[1].strip() == "3"
    assert workers_line(printed_workers("2")).split("=")[1].strip() == "2"
    refused = printed_workers("0")
    assert refused.returncode != 0
    assert "WEB_CONCURRENCY must be a whole number of web workers" in refused.stdout + refused.stderr


def test_no_command_fixes_the_count_and_compose_runs_two():
    """The Dockerfile, docker-compose.yml and `flask serve` leave the count to the settings file."""
    assert "--workers" not in web_command("127.0.0.1", 8000, dev=False)
    assert "--workers" not in (ROOT / "Dockerfile").read_text()
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    assert "--workers" not in web["command"]
    assert web["environment"]["WEB_CONCURRENCY"] == "2"
