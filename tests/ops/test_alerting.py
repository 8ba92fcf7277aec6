"""Alerts reach a person: Alertmanager's configuration passes `amtool check-config`, routes pages
and tickets to their email receivers, Prometheus sends its alerts there, and every alert rule
has its runbook line in docs/operations.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
ALERTMANAGER = MONITORING / "alertmanager.yml"
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool is missing: `apt-get install -y prometheus-alertmanager` (CI installs it)"
)


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([AMTOOL, *args], capture_output=True, text=True, timeout=30, check=False)


@needs_amtool
def test_amtool_accepts_the_alertmanager_configuration():
    result = amtool("check-config", str(ALERTMANAGER))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_amtool
def test_amtool_refuses_a_broken_configuration(tmp_path):
    broken = tmp_path / "alertmanager.yml"
    broken.write_text(ALERTMANAGER.read_text().replace("receiver: team-email\n", "receiver: nobody\n", 1))
    result = amtool("check-config", str(broken))
    assert result.returncode != 0
    assert "nobody" in result.stdout + result.stderr


@needs_amtool
@pytest.mark.parametrize(("severity", "receiver"), [("page", "on-call-email"), ("ticket", "team-email")])
def test_each_severity_reaches_its_email_receiver(severity, receiver):
    result = amtool(
        "config", "routes", "test", f"--config.file={ALERTMANAGER}", f"severity={severity}", "alertname=Any"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [receiver]


def test_every_receiver_sends_email_and_every_alert_has_a_routed_severity():
    config = yaml.safe_load(ALERTMANAGER.read_text())
    assert config["global"]["smtp_smarthost"] and config["global"]["smtp_from"]
    for receiver in config["receivers"]:
        assert receiver["email_configs"], f"{receiver['name']} sends no email"
        assert all(email["to"] for email in receiver["email_configs"])
    routed = {m.split("=")[1].strip('"') for route in config["route"]["routes"] for m in route["matchers"]}
    assert {rule["labels"]["severity"] for rule in alert_rules()} <= routed


def test_prometheus_sends_its_alerts_to_alertmanager():
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    targets = [t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    assert targets == ["alertmanager:9093"]
    assert any(job["job_name"] == "pushgateway" and job["honor_labels"] for job in config["scrape_configs"])


def test_every_alert_has_a_runbook_line_in_operations():
    """A table row (or a heading, or a bullet) that starts with the alert's name and says what to do."""
    docs = (ROOT / "docs" / "operations.md").read_text()
    for rule in alert_rules():
        name = re.escape(rule["alert"])
        line = re.search(rf"^(?:\| `{name}` \|.+\|.+\|.+|#+ .*`?{name}`?.*|[-*] `{name}`.+)$", docs, re.MULTILINE)
        assert line, f"{rule['alert']} has no runbook line in docs/operations.md"


def test_the_probe_alert_pages_on_failure_and_on_silence():
    rule = next(r for r in alert_rules() if r["alert"] == "CozyWishProbeFailing")
    assert rule["labels"]["severity"] == "page"
    assert 'max(cozywish_probe_success{step="all"}) == 0' in rule["expr"]
    assert "cozywish_probe_last_run_timestamp" in rule["expr"] and "absent(" in rule["expr"]
