"""The dashboard and the alert rules ask for metrics that exist: every PromQL expression in
deploy/monitoring/ is parsed (promql-parser) and each metric it names is one the app exposes
(histogram _bucket/_sum/_count and counter _total included), or one of the few named below
that other exporters provide."""

from __future__ import annotations

import json
from pathlib import Path

import promql_parser
import pytest
import yaml

from app.ops import probe
from app.platform import metrics

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"

# Metrics from outside the app, each with who provides it.
EXTERNAL = {
    "up": "Prometheus itself, per scrape target",
    "node_filesystem_avail_bytes": "node_exporter (the disk alert)",
    "node_filesystem_size_bytes": "node_exporter (the disk alert)",
    # The synthetic probe writes its own (a node_exporter textfile or the Pushgateway).
    **dict.fromkeys(probe.METRICS, "the synthetic probe, app/ops/probe.py (the probe alert)"),
}


def alert_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [(rule["alert"], rule["expr"]) for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


def metric_names(expression: str) -> set[str]:
    found: set[str] = set()

    def visit(node, *_args) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                found.add(node.name)
            found.update(m.value for m in node.matchers.matchers if m.name == "__name__")
        return True

    promql_parser.walk(promql_parser.parse(expression), visit)
    return found


EXPRESSIONS = alert_expressions() + dashboard_expressions()


@pytest.mark.parametrize(("where", "expression"), EXPRESSIONS, ids=[where for where, _ in EXPRESSIONS])
def test_every_expression_parses_and_names_existing_metrics(where, expression):
    names = metric_names(expression)
    assert names, f"{where}: names no metric"
    unknown = names - metrics.registered_names() - EXTERNAL.keys()
    assert not unknown, f"{where}: {sorted(unknown)} is not a metric the app or a named exporter exposes"


def test_a_misspelt_metric_or_broken_query_is_caught():
    assert metric_names("sum(rate(cozywish_http_requests_totl[5m]))") - metrics.registered_names()
    with pytest.raises(ValueError, match="parenthesis"):
        promql_parser.parse("sum(rate(cozywish_job_runs_total[5m])")


def test_the_alerts_cover_what_the_issue_names():
    alerts = dict(alert_expressions())
    wanted = {
        "error rate": "cozywish_http_request_duration_seconds_count",
        "p99": "cozywish_http_request_duration_seconds_bucket",
        "queue age": "cozywish_jobs_oldest_age_seconds",
        "webhook lag": "cozywish_webhook_delivery_lag_seconds_bucket",
        "disk": "node_filesystem_avail_bytes",
    }
    named = set().union(*(metric_names(expr) for expr in alerts.values()))
    assert {what for what, metric in wanted.items() if metric not in named} == set()
    assert "histogram_quantile(0.99" in " ".join(alerts.values())


def test_the_dashboard_shows_every_app_metric():
    shown = set().union(*(metric_names(expr) for _, expr in dashboard_expressions()))
    families = {
        "cozywish_http_request_duration_seconds",
        "cozywish_page_cache_requests",
        "cozywish_db_pool_checked_out",
        "cozywish_db_pool_size",
        "cozywish_jobs_queued",
        "cozywish_jobs_oldest_age_seconds",
        "cozywish_job_runs",
        "cozywish_search_duration_seconds",
        "cozywish_checkout_outcomes",
        "cozywish_webhook_delivery_lag_seconds",
        "cozywish_notifications_sent",
    }
    assert {family for family in families if not any(name.startswith(family) for name in shown)} == set()


def test_every_alert_says_where_its_runbook_is():
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    docs = (MONITORING.parents[1] / "docs" / "operations.md").read_text()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["annotations"]["runbook"] == "docs/operations.md#what-each-alert-means"
            assert f"`{rule['alert']}`" in docs, f"{rule['alert']} is not in docs/operations.md's alert table"


def test_the_scrape_config_sends_the_token_and_loads_the_rules():
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "cozywish")
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
