"""Deployment as checked code: every Kubernetes manifest in deploy/k8s/ is validated against the
Kubernetes JSON schemas (kubernetes-validate, which ships them), and docker-compose.yml parses
and wires the services the way its comments and docs/operations.md say."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from app.platform.db_routing import POOLER_TRANSACTION

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.37.0"  # the newest schemas the pinned kubernetes-validate ships

# Files that are not Kubernetes objects, each skipped for a reason. No CRD is used (the worker
# scales with a plain HPA on an external metric), so nothing else is skipped.
NOT_OBJECTS = {"kustomization.yaml": "kustomize's own file (kustomize.config.k8s.io), read by kubectl -k"}


def manifests() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name in NOT_OBJECTS:
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((f"{path.name}:{document['kind']}", document))
    return found


MANIFESTS = manifests()


def by_kind(kind: str) -> list[dict]:
    return [doc for _, doc in MANIFESTS if doc["kind"] == kind]


@pytest.mark.parametrize(("where", "manifest"), MANIFESTS, ids=[where for where, _ in MANIFESTS])
def test_each_manifest_is_valid_against_the_kubernetes_schemas(where, manifest):
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_a_broken_manifest():
    broken = yaml.safe_load((K8S / "web-deployment.yaml").read_text())
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    misspelt = yaml.safe_load((K8S / "web-pdb.yaml").read_text())
    misspelt["spec"]["minAvailabel"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, KUBERNETES_VERSION, strict=True)


def test_the_skipped_files_are_named_with_a_reason_and_kustomize_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    files = {path.name for path in K8S.glob("*.yaml")} - NOT_OBJECTS.keys()
    assert set(kustomization["resources"]) == files
    assert all(reason for reason in NOT_OBJECTS.values())


def test_the_cluster_has_what_the_issue_asks_for():
    kinds = {doc["kind"] for _, doc in MANIFESTS}
    assert {
        "Deployment",
        "HorizontalPodAutoscaler",
        "Job",
        "Secret",
        "Service",
        "PodDisruptionBudget",
        "ConfigMap",
    } <= kinds
    deployments = {doc["metadata"]["name"]: doc for doc in by_kind("Deployment")}
    web = deployments["cozywish-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"

    autoscalers = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in by_kind("HorizontalPodAutoscaler")}
    assert autoscalers["cozywish-web"]["spec"]["metrics"][0]["type"] == "Resource"
    worker_metric = autoscalers["cozywish-worker"]["spec"]["metrics"][0]
    assert worker_metric["type"] == "External"
    assert worker_metric["external"]["metric"]["name"] == "cozywish_jobs_queued"  # app/platform/metrics.py's

    job = by_kind("Job")[0]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["sh", "-c", "flask db upgrade && flask db-settings apply"]
    budgets = {doc["metadata"]["name"] for doc in by_kind("PodDisruptionBudget")}
    assert budgets == {"cozywish-web", "cozywish-worker"}


def test_the_secret_holds_placeholders_only():
    secret = by_kind("Secret")[0]
    for key, value in secret["stringData"].items():
        assert value == "" or "change" in value or "change_me" in value, f"{key} looks like a real value"


def test_the_worker_and_migrations_bypass_pgbouncer():
    secret = by_kind("Secret")[0]["stringData"]
    assert "@pgbouncer:" in secret["DATABASE_URL"] and "@postgres:" in secret["DIRECT_DATABASE_URL"]
    for name in ("cozywish-worker",):
        deployment = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == name)
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        assert {
            "name": "DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": "cozywish-secrets", "key": "DIRECT_DATABASE_URL"}},
        } in env
    job_env = by_kind("Job")[0]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert job_env[0]["valueFrom"]["secretKeyRef"]["key"] == "DIRECT_DATABASE_URL"


def test_web_pods_run_in_transaction_pooling_mode_with_a_direct_jobs_url():
    web = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "cozywish-web")
    env = web["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "DATABASE_POOLER", "value": POOLER_TRANSACTION} in env
    assert {
        "name": "JOBS_DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "cozywish-secrets", "key": "DIRECT_DATABASE_URL"}},
    } in env
    worker = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "cozywish-worker")
    worker_env = worker["spec"]["template"]["spec"]["containers"][0]["env"]
    assert "DATABASE_POOLER" not in {item["name"] for item in worker_env}
    assert "DATABASE_POOLER" not in by_kind("ConfigMap")[0]["data"]  # the worker keeps its session SETs


def test_web_pods_share_metrics_through_a_fresh_directory():
    config = by_kind("ConfigMap")[0]["data"]
    web = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "cozywish-web")
    mounts = web["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "metrics", "mountPath": config["PROMETHEUS_MULTIPROC_DIR"]} in mounts


# -- docker-compose.yml --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_parses_and_names_every_service(compose):
    assert set(compose["services"]) == {
        "web",
        "worker",
        "postgres",
        "pgbouncer",
        "redis",
        "elasticsearch",
        "minio",
        "minio-bucket",
        "backup",  # pgBackRest's base backups (deploy/pgbackrest)
    }
    for name, service in compose["services"].items():
        if name in {"web", "worker"}:
            assert service["build"] == "." and service["image"] == "cozywish:latest"  # built from this tree
            continue
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image's version ({image})"


def test_compose_wires_the_web_through_pgbouncer_and_the_worker_straight(compose):
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    assert "@pgbouncer:6432/" in web["environment"]["DATABASE_URL"]
    assert "@postgres:5432/" in worker["environment"]["DATABASE_URL"]
    assert "DATABASE_URL=$$DIRECT_DATABASE_URL flask db upgrade" in web["command"]
    assert "--config python:app.ops.gunicorn_hooks" in web["command"]
    assert "flask db-settings apply" in web["command"]
    assert web["environment"]["DATABASE_POOLER"] == POOLER_TRANSACTION
    assert "@postgres:5432/" in web["environment"]["JOBS_DATABASE_URL"]
    assert "DATABASE_POOLER" not in worker["environment"]
    assert compose["services"]["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    assert web["environment"]["S3_ENDPOINT_URL"] == "http://minio:9000"
    for needed in ("postgres", "pgbouncer", "redis", "minio-bucket"):
        assert needed in web["depends_on"]


def test_workers_on_their_own_serve_their_metrics(compose):
    worker = compose["services"]["worker"]["environment"]
    assert worker["WORKER_METRICS_PORT"] == "${WORKER_METRICS_PORT:-9100}"
    # An empty PROMETHEUS_MULTIPROC_DIR would still turn prometheus_client's file mode on: never set one.
    assert "PROMETHEUS_MULTIPROC_DIR" not in worker
    deployment = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "cozywish-worker")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["WORKER_METRICS_PORT"] == "9100" and "PROMETHEUS_MULTIPROC_DIR" not in env
    assert container["ports"] == [{"name": "metrics", "containerPort": 9100}]
    config = by_kind("ConfigMap")[0]["data"]
    assert {"name": "metrics", "mountPath": config["PROMETHEUS_MULTIPROC_DIR"]} in container["volumeMounts"]
    scrape = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus.yml").read_text())
    assert {job["job_name"] for job in scrape["scrape_configs"]} >= {"cozywish", "cozywish-worker"}
