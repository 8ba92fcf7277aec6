"""Point-in-time recovery with pgBackRest: a restore to a moment between two writes has the first.

The test starts a throwaway PostgreSQL 15 cluster (Debian's server; pgBackRest 2.45 knows
PostgreSQL up to 15) with deploy/pgbackrest/postgresql.conf's settings, so it archives every WAL
segment with ``pgbackrest archive-push``, and runs pgBackRest with deploy/pgbackrest/pgbackrest.conf
as shipped against a real S3 API over HTTPS (moto's server behind a TLS relay); only the bucket's
address and keys and the local paths come from the test, as production's come from its secret.
It takes a full backup, writes row A, notes the time, writes row B, archives the WAL that holds
B, stops, restores into a new data folder with ``--type=time --target=<that time>
--target-action=promote``, starts the copy and finds A and not B. Row A was written after the
backup, so finding it proves the archived WAL was replayed; the server's log saying it stopped
before B's commit proves B was in the archive and left out.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests
from werkzeug.serving import make_ssl_devcert

from app.platform.storage import make_s3_client
from tests.ops.pgservers import free_port, owned_folder, run_as, wait_for

PGBACKREST = shutil.which("pgbackrest") or "/usr/bin/pgbackrest"
PG15 = Path("/usr/lib/postgresql/15/bin")
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "pgbackrest"
STANZA = "cozywish"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(PGBACKREST).exists(),
        reason="pgBackRest is not installed (apt-get install -y pgbackrest; .ci/run installs it)",
    ),
    pytest.mark.skipif(
        not (PG15 / "postgres").exists(),
        reason="PostgreSQL 15's server is not in /usr/lib/postgresql/15/bin (pgBackRest 2.45 supports up to 15)",
    ),
]


class HttpsS3:
    """moto's S3 server (plain HTTP) behind a TLS relay on another free port.

    pgBackRest's S3 client speaks HTTPS only, and moto's own TLS mode (werkzeug's) drops
    connections without TLS's closing message, which pgBackRest reports as an error. asyncio's
    TLS streams close properly. The certificate is self-signed: the test turns verification off.
    """

    def __init__(self, folder: Path) -> None:
        self.moto_port = free_port()
        self.moto = subprocess.Popen(
            [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(self.moto_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cert, key = make_ssl_devcert(str(folder / "s3"), host="127.0.0.1")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=context))
        self.port = self.server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._wait_for_moto()

    def _wait_for_moto(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{self.moto_port}", timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or slow to answer
                if self.moto.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        moto_reader, moto_writer = await asyncio.open_connection("127.0.0.1", self.moto_port)
        await asyncio.gather(self._pipe(reader, moto_writer), self._pipe(moto_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def create_bucket(self, name: str) -> None:
        settings = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}
        make_s3_client({**settings, "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.moto_port}"}).create_bucket(Bucket=name)

    def settings(self, bucket: str) -> dict[str, str]:
        """The PGBACKREST_* variables a deployment's secret sets (docker-compose.yml, backup-cronjob.yaml)."""
        return {
            "PGBACKREST_REPO1_S3_BUCKET": bucket,
            "PGBACKREST_REPO1_S3_ENDPOINT": "127.0.0.1",
            "PGBACKREST_REPO1_STORAGE_PORT": str(self.port),
            "PGBACKREST_REPO1_STORAGE_VERIFY_TLS": "n",
            "PGBACKREST_REPO1_S3_REGION": "us-east-1",
            "PGBACKREST_REPO1_S3_KEY": "testing",
            "PGBACKREST_REPO1_S3_KEY_SECRET": "testing",
        }

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.moto.terminate()
        self.moto.wait(10)


class ArchivingCluster:
    """A PostgreSQL 15 data folder whose WAL goes to a pgBackRest repository beside it.

    pgBackRest runs deploy/pgbackrest/pgbackrest.conf as shipped (S3 repository, encryption,
    zstd, async archiving, retention); PGBACKREST_* variables, which win over the file, give the
    bucket's address and keys and put the paths in the temporary folder.
    """

    def __init__(self, repository: dict[str, str]) -> None:
        self.folder = owned_folder("cozywish-pitr-")
        self.data = self.folder / "data"
        self.port = free_port()
        for sub in ("log", "lock", "spool"):
            (self.folder / sub).mkdir()
        shutil.copy(DEPLOY / "pgbackrest.conf", self.folder / "pgbackrest.conf")
        self.env = {
            **os.environ,
            "PGBACKREST_CONFIG": str(self.folder / "pgbackrest.conf"),
            **repository,
            "PGBACKREST_REPO1_CIPHER_PASS": "a passphrase for the test only",
            "PGBACKREST_PG1_PATH": str(self.data),
            "PGBACKREST_PG1_PORT": str(self.port),
            "PGBACKREST_PG1_SOCKET_PATH": str(self.folder),
            "PGBACKREST_LOG_PATH": str(self.folder / "log"),
            "PGBACKREST_LOCK_PATH": str(self.folder / "lock"),
            "PGBACKREST_SPOOL_PATH": str(self.folder / "spool"),
            "PGBACKREST_LOG_LEVEL_CONSOLE": "warn",
        }
        self._give_to_server_user()

    def _give_to_server_user(self) -> None:
        if (user := run_as()) is None:
            return
        entry = pwd.getpwnam(user)
        for root, dirs, files in os.walk(self.folder):
            for name in dirs + files:
                os.chown(Path(root) / name, entry.pw_uid, entry.pw_gid)

    def run(self, program: str, *args: str) -> str:
        path = PGBACKREST if program == "pgbackrest" else str(PG15 / program)
        if program == "pgbackrest":
            args = (f"--stanza={STANZA}", *args)
        done = subprocess.run(
            [path, *args], user=run_as(), env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"{program} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "--encoding=utf8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write((DEPLOY / "postgresql.conf").read_text() + "fsync = off\n")

    def start(self, data: Path, **settings: str) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.folder}"
        options += "".join(f" -c {key}={value}" for key, value in settings.items())
        self.run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.log(data)), "-w", "start")

    def stop(self, data: Path) -> None:
        self.run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")

    def log(self, data: Path) -> Path:
        return data.parent / f"{data.name}.log"

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True)

    def remove(self, *datas: Path) -> None:
        for data in datas:
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    [str(PG15 / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                    user=run_as(),
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster(tmp_path):
    store = HttpsS3(tmp_path)
    try:
        store.create_bucket("cozywish-backups")
        made = ArchivingCluster(store.settings("cozywish-backups"))
        try:
            yield made
        finally:
            made.remove(made.data, made.folder / "restored")
    finally:
        store.stop()


def archived(conn: psycopg.Connection, segment: str) -> bool:
    last = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()[0]
    return last is not None and last >= segment


def test_a_restore_to_a_moment_between_two_writes_finds_the_first_and_not_the_second(cluster):
    cluster.init()
    cluster.start(cluster.data)
    cluster.run("pgbackrest", "stanza-create")
    cluster.run("pgbackrest", "check")  # archive_command reaches the repository
    cluster.run("pgbackrest", "backup", "--type=full")

    with cluster.connect() as conn:
        # pgBackRest restores from the newest backup that ended before the target, timed to the
        # second: the target must be a second past the backup's end.
        conn.execute("SELECT pg_sleep(1.1)")
        conn.execute("CREATE TABLE bookings_audit (id int PRIMARY KEY, what text NOT NULL)")
        conn.execute("INSERT INTO bookings_audit VALUES (1, 'A: booked before the mistake')")
        target = conn.execute("SELECT clock_timestamp()::text").fetchone()[0]
        conn.execute("SELECT pg_sleep(0.3)")
        conn.execute("INSERT INTO bookings_audit VALUES (2, 'B: the mistake')")
        segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
        wait_for(lambda: archived(conn, segment), timeout=30)
    cluster.stop(cluster.data)

    info = cluster.run("pgbackrest", "info")
    assert "status: ok" in info and "full backup" in info
    assert "cipher: aes-256-cbc" in info  # the shipped file encrypts the repository

    restored = cluster.folder / "restored"
    cluster.run(
        "pgbackrest", "restore", f"--pg1-path={restored}",
        "--type=time", f"--target={target}", "--target-action=promote",
    )  # fmt: skip
    # The copy must not push its own new timeline into the repository the test reads.
    cluster.start(restored, archive_mode="off")
    with cluster.connect() as conn:
        wait_for(lambda: not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0], timeout=30)
        rows = conn.execute("SELECT id, what FROM bookings_audit ORDER BY id").fetchall()
    assert rows == [(1, "A: booked before the mistake")]
    log = cluster.log(restored).read_text()
    assert "recovery stopping before commit of transaction" in log, log[-3000:]
    assert "archive recovery complete" in log
