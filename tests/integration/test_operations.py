"""What operations runs on (deploy/): the Prometheus rules, their unit tests and the scrape
config, the Grafana dashboard's PromQL, the product's /metrics, and the compose and Kubernetes
files.

promtool comes from Debian's `prometheus` package (deploy/local/install.sh promtool installs it
when missing; without it these tests fail, they are not skipped). Grafana is not packaged for
Debian: each dashboard query is wrapped into a recording rule and checked by `promtool check
rules`. Neither Docker nor Kubernetes is needed: compose.yaml and the manifests are checked for
what they run and probe, and `docker compose config` validates compose.yaml where the compose
client is installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from services.alerts.settings import AlertsSettings
from services.alerts.webhooks import WebhookSettings
from services.cli import Service
from services.common.settings import CommonSettings
from services.ingest.settings import IngestSettings
from services.journey.settings import JourneySettings
from services.planning.settings import PlanningSettings
from tests.processes import poll
from tests.product import Product

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yml"
RULES_TEST = DEPLOY / "prometheus" / "rules_test.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "hero-journey.json"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
K8S = DEPLOY / "k8s"
PROMTOOL = Path("/usr/bin/promtool")

# The services deploy/ runs, each as `crm-journey serve NAME --port PORT`.
PORTS = {"ingest": 8001, "journey": 8002, "alerts": 8003, "planning": 8004}
REQUIRED_ALERTS = {
    "CrmEventsDeadLettered",
    "CrmConsumerLagHigh",
    "CrmConsumerTransientFailures",
    "CrmIngestRejectRatioHigh",
    "CrmTargetDown",
}
# A raw metric name in PromQL: not part of a recorded name such as group:crm_x:rate5m.
METRIC_NAME = re.compile(r"(?<![\w:])((?:crm|process)_\w+)(?![\w:])")


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    if not os.access(PROMTOOL, os.X_OK):
        done = subprocess.run(
            ["bash", str(DEPLOY / "local" / "install.sh"), "promtool"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0 or not os.access(PROMTOOL, os.X_OK):
            pytest.fail(f"no promtool; deploy/local/install.sh promtool said:\n{done.stderr}")
    return str(PROMTOOL)


def _promtool(
    promtool: str, *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd
    )


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in _rules() if "alert" in rule}


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those inside (collapsed) rows."""
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _dashboard_exprs() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (f"{panel['title']} / {target.get('refId', '?')}", target["expr"])
        for panel in _panels(dashboard["panels"])
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def _grafana_to_promql(expr: str) -> str:
    """Grafana's interval variables become a duration, other variables a literal."""
    expr = re.sub(r"\$\{?(__rate_interval|__interval|__range)\}?", "5m", expr)
    expr = re.sub(r"\$\{__\w+\}|\$__\w+", "5m", expr)
    return re.sub(r"\$\{\w+(?::\w+)?\}|\$\w+", "x", expr)


def _metric_names(*exprs: str) -> set[str]:
    return {name for expr in exprs for name in METRIC_NAME.findall(expr)}


def _exposed_names(exposition: str) -> set[str]:
    """Metric names in a text exposition: declared (# HELP/# TYPE) or sampled."""
    names = set(re.findall(r"^# (?:HELP|TYPE) (\S+)", exposition, re.MULTILINE))
    names |= set(re.findall(r"^([a-zA-Z_:][\w:]*)[{ ]", exposition, re.MULTILINE))
    return names


def _setting_names() -> set[str]:
    """Every environment variable the services read (README's configuration table)."""
    return {
        f"{settings.model_config.get('env_prefix', '')}{name}".upper()
        for settings in (
            CommonSettings,
            IngestSettings,
            JourneySettings,
            AlertsSettings,
            WebhookSettings,
            PlanningSettings,
        )
        for name in settings.model_fields
    }


def _assert_serves(command: list[str], where: str) -> str:
    """`command` is `crm-journey serve NAME ... --port PORT` for a service the CLI has."""
    assert command[:2] == ["crm-journey", "serve"], f"{where}: runs {command}"
    name = command[2]
    assert name in {s.value for s in Service}, f"{where}: `crm-journey serve {name}` does not exist"
    assert name in PORTS, f"{where}: serves {name}, which deploy/ does not expect"
    assert command[command.index("--port") + 1] == str(PORTS[name]), f"{where}: port"
    assert command[command.index("--host") + 1] == "0.0.0.0", f"{where}: reachable from outside"
    return name


# --- 1, 2: the rules and their unit tests ---------------------------------------------------


