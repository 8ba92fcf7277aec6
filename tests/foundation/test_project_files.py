"""The files that let someone join the project: CI, the pre-commit hooks, the issue and
pull-request templates, the dev container, CONTRIBUTING.md and SECURITY.md. Each parses, and
each says what the rest of the project relies on (CI runs .ci/run; the hooks run the pinned ruff)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
ISSUE_TEMPLATES = ROOT / ".github" / "ISSUE_TEMPLATE"
YAML_FILES = [WORKFLOW, PRE_COMMIT, *sorted(ISSUE_TEMPLATES.glob("*.yml"))]

try:  # PyYAML is not one of our requirements; where it is installed, the files are parsed fully.
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    yaml = None


def load_yaml(path: Path):
    """The file parsed by PyYAML when it is installed; else checked for what breaks YAML most
    often (tabs, odd indentation, a key without its colon) and returned as text."""
    text = path.read_text()
    if yaml is not None:
        return yaml.safe_load(text)
    for number, line in enumerate(text.splitlines(), 1):
        bare = line.strip()
        if not bare or bare.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        assert "\t" not in line[: indent + 1], f"{path.name}:{number}: a tab in the indentation"
        assert indent % 2 == 0, f"{path.name}:{number}: indentation of {indent} spaces"
    return text


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_each_yaml_file_parses(path):
    assert load_yaml(path)


def test_ci_runs_dot_ci_run_on_push_and_pull_request_with_what_it_expects():
    text = WORKFLOW.read_text()
    assert re.search(r"^\s+run: bash \.ci/run$", text, re.MULTILINE), "the workflow must run `bash .ci/run`"
    ci_run = (ROOT / ".ci" / "run").read_text()
    # .ci/run asks this address first and uses it as the browser journeys' server.
    assert "pg_isready -h 127.0.0.1 -p 5432" in ci_run
    assert "postgresql+psycopg://postgres@127.0.0.1:5432/" in ci_run
    for needed in ("image: postgres:15", "POSTGRES_HOST_AUTH_METHOD: trust", "- 5432:5432", "postgresql-client"):
        assert needed in text, f"the workflow lacks {needed!r}"
    assert re.search(r'python-version: "3\.11"', text)
    assert re.search(r'node-version: "20"', text)
    data = load_yaml(WORKFLOW)
    if yaml is not None:
        triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
        assert {"push", "pull_request"} <= set(triggers)
        (job,) = data["jobs"].values()
        assert job["services"]["postgres"]["ports"] == ["5432:5432"]
        assert any(step.get("run") == "bash .ci/run" for step in job["steps"])
    else:
        assert re.search(r"^on:\n  push:\n  pull_request:\n", text, re.MULTILINE)


def test_pre_commit_runs_the_pinned_ruff_and_keeps_a_place_for_lint_imports():
    pinned = re.search(r"^ruff==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert pinned, "requirements-dev.txt must pin ruff"
    text = PRE_COMMIT.read_text()
    data = load_yaml(PRE_COMMIT)
    if yaml is not None:
        hooks = {hook["id"]: hook for repo in data["repos"] for hook in repo["hooks"]}
        entries = {key: hook["entry"] for key, hook in hooks.items()}
        assert hooks["lint-imports"]["pass_filenames"] is False
        assert hooks["lint-imports"]["language"] == "system"
    else:
        entries = dict(re.findall(r"- id: (\S+)\n(?:\s+\w+: .*\n)*?\s+entry: (.*)", text))
    # The ruff that `make install-dev` installed from requirements-dev.txt, not a second copy.
    assert entries["ruff-check"].startswith(".venv/bin/ruff check --fix")
    assert entries["ruff-format"].startswith(".venv/bin/ruff format")
    assert "lint-imports" in entries["lint-imports"]


def test_issue_templates_send_security_reports_to_security_md():
    forms = [p for p in ISSUE_TEMPLATES.glob("*.yml") if p.name != "config.yml"]
    assert {p.stem for p in forms} >= {"bug_report", "feature_request"}
    for path in forms:
        assert "SECURITY.md" in path.read_text(), f"{path.name} must point security reports to SECURITY.md"
        data = load_yaml(path)
        if yaml is not None:
            assert data["name"] and data["description"] and data["body"]
            ids = [item["id"] for item in data["body"] if "id" in item]
            assert len(ids) == len(set(ids)), f"{path.name}: ids must be unique"
    assert "SECURITY.md" in (ISSUE_TEMPLATES / "config.yml").read_text()
    pull_request = (ROOT / ".github" / "pull_request_template.md").read_text()
    for needed in ("make lint", "make test", "docs/benchmarks.md", "Screenshots"):
        assert needed in pull_request


def test_the_dev_container_gives_the_two_commands_a_ready_machine():
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert config["postCreateCommand"] == "make install-dev"
    assert 5000 in config["forwardPorts"]
    node = next(value for key, value in config["features"].items() if "/features/node" in key)
    assert node["version"] == "20"
    dockerfile = (ROOT / ".devcontainer" / config["build"]["dockerfile"]).read_text()
    assert re.search(r"^FROM \S*python:\S*3\.11\S*-bookworm$", dockerfile, re.MULTILINE)
    assert "chromium" in dockerfile


def test_contributing_and_security_say_what_they_must():
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for needed in ("make run", "make test", "## Tests", "## Benchmarks", "docs/benchmarks.md", "lint-imports"):
        assert needed in contributing, f"CONTRIBUTING.md lacks {needed!r}"
    security = (ROOT / "SECURITY.md").read_text()
    assert "docs/security.md" in security
    assert "## Supported versions" in security and "`main`" in security
    # No invented address: reports go through the repository host's private advisories.
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", security), "SECURITY.md must not name an email address"
