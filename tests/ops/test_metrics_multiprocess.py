"""Several processes, one set of numbers: gunicorn's workers each write their values to files in
PROMETHEUS_MULTIPROC_DIR and one scrape, answered by any of them, sums them all."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.ops import gunicorn_hooks
from app.ops.serve import GUNICORN_CONFIG, web_command
from app.platform import metrics
from tests.ops.scraping import TOKEN, scrape, value

ROOT = Path(__file__).resolve().parents[2]

# What one worker process does: two requests of one page, a connection taken, a page cache hit.
WORKER = textwrap.dedent(
    """
    import os, sys
    from app.platform import metrics
    metrics.observe_request("main.index", "GET", 200, 0.02)
    metrics.observe_request("main.index", "GET", 200, 0.3)
    metrics.db_pool_checked_out.inc(int(sys.argv[1]))
    metrics.page_cache("hit")
    print(os.getpid())
    """
)


def run_worker(directory: Path, connections: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(connections)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


@pytest.mark.slow
def test_one_scrape_sums_what_two_processes_wrote(client, app, monkeypatch, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    first = run_worker(directory, connections=2)
    second = run_worker(directory, connections=3)
    assert first != second
    assert len(list(directory.glob("*.db"))) >= 4  # each process has its own files

    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    samples = scrape(client)

    home = {"endpoint": "main.index", "method": "GET", "status": "200"}
    assert value(samples, "cozywish_http_request_duration_seconds_count", **home) == 4
    assert value(samples, "cozywish_http_request_duration_seconds_bucket", **home, le="0.025") == 2
    assert value(samples, "cozywish_http_request_duration_seconds_sum", **home) == pytest.approx(0.64)
    assert value(samples, "cozywish_page_cache_requests_total", result="hit") == 2
    assert value(samples, "cozywish_db_pool_checked_out") == 5
    # The scrape also reads the database's values, in whatever process answers it.
    assert ("cozywish_jobs_queued", (("queue", "default"),)) in samples

    # gunicorn's child_exit: a dead worker's live gauges stop counting; its counters stay.
    gunicorn_hooks.child_exit(None, type("Worker", (), {"pid": second})())
    samples = scrape(client)
    assert value(samples, "cozywish_db_pool_checked_out") == 2
    assert value(samples, "cozywish_http_request_duration_seconds_count", **home) == 4


def test_gunicorn_starts_with_an_empty_directory(tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old numbers")
    (directory / "README").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    gunicorn_hooks.on_starting(None)
    assert sorted(p.name for p in directory.iterdir()) == ["README"]


def test_flask_serve_runs_gunicorn_with_the_hooks_and_a_fresh_directory(tmp_path):
    command = web_command("127.0.0.1", 8000, dev=False)
    assert command[command.index("--config") + 1] == GUNICORN_CONFIG == "python:app.ops.gunicorn_hooks"
    directory = tmp_path / "m"
    directory.mkdir()
    (directory / "gauge_livesum_1.db").write_bytes(b"x")
    assert metrics.reset_multiprocess_dir(str(directory)) == str(directory)
    assert list(directory.iterdir()) == []


def test_a_worker_alone_keeps_only_its_own_files(tmp_path):
    directory = tmp_path / "m"
    directory.mkdir()
    for name in ("counter_111.db", "gauge_livesum_111.db", "counter_222.db", "notes.txt"):
        (directory / name).write_bytes(b"x")
    metrics.reset_multiprocess_dir(str(directory), keep_pid=222)
    assert sorted(p.name for p in directory.iterdir()) == ["counter_222.db", "notes.txt"]


def test_a_file_another_process_removes_first_is_no_error(tmp_path, monkeypatch):
    directory = tmp_path / "m"
    directory.mkdir()
    (directory / "counter_333.db").write_bytes(b"x")
    listed = os.listdir(directory)
    (directory / "counter_333.db").unlink()  # removed by a server stopping meanwhile
    monkeypatch.setattr(metrics.os, "listdir", lambda path: listed)
    assert metrics.reset_multiprocess_dir(str(directory)) == str(directory)


def test_the_image_runs_gunicorn_with_the_hooks_and_a_metrics_directory():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "PROMETHEUS_MULTIPROC_DIR=/app/instance/metrics" in dockerfile
    assert '"--config", "python:app.ops.gunicorn_hooks"' in dockerfile


# -- a worker on a machine of its own ------------------------------------------------------------


def test_a_worker_serves_its_own_metrics_behind_the_token():
    import requests

    metrics.job_run("tests.ops.worker_probe", "failed")
    server = metrics.serve_in_thread(0, TOKEN, host="127.0.0.1")
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
        assert requests.get(url.replace("/metrics", "/other"), timeout=5).status_code == 404
        answer = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert answer.status_code == 200
        assert 'cozywish_job_runs_total{outcome="failed",task="tests.ops.worker_probe"}' in answer.text
    finally:
        server.shutdown()
        server.server_close()


def test_the_worker_refuses_a_metrics_port_without_a_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "WORKER_METRICS_PORT", 9100)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    result = app.test_cli_runner().invoke(args=["jobs", "worker"])
    assert result.exit_code == 2
    assert "WORKER_METRICS_PORT needs METRICS_TOKEN" in result.output
