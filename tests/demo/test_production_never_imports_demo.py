"""Demo-only code (app/demo/) never loads in production: a production web process, started as
gunicorn starts it and asked for its pages, holds no module of the demo package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ops.test_production_settings import PRODUCTION_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from wsgi import app
client = app.test_client()
statuses = [client.get(path, base_url="https://cozywish.example").status_code for path in ("/", "/search", "/healthz")]
print(json.dumps({"statuses": statuses, "demo": sorted(m for m in sys.modules if m.startswith("app.demo"))}))
"""


def test_a_production_process_never_imports_the_demo(database_url, tmp_path):
    env = {
        **os.environ,
        **PRODUCTION_SETTINGS,
        "COZYWISH_ENV": "production",
        "DATABASE_URL": database_url,
        "UPLOAD_ROOT": str(tmp_path),
        "MAIL_BACKEND": "locmem",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [200, 200, 200], found
    assert found["demo"] == [], f"production imported {found['demo']}"