def test_the_rules_pass_promtool_check_rules(promtool: str) -> None:
    done = _promtool(promtool, "check", "rules", str(RULES))
    assert done.returncode == 0, _output(done)
    assert f"SUCCESS: {len(_rules())} rules found" in done.stdout, _output(done)

    alerts = _alerts()
    assert set(alerts) >= REQUIRED_ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_the_rules_pass_their_unit_tests_and_every_alert_is_tested_both_ways(
    promtool: str,
) -> None:
    done = _promtool(promtool, "test", "rules", str(RULES_TEST))
    assert done.returncode == 0, _output(done)
    assert "SUCCESS" in done.stdout, _output(done)

    suite = yaml.safe_load(RULES_TEST.read_text())
    assert [Path(f).name for f in suite["rule_files"]] == [RULES.name]
    cases = [case for test in suite["tests"] for case in test.get("alert_rule_test", [])]
    fires = {case["alertname"] for case in cases if case.get("exp_alerts")}
    stays_quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    assert set(_alerts()) == fires, "an alert has no test in which it fires"
    assert set(_alerts()) == stays_quiet, "an alert has no test in which it stays quiet"


# --- 3: the dashboard -----------------------------------------------------------------------


def test_every_dashboard_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    exprs = _dashboard_exprs()
    assert exprs
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:panel_{i}", "expr": _grafana_to_promql(expr)}
                    for i, (_, expr) in enumerate(exprs)
                ],
            }
        ]
    }
    wrapped = tmp_path / "dashboard-rules.yml"
    wrapped.write_text(yaml.safe_dump(rules, sort_keys=False))
    done = _promtool(promtool, "check", "rules", str(wrapped))
    listing = "\n".join(f"panel_{i}: {where}: {expr}" for i, (where, expr) in enumerate(exprs))
    assert done.returncode == 0, f"{_output(done)}\n{listing}"
    assert f"SUCCESS: {len(exprs)} rules found" in done.stdout, _output(done)


def test_the_dashboard_shows_ingest_consumers_dead_letters_and_skips() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    shown = _metric_names(*(expr for _, expr in _dashboard_exprs()))
    assert {
        "crm_ingest_events_accepted_total",
        "crm_ingest_events_rejected_total",
        "crm_events_handled_total",
        "crm_consumer_lag_events",
        "crm_events_dead_lettered_total",
        "crm_journey_skips_total",
    } <= shown
    ids = [panel["id"] for panel in _panels(dashboard["panels"])]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in _panels(dashboard["panels"]):
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            for target in panel["targets"]:
                used = set(re.findall(r"\$\{?(\w+)", target["expr"])) - {
                    "__rate_interval",
                    "__interval",
                    "__range",
                }
                assert used <= variables, f"{panel['title']}: undefined {used - variables}"


# --- 4: the scrape config -------------------------------------------------------------------


def test_the_scrape_config_passes_promtool_and_scrapes_every_service(
    promtool: str, tmp_path: Path
) -> None:
    # Run from elsewhere: rule_files must resolve relative to the config file.
    done = _promtool(promtool, "check", "config", str(PROMETHEUS_CONFIG), cwd=tmp_path)
    assert done.returncode == 0, _output(done)
    assert "SUCCESS: 1 rule files found" in done.stdout, _output(done)

    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    assert config["rule_files"] == [RULES.name]
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    assert targets == {f"crm-{name}": [f"{name}:{port}"] for name, port in PORTS.items()}
    # The alerts select on these job names.
    assert 'job=~"crm-.+"' in _alerts()["CrmTargetDown"]["expr"]


# --- 5: the product's /metrics --------------------------------------------------------------


