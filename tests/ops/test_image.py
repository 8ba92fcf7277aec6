"""The production image can start: proved without a Docker engine (none runs on our machines).

The Dockerfile's final stage copies a chosen list of paths into /app. These tests copy exactly
that list into an empty folder and start the app from it in a fresh interpreter, so a new
top-level package the Dockerfile forgets (as ``search/`` once was) fails CI, not a deploy.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.database import ROOT, create_fresh_database, drop_database, server_url
from tests.ops.test_production_settings import PRODUCTION_SETTINGS


def final_stage_copies(dockerfile: str) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context in the last stage."""
    stages = re.split(r"^FROM\s", dockerfile, flags=re.MULTILINE | re.IGNORECASE)
    final = stages[-1].replace("\\\n", " ")
    copies = []
    for line in final.splitlines():
        words = shlex.split(line.strip(), comments=True)
        if not words or words[0].upper() != "COPY":
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from=") for w in words[1:]):
            continue  # built in an earlier stage (the virtualenv, static/vendor), not from the repo
        copies.append((args[:-1], args[-1]))
    return copies


def assemble_image_tree(target: Path) -> list[str]:
    """Copy into ``target`` what the Dockerfile copies into /app; return the paths copied."""
    copied = []
    for sources, destination in final_stage_copies((ROOT / "Dockerfile").read_text()):
        into_dir = destination.endswith("/") or len(sources) > 1
        for source in sources:
            origin = ROOT / source
            assert origin.exists(), f"the Dockerfile copies {source}, which is not in the repository"
            dest = target / destination / origin.name if into_dir else target / destination
            dest.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, dest, ignore=shutil.ignore_patterns("__pycache__", "vendor"))
            else:
                shutil.copy2(origin, dest)
            copied.append(source)
    return copied


# What the container does: import wsgi (gunicorn's wsgi:app), run the migrations (compose runs
# `flask db upgrade` first), answer /healthz and render the home page; and prove that nothing
# was imported from the repository instead of the image's folder.
BOOT = """
import os
import sys
import wsgi
from flask_migrate import upgrade

app = wsgi.app
with app.app_context():
    upgrade()
client = app.test_client()
health = client.get("/healthz", base_url="https://localhost")
home = client.get("/", base_url="https://localhost")
# The virtualenv may sit inside the repository (.venv): its packages are the image's /venv.
leaked = sorted(
    name for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").startswith(sys.argv[1])
    and not (module.__file__).startswith((sys.prefix, os.path.realpath(sys.prefix)))
)
print(app.config["ENV_NAME"], health.status_code, home.status_code, leaked)
"""


def test_dockerfile_copies_every_local_package_the_app_imports():
    copied = {Path(s).parts[0] for sources, _ in final_stage_copies((ROOT / "Dockerfile").read_text()) for s in sources}
    local_packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "e2e", "bench"}
    assert local_packages <= copied, f"the Dockerfile does not copy {sorted(local_packages - copied)}"


@pytest.mark.slow
@pytest.mark.committing
def test_the_app_starts_from_exactly_the_files_the_dockerfile_copies(tmp_path):
    image = tmp_path / "app"
    assemble_image_tree(image)
    base = server_url()
    name = f"cozywish_image_{os.getpid()}"
    url = create_fresh_database(base, name)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(image),
        "COZYWISH_ENV": "production",
        **PRODUCTION_SETTINGS,  # what production refuses to start without
        "SECRET_KEY": "image-test-" + "x" * 40,
        "DATABASE_URL": url,
        "MAIL_BACKEND": "console",
        "UPLOAD_ROOT": str(tmp_path / "uploads"),
        "LOG_LEVEL": "WARNING",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-c", BOOT, str(ROOT) + os.sep],
            cwd=image,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        drop_database(base, name)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "[]", f"imported from the repository, not the image: {result.stdout}"
    assert result.stdout.startswith("production 200 200 "), result.stdout + result.stderr[-2000:]


def major_minor(version: str) -> tuple[int, int]:
    major, minor, *_ = version.split(".")
    return int(major), int(minor)


def test_compose_elasticsearch_speaks_the_pinned_client_version():
    compose = (ROOT / "docker-compose.yml").read_text()
    requirements = (ROOT / "requirements.txt").read_text()
    server = re.search(r"^\s*image:\s*\S*/elasticsearch:(\d+\.\d+\.\d+)\s*$", compose, re.MULTILINE)
    client = re.search(r"^elasticsearch==(\d+\.\d+\.\d+)\s*$", requirements, re.MULTILINE)
    assert server and client, "expected an elasticsearch image tag and an elasticsearch== pin"
    server_version, client_version = major_minor(server.group(1)), major_minor(client.group(1))
    # A client talks to servers of its own major only (9.x is refused by 8.x), and of the same
    # or a later minor (Elastic's clients are forward compatible, not backward).
    assert server_version[0] == client_version[0], f"server {server.group(1)}, client {client.group(1)}"
    assert server_version[1] >= client_version[1], f"server {server.group(1)}, client {client.group(1)}"
