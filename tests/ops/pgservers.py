"""PostgreSQL servers and a PgBouncer that ops tests start for themselves, in temporary folders.

PostgreSQL and PgBouncer refuse to run as root: as root (CI, containers) they run as the
``postgres`` system user, which owns their folders.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from app.platform.embedded_db import binaries_dir

PGBOUNCER = Path("/usr/sbin/pgbouncer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_as() -> str | None:
    """The system user servers run as: ``postgres`` (or ``nobody``) under root, else ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root with no postgres or nobody user to run servers as")


def owned_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if (user := run_as()) is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    folder.chmod(0o700)
    return folder


def server_host_port(url: str) -> tuple[str, int]:
    """Host (or socket folder) and port of a SQLAlchemy URL, as libpq would read them."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "/var/run/postgresql"
    port = parsed.port or int(parsed.query.get("port") or 5432)
    return str(host), int(port)


class PgBouncer:
    """``pgbouncer`` in front of one PostgreSQL server, on a free port, trust authentication."""

    def __init__(self, server_url: str, *, pool_mode: str = "transaction", pool_size: int = 4) -> None:
        self.folder = owned_folder("cozywish-pgbouncer-")
        self.port = free_port()
        host, port = server_host_port(server_url)
        user = make_url(server_url).username or "postgres"
        (self.folder / "userlist.txt").write_text(f'"{user}" ""\n')
        (self.folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.folder / 'userlist.txt'}\n"
            f"pool_mode = {pool_mode}\n"
            f"default_pool_size = {pool_size}\n"
            "max_client_conn = 200\n"
            f"admin_users = {user}\n"
            f"stats_users = {user}\n"
            f"logfile = {self.folder / 'pgbouncer.log'}\n"
        )
        self._chown_all()
        self.user = user
        self.process = subprocess.Popen(
            [str(PGBOUNCER), str(self.folder / "pgbouncer.ini")],
            user=run_as(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not start:\n{self.log()}") from None
                time.sleep(0.1)

    def _chown_all(self) -> None:
        if (user := run_as()) is not None:
            entry = pwd.getpwnam(user)
            for path in self.folder.iterdir():
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text()[-3000:] if path.exists() else "(no log)"

    def console(self, command: str) -> list[list[str]]:
        """A command on PgBouncer's admin console (simple query protocol: psql)."""
        psql = binaries_dir() / "psql"
        where = ["-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "pgbouncer"]
        out = subprocess.run(
            [str(psql), *where, "-AtF|", "-c", command],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        return [line.split("|") for line in out.splitlines() if line]

    def stats(self, database: str) -> dict[str, int]:
        """PgBouncer's counts for ``database`` (SHOW STATS: database, total_xact_count, total_query_count, ...)."""
        for row in self.console("SHOW STATS"):
            if row[0] == database:
                return {"total_xact_count": int(row[1]), "total_query_count": int(row[2])}
        return {"total_xact_count": 0, "total_query_count": 0}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_for(check, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except psycopg.OperationalError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError("gave up waiting")
        time.sleep(step)


class PostgresServer:
    """A PostgreSQL server of the embedded package's binaries (a fresh clone has them), in a
    temporary folder, listening on 127.0.0.1 and a free port."""

    def __init__(self, data: Path, port: int) -> None:
        self.data = data
        self.port = port

    @classmethod
    def primary(cls) -> PostgresServer:
        folder = owned_folder("cozywish-primary-")
        server = cls(folder / "data", free_port())
        server._run("initdb", "-D", str(server.data), "--auth=trust", "-U", "postgres", "--encoding=utf8")
        server.start()
        return server

    def replica(self) -> PostgresServer:
        """A streaming replica of this server: a base backup with -R (standby.signal, primary_conninfo)."""
        folder = owned_folder("cozywish-replica-")
        replica = PostgresServer(folder / "data", free_port())
        replica._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", str(replica.data),
            "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        replica.start()
        return replica

    def _run(self, program: str, *args: str) -> str:
        return subprocess.run(
            [str(binaries_dir() / program), *args],
            user=run_as(),
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data.parent} -c fsync=off"
        log = str(self.data.parent / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres", **query: str) -> str:
        extra = "&".join(f"{key}={value}" for key, value in query.items())
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}" + (f"?{extra}" if extra else "")

    def libpq(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.data.parent, ignore_errors=True)