def test_the_product_metrics_pass_promtool_and_have_every_metric_the_rules_use(
    promtool: str, product: Product
) -> None:
    visitor = f"v-ops-{uuid.uuid4().hex[:8]}"
    click = {
        "type": "cta.clicked",
        "occurred_at": "2026-11-24T10:00:00Z",
        "visitor_id": visitor,
        "email": None,
        "cta": {
            "id": "schedule-discovery-call",
            "label": "Schedule Discovery Call",
            "stage": 1,
            "points": 10,
            "required_tier": None,
        },
        "page": "https://example.com/pricing",
        "utm": {"source": "google", "medium": "cpc", "campaign": "q4"},
    }
    assert product.post(click).status_code == 202
    # Handled by journey: the prospect exists, so the consumer counters have moved.
    found = poll(lambda: product.prospect(visitor), lambda r: r.status_code == 200)
    assert found.status_code == 200, found.text

    scraped = httpx.get(f"{product.base}/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    exposition = scraped.text

    done = _promtool(promtool, "check", "metrics", stdin=exposition)
    assert done.returncode == 0, _output(done)

    used = _metric_names(
        *(rule["expr"] for rule in _rules()), *(expr for _, expr in _dashboard_exprs())
    )
    assert {
        "crm_events_handled_total",
        "crm_events_dead_lettered_total",
        "crm_consumer_transient_failures_total",
        "crm_consumer_lag_events",
        "crm_ingest_events_accepted_total",
        "crm_ingest_events_rejected_total",
    } <= used
    missing = used - _exposed_names(exposition)
    assert not missing, f"rules or dashboard use metrics /metrics does not have: {missing}"
    assert re.search(
        r'^crm_ingest_events_accepted_total\{type="cta\.clicked\.v1"\} [1-9]', exposition, re.M
    )
    assert re.search(r'^crm_events_handled_total\{group="journey"\} [1-9]', exposition, re.M)


# --- 6, 7: compose and Kubernetes -----------------------------------------------------------


def test_compose_runs_each_service_from_the_image_and_probes_health_and_readiness() -> None:
    docs = list(yaml.safe_load_all(COMPOSE.read_text()))
    assert len(docs) == 1
    services: dict[str, Any] = docs[0]["services"]

    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["stripe-mock"]["image"].startswith("stripe/stripe-mock:")

    served = {}
    settings = _setting_names()
    for key, service in services.items():
        command = service.get("command")
        if not command or command[0] != "crm-journey":
            continue
        name = _assert_serves(command, f"compose service {key}")
        served[name] = key
        port = PORTS[name]
        build = service["build"]
        dockerfile = COMPOSE.parent / build["context"] / build["dockerfile"]
        assert dockerfile.resolve() == (DEPLOY / "compose" / "Dockerfile").resolve()
        probe = " ".join(service["healthcheck"]["test"])
        for path in ("/healthz", "/readyz"):
            assert f"127.0.0.1:{port}" in probe and path in probe, f"{key}: probes {probe}"
        env = service["environment"]
        assert {"CRM_SESSION_SECRET", "CRM_DATABASE_URL", "CRM_KAFKA_BOOTSTRAP_SERVERS"} <= set(env)
        assert set(env) <= settings, f"{key}: unknown settings {set(env) - settings}"
        assert f"127.0.0.1:{port}:{port}" in service["ports"]
        assert {"kafka", "postgres"} <= set(service["depends_on"])
    assert set(served) == set(PORTS)
    assert "CRM_INGEST_API_KEYS" in services[served["ingest"]]["environment"]

    dockerfile_text = (DEPLOY / "compose" / "Dockerfile").read_text()
    assert "uv.lock" in dockerfile_text and "--frozen" in dockerfile_text

    # The compose client validates the file without an engine, where it is installed.
    docker = shutil.which("docker")
    has_compose = docker is not None and (
        subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    if docker is not None and has_compose:
        env = {
            **os.environ,
            "CRM_SESSION_SECRET": "compose-config-check",
            "CRM_INGEST_API_KEYS": "pk-compose-config-check",
        }
        done = subprocess.run(
            [docker, "compose", "-f", str(COMPOSE), "config", "-q"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, _output(done)


def test_the_kubernetes_manifests_run_probe_configure_and_expose_each_service() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    manifests = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(kustomization["resources"]) == [p.name for p in manifests]

    objects = [
        (path.name, doc)
        for path in manifests
        for doc in yaml.safe_load_all(path.read_text())
        if doc is not None
    ]
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for where, doc in objects:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), where
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc

    config_maps = by_kind["ConfigMap"]
    settings = _setting_names()
    for name, config_map in config_maps.items():
        assert set(config_map["data"]) <= settings, f"ConfigMap {name}: unknown settings"

    deployed = {}
    for key, deployment in by_kind["Deployment"].items():
        pod = deployment["spec"]["template"]
        assert (
            deployment["spec"]["selector"]["matchLabels"].items()
            <= pod["metadata"]["labels"].items()
        ), key
        (container,) = pod["spec"]["containers"]
        name = _assert_serves([*container["command"], *container["args"]], f"Deployment {key}")
        deployed[name] = deployment
        port = PORTS[name]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": port}, key

        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path, f"{key}: {probe}"
            assert get["port"] in ("http", port), f"{key}: {probe}"

        secret_env = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert "CRM_SESSION_SECRET" in secret_env, key
        if name == "ingest":
            assert "CRM_INGEST_API_KEYS" in secret_env, key
        else:
            assert "CRM_DATABASE_URL" in secret_env, key
        assert set(secret_env) <= settings, key
        assert not {e["name"] for e in container.get("env", []) if "value" in e}, (
            f"{key}: plain values belong in the ConfigMap"
        )
        for source in container["envFrom"]:
            assert source["configMapRef"]["name"] in config_maps, key

        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", key
        assert annotations["prometheus.io/port"] == str(port), key
        assert annotations["prometheus.io/path"] == "/metrics", key
        # Prometheus names the job after this label, as prometheus.yml does (crm-<service>).
        assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == f"crm-{name}", key

        (service,) = [
            s
            for s in by_kind["Service"].values()
            if s["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        ]
        assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [
            (port, "http")
        ], key
    assert set(deployed) == set(PORTS)
