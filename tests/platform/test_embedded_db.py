"""The embedded PostgreSQL is safe to start from several processes at once.

A fresh clone has no ``instance/`` yet: the two xdist workers of ``make test`` (or ``make run``
beside it) start the same server at the same moment. The first one creates and starts it;
every other one must attach to it, not die with FileExistsError.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.database import ROOT

STARTER = """
import sys, time
from pathlib import Path
import psycopg
from app.platform.embedded_db import start_embedded_server

pgdata, go, out, release = (Path(p) for p in sys.argv[1:5])
while not go.exists():
    time.sleep(0.005)
server = start_embedded_server(pgdata)
with psycopg.connect(server.get_uri("postgres")) as conn:
    answer = conn.execute("SELECT 41 + 1").fetchone()[0]
out.write_text(f"{server.get_pid()} {answer}")
while not release.exists():  # stay attached until every process has checked the server
    time.sleep(0.05)
"""


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_processes_starting_the_same_new_pgdata_at_once_all_get_the_one_server(tmp_path):
    # Under instance/, not pytest's tmp_path: its 0700 folders are closed to the server's
    # system user when the tests run as root. The data folder does not exist yet, as on a fresh clone.
    parent = ROOT / "instance" / f"race-{os.getpid()}"
    pgdata = parent / "pgdata"
    go, release = tmp_path / "go", tmp_path / "release"
    outs = [tmp_path / f"{i}.out" for i in range(3)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_RUNTIME_DIR": str(parent)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, str(pgdata), str(go), str(out), str(release)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in outs
    ]
    try:
        time.sleep(1.0)  # let every process import and wait at the starting line
        go.touch()
        done = wait_for(lambda: all(o.exists() for o in outs) or any(p.poll() for p in procs), 90)
        failures = [p.stderr.read() for p in procs if p.poll()]
        assert not failures, failures[0][-3000:]
        assert done, "the servers did not answer within 90 s"
        answers = [o.read_text().split() for o in outs]
        assert {answer for _, answer in answers} == {"42"}
        assert len({pid for pid, _ in answers}) == 1, f"more than one server started: {answers}"
        release.touch()
        errors = [proc.communicate(timeout=60)[1] for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0, 0], errors
        # The last process to leave stopped the server it shared.
        stopped = wait_for(lambda: not (pgdata / "postmaster.pid").exists(), 60)
        assert stopped, f"still running; handles left: {_read(pgdata / '.handle_pids.json')}; {errors}"
    finally:
        release.touch()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        _stop_leftover(pgdata)
        shutil.rmtree(parent, ignore_errors=True)


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else "(none)"


def _stop_leftover(pgdata: Path) -> None:
    if (pgdata / "postmaster.pid").exists():
        from app.platform.embedded_db import stop_embedded_server

        stop_embedded_server(pgdata)
