"""What matters about the Versus chart, asserted on what the real Helm engine renders.

Run through scripts/check-chart.sh (which makes the virtualenv), or directly:
    .venv-chart/bin/python -m pytest charts/tests -v
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

import chartlib
from chartlib import CHART_DIR, NAMESPACE, REPO_DIR, Rendered, deep_merge, load_values, render

VALUE_SETS = chartlib.value_sets()
SECRETS_FILE = chartlib.VALUES_DIR / "secrets.yaml"


@pytest.fixture(scope="module", params=sorted(VALUE_SETS), ids=str)
def value_set(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], Rendered]:
    values = load_values(VALUE_SETS[request.param])
    return request.param, values, render(values)


def rendered_set(name: str) -> Rendered:
    return render(load_values(VALUE_SETS[name]))


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: expected one container"
    return containers[0]


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --- Ingress: only the ack paths and the Slack callback are public -------------------------------


def ingress_routes(ingress: dict[str, Any], request_path: str) -> bool:
    """Whether a request path reaches a backend through this Ingress, by the Kubernetes rules:
    Exact matches the whole path; Prefix matches whole path elements ("/api/ack/" matches
    "/api/ack" and "/api/ack/x", not "/api/acknowledge"); ImplementationSpecific is treated as a
    plain string prefix, the widest common reading."""
    def elements(p: str) -> list[str]:
        return [e for e in p.split("/") if e]

    if ingress["spec"].get("defaultBackend"):
        return True
    for rule in ingress["spec"].get("rules", []):
        for item in rule.get("http", {}).get("paths", []):
            path, kind = item.get("path", "/"), item["pathType"]
            if kind == "Exact" and request_path == path:
                return True
            if kind == "Prefix" and elements(request_path)[: len(elements(path))] == elements(path):
                return True
            if kind == "ImplementationSpecific" and request_path.startswith(path):
                return True
    return False


PUBLIC_PATHS = [
    "/api/incidents/ack/tok123",
    "/api/incidents/ack/",
    "/api/ack/tok123",
    "/api/incidents/noise/tok123",
    "/api/noise/tok123",
    "/api/slack/interactions",
]
PRIVATE_PATHS = ["/api/incidents", "/api/reports/oncall", "/api/reports", "/api/heartbeats", "/api/heartbeats/alertmanager", "/metrics", "/healthz", "/readyz", "/", "/api", "/api/incidents/other", "/api/slack/other"]


def test_ingress_route_matcher_detects_overexposure() -> None:
    """The matcher used below must be able to fail: an Ingress with a broad prefix is caught."""
    broad = {"spec": {"rules": [{"http": {"paths": [{"path": "/api", "pathType": "Prefix"}]}}]}}
    assert ingress_routes(broad, "/api/incidents")
    assert not ingress_routes(broad, "/metrics")
    default_backend = {"spec": {"defaultBackend": {"service": {"name": "x"}}}}
    assert ingress_routes(default_backend, "/metrics")


def test_no_ingress_by_default() -> None:
    assert rendered_set("default").of_kind("Ingress") == []


def test_ingress_exposes_only_ack_and_slack_paths() -> None:
    r = rendered_set("ingress")
    ingress = r.one("Ingress")
    api_service = r.one("Service", "api")["metadata"]["name"]
    paths = set()
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] == "versus.acme.test", "ingress host defaults to the host of config.public_host"
        for item in rule["http"]["paths"]:
            paths.add((item["path"], item["pathType"]))
            assert item["backend"]["service"]["name"] == api_service
            assert item["backend"]["service"]["port"] == {"name": "http"}
    assert paths == {
        ("/api/incidents/ack/", "Prefix"),
        ("/api/ack/", "Prefix"),
        ("/api/incidents/noise/", "Prefix"),
        ("/api/noise/", "Prefix"),
        ("/api/slack/interactions", "Exact"),
    }
    for path in PUBLIC_PATHS:
        assert ingress_routes(ingress, path), f"{path} must be public"
    for path in PRIVATE_PATHS:
        assert not ingress_routes(ingress, path), f"{path} must not be reachable through the ingress"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"secretName": "versus-tls", "hosts": ["versus.acme.test"]}]


def test_ingress_exposes_ingest_only_when_opted_in() -> None:
    ingress = rendered_set("ingress-ingest").one("Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "alerts.acme.test"
    assert ingress_routes(ingress, "/api/incidents"), "exposeIngest: POST /api/incidents must be routed"
    for path in PUBLIC_PATHS:
        assert ingress_routes(ingress, path)
    for path in set(PRIVATE_PATHS) - {"/api/incidents"}:
        assert not ingress_routes(ingress, path), f"{path} must stay private even with exposeIngest"


def test_ingress_exposes_heartbeats_only_when_opted_in() -> None:
    ingress = rendered_set("ingress-heartbeats").one("Ingress")
    for path in ("/api/heartbeats", "/api/heartbeats/alertmanager"):
        assert ingress_routes(ingress, path), f"exposeHeartbeats: {path} must be routed"
    for path in set(PRIVATE_PATHS) - {"/api/heartbeats", "/api/heartbeats/alertmanager"}:
        assert not ingress_routes(ingress, path), f"{path} must stay private even with exposeHeartbeats"


# --- Secrets never land in a ConfigMap ---------------------------------------------------------

SECRET_KEYS = ("slackToken", "slackSigningSecret", "ackSecret", "redisPassword")
SECRET_ENV = {
    "slackToken": "SLACK_TOKEN",
    "slackSigningSecret": "SLACK_SIGNING_SECRET",
    "ackSecret": "VERSUS_ACK_SECRET",
    "redisPassword": "REDIS_PASSWORD",
}


def test_secret_values_are_in_the_secret_and_in_no_configmap() -> None:
    values = load_values(SECRETS_FILE)
    secrets = [values["secrets"][k] for k in SECRET_KEYS]
    assert all(s.startswith(("xoxb-TESTONLY", "TESTONLY")) for s in secrets), "secrets.yaml must use test strings"
    # The bundled Redis adds a ConfigMap of its own: check that one too.
    r = render(deep_merge(values, {"redis": {"bundled": {"enabled": True}}}))
    configmaps = r.of_kind("ConfigMap")
    assert len(configmaps) == 2
    for cm in configmaps:
        text = yaml.safe_dump(chartlib.strip_private(cm))
        for secret in secrets:
            for form in (secret, base64.b64encode(secret.encode()).decode()):
                assert form not in text, f"a secret value is in ConfigMap {cm['metadata']['name']}"
    # ...and they did reach the Secret, so the check above looked at values that really flowed.
    data = r.one("Secret")["data"]
    keys = values.get("existingSecretKeys") or chartlib.chart().values["existingSecretKeys"]
    for k in SECRET_KEYS:
        assert base64.b64decode(data[keys[k]]).decode() == values["secrets"][k]


def test_configmap_refers_to_secrets_by_variable() -> None:
    cfg = rendered_set("secrets").versus_config()
    assert cfg["alert"]["slack"]["token"] == "${SLACK_TOKEN}"
    assert cfg["alert"]["slack"]["signing_secret"] == "${SLACK_SIGNING_SECRET}"
    assert cfg["oncall"]["ack_secret"] == "${VERSUS_ACK_SECRET}"
    assert cfg["redis"]["password"] == "${REDIS_PASSWORD}"


def test_secret_literal_in_config_is_refused_without_echoing_it() -> None:
    bad = chartlib.BAD_VALUES_DIR / "secret-literal-in-config.yaml"
    with pytest.raises(helm.HelmError) as info:
        render(load_values(bad))
    assert "xoxb-TESTONLY-literal-in-config" not in str(info.value)


def test_every_config_variable_is_set_in_both_deployments(value_set: tuple[str, dict[str, Any], Rendered]) -> None:
    """Every ${VAR} (without a default) in config.yaml is in the pods' environment, else the program
    refuses to start; and the secret ones come from the Secret (or existingSecret)."""
    name, values, r = value_set
    text = r.named("ConfigMap", chartlib.fullname())["data"]["config.yaml"]
    referenced = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
    assert {"SLACK_TOKEN", "SLACK_SIGNING_SECRET", "VERSUS_ACK_SECRET", "REDIS_PASSWORD"} <= referenced
    merged = chartlib.chart().merge_values(values)
    secret_name = merged["existingSecret"] or chartlib.fullname()
    for component in ("api", "worker"):
        env = {e["name"]: e for e in container(r.deployment(component)).get("env", [])}
        missing = referenced - set(env)
        assert not missing, f"{name}: {component} lacks {missing}"
        for key, var in SECRET_ENV.items():
            ref = env[var]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret_name
            assert ref["key"] == merged["existingSecretKeys"][key]
            assert not ref.get("optional"), "a missing key must stop the pod, not start it without the secret"


def test_existing_secret_is_used_and_no_secret_is_made() -> None:
    r = rendered_set("existing-secret")
    assert r.of_kind("Secret") == []
    redis_env = {e["name"]: e for e in container(r.one("StatefulSet", "redis"))["env"]}
    assert redis_env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "versus-credentials", "key": "redis"}


def test_generated_secrets_when_not_given() -> None:
    data = rendered_set("bundled-redis").one("Secret")["data"]
    assert len(base64.b64decode(data["ack-secret"])) >= 32, "an ack secret is generated when none is given"
    assert len(base64.b64decode(data["redis-password"])) >= 24, "the bundled Redis gets a generated password"
    assert base64.b64decode(rendered_set("default").one("Secret")["data"]["redis-password"]) == b"", (
        "an external Redis without a password gets none"
    )


# --- Ingest authentication and the NetworkPolicy -------------------------------------------------


def test_ingest_auth_and_network_policy_are_off_by_default() -> None:
    r = rendered_set("default")
    assert r.of_kind("NetworkPolicy") == []
    assert "ingest_auth" not in r.versus_config()
    for component in ("api", "worker"):
        names = {e["name"] for e in container(r.deployment(component)).get("env", [])}
        assert "VERSUS_INGEST_TOKEN" not in names


def test_ingest_auth_takes_its_token_from_the_secret() -> None:
    values = load_values(VALUE_SETS["ingest-auth"])
    token = values["secrets"]["ingestToken"]
    r = render(values)
    assert r.versus_config()["ingest_auth"] == {"bearer_tokens": ["${VERSUS_INGEST_TOKEN}"]}
    data = r.one("Secret")["data"]
    assert base64.b64decode(data["ingest-token"]).decode() == token
    for cm in r.of_kind("ConfigMap"):
        assert token not in yaml.safe_dump(chartlib.strip_private(cm))
    for component in ("api", "worker"):
        env = {e["name"]: e for e in container(r.deployment(component))["env"]}
        ref = env["VERSUS_INGEST_TOKEN"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": chartlib.fullname(), "key": "ingest-token"}
    existing = render(deep_merge(load_values(VALUE_SETS["existing-secret"]), {"ingestAuth": {"enabled": True}}))
    env = {e["name"]: e for e in container(existing.deployment("api"))["env"]}
    assert env["VERSUS_INGEST_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "versus-credentials", "key": "ingest-token"}


def test_network_policy_admits_only_the_ingress_controller_and_named_namespaces() -> None:
    r = rendered_set("ingest-auth")
    policy = r.one("NetworkPolicy", "api")
    spec = policy["spec"]
    assert labels_match(spec["podSelector"]["matchLabels"], r.deployment("api")["spec"]["template"]["metadata"]["labels"])
    assert not labels_match(spec["podSelector"]["matchLabels"], r.deployment("worker")["spec"]["template"]["metadata"]["labels"])
    assert spec["policyTypes"] == ["Ingress"]
    [rule] = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 3000}]
    controller, monitoring = rule["from"]
    assert controller["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    assert controller["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}}
    assert monitoring == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}


# --- Deployments: probes, security, termination ------------------------------------------------


def test_deployments_have_probes_on_health_endpoints(value_set: tuple[str, dict[str, Any], Rendered]) -> None:
    name, _, r = value_set
    cfg = r.versus_config()
    expected_port = {"api": cfg["port"], "worker": cfg["worker"]["port"]}
    for component in ("api", "worker"):
        c = container(r.deployment(component))
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports.get("http") == expected_port[component], f"{name}: {component} listens on the configured port"
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            assert probe in c, f"{name}: {component} has no {probe}"
            get = c[probe]["httpGet"]
            assert get["path"] == path, f"{name}: {component} {probe} must GET {path}"
            assert get["port"] in ports or get["port"] in ports.values(), f"{name}: {component} {probe} port"
        assert c["command"] == [f"versus-{component}"]
        assert c["args"] == ["--config", "/etc/versus/config.yaml"]


def test_workloads_run_non_root_with_read_only_root(value_set: tuple[str, dict[str, Any], Rendered]) -> None:
    name, _, r = value_set
    workloads = r.of_kind("Deployment") + r.of_kind("StatefulSet")
    assert len(r.of_kind("Deployment")) == 2
    for w in workloads:
        spec = pod_spec(w)
        pod_sc = spec.get("securityContext", {})
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            who = f"{name}: {w['metadata']['name']}/{c['name']}"
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, f"{who} may run as root"
            assert sc.get("runAsUser", pod_sc.get("runAsUser")) not in (None, 0), f"{who} needs a non-zero uid"
            assert sc.get("readOnlyRootFilesystem") is True, f"{who}: root filesystem is writable"
            assert sc.get("allowPrivilegeEscalation") is False, f"{who}: privilege escalation allowed"
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{who}: capabilities not dropped"
            assert c.get("resources", {}).get("requests"), f"{who}: no resource requests"


def test_pods_get_no_service_link_variables(value_set: tuple[str, dict[str, Any], Rendered]) -> None:
    # A Service named redis would otherwise give every pod REDIS_PORT=tcp://..., a variable Versus Incident's
    # configs reference as the port.
    name, _, r = value_set
    for w in r.of_kind("Deployment") + r.of_kind("StatefulSet"):
        assert pod_spec(w).get("enableServiceLinks") is False, f"{name}: {w['metadata']['name']} gets service links"


def test_worker_termination_grace_exceeds_shutdown_grace(value_set: tuple[str, dict[str, Any], Rendered]) -> None:
    name, _, r = value_set
    grace = r.versus_config()["worker"]["shutdown_grace_seconds"]
    tgps = pod_spec(r.deployment("worker"))["terminationGracePeriodSeconds"]
    assert tgps > grace, f"{name}: terminationGracePeriodSeconds {tgps} <= worker grace {grace}"
    api = pod_spec(r.deployment("api"))
    sleep = container(r.deployment("api")).get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    assert api["terminationGracePeriodSeconds"] > sleep


def test_config_and_templates_are_mounted_where_the_config_points() -> None:
    r = rendered_set("secrets")
    cm = r.named("ConfigMap", chartlib.fullname())
    template_path = Path(r.versus_config()["alert"]["slack"]["template_path"])
    assert template_path.name in cm["data"], "the configured message template is in the ConfigMap"
    assert "extra_message.tmpl" in cm["data"], "templates from values are added"
    assert "{{ commonLabels.alertname }}" in cm["data"]["extra_message.tmpl"], "template text is not processed by Helm"
    assert "AckURL" in cm["data"]["slack_message.tmpl"]
    for component in ("api", "worker"):
        w = r.deployment(component)
        mounts = {m["name"]: m for m in container(w)["volumeMounts"]}
        volumes = {v["name"]: v for v in pod_spec(w)["volumes"]}
        config_volume = next(n for n, v in volumes.items() if v.get("configMap", {}).get("name") == cm["metadata"]["name"])
        assert mounts[config_volume]["mountPath"] == str(template_path.parent) == "/etc/versus"
        assert mounts[config_volume].get("readOnly") is True


def test_config_values_reach_config_yaml() -> None:
    cfg = rendered_set("secrets").versus_config()
    assert cfg["public_host"] == "https://versus.acme.test"
    assert cfg["oncall"]["enable"] is True and cfg["oncall"]["wait_minutes"] == 5
    assert cfg["oncall"]["aws_incident_manager"]["resolve_incident"] is True
    assert cfg["oncall"]["aws_incident_manager"]["impact"] == {"critical": 1, "warning": 3}
    assert cfg["redis"] == {
        "host": "redis.cache.internal", "port": 6380, "password": "${REDIS_PASSWORD}", "db": 2, "tls": True,
        "insecure_skip_verify": False, "key_prefix": "versus:", "retention_hours": 168,
        "compress_payloads": True, "username": "", "ca_cert": "", "cluster": False, "cluster_nodes": [],
        "sentinel": {"master_name": "", "nodes": [], "password": "${REDIS_SENTINEL_PASSWORD:-}"},
        "min_replicas_acked": 1, "replication_timeout_ms": 500, "replication_strict": False,
    }
    assert cfg["alert"]["body_limit_bytes"] == 1048576
    assert cfg["alert"]["max_incidents_per_request"] == 100
    assert cfg["alert"]["body_budget_bytes"] == 4194304


def test_irsa_annotation_and_region() -> None:
    r = rendered_set("secrets")
    sa = r.one("ServiceAccount")
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    for component in ("api", "worker"):
        spec = pod_spec(r.deployment(component))
        assert spec["serviceAccountName"] == sa["metadata"]["name"]
        env = {e["name"]: e.get("value") for e in container(r.deployment(component))["env"]}
        assert env["AWS_REGION"] == "eu-west-1"


# --- The checksum annotation rolls the pods when the configuration changes -----------------------


def checksums(r: Rendered) -> dict[str, str]:
    return {c: r.deployment(c)["spec"]["template"]["metadata"]["annotations"]["checksum/config"] for c in ("api", "worker")}


def test_checksum_is_the_hash_of_the_rendered_configmap() -> None:
    r = rendered_set("default")
    expected = hashlib.sha256(r.configmap_text().encode()).hexdigest()
    assert checksums(r) == {"api": expected, "worker": expected}


@pytest.mark.parametrize(
    "change",
    [
        {"config": {"oncall": {"wait_minutes": 7}}},
        {"config": {"alert": {"slack": {"channel_id": "C999"}}}},
        {"templates": {"slack_message.tmpl": "{{ status }}"}},
        {"redis": {"bundled": {"enabled": True}}},
    ],
    ids=["config-value", "slack-channel", "template-text", "bundled-redis-host"],
)
def test_checksum_changes_when_config_changes(change: dict[str, Any]) -> None:
    before = checksums(render({}))
    after = checksums(render(change))
    for component in ("api", "worker"):
        assert before[component] != after[component], f"{component} pods would not restart on {change}"


def test_checksum_stable_when_config_does_not_change() -> None:
    assert checksums(render({})) == checksums(render({"api": {"replicaCount": 5}, "logLevel": "debug"}))


def test_secret_checksum_changes_with_secret_values() -> None:
    def secret_sum(values: dict[str, Any]) -> str:
        return render(values).deployment("worker")["spec"]["template"]["metadata"]["annotations"]["checksum/secret"]

    assert secret_sum({}) == secret_sum({}), "the secret checksum must not depend on generated values"
    assert secret_sum({}) != secret_sum({"secrets": {"slackToken": "xoxb-TESTONLY-new"}})


# --- Schema and template checks reject bad values with a clear message ----------------------------


@pytest.mark.parametrize("bad_file", chartlib.bad_value_files(), ids=lambda p: p.stem)
def test_bad_values_are_rejected(bad_file: Path) -> None:
    expected = chartlib.expectations(bad_file)
    assert expected, f"{bad_file.name} has no '# expect:' line"
    with pytest.raises(helm.HelmError) as info:
        render(load_values(bad_file))
    message = str(info.value)
    for text in expected:
        assert text in message, f"{bad_file.name}: {text!r} not in error message:\n{message}"
    if isinstance(info.value, helm.HelmValuesError):
        # A schema violation is a lint error too. (Helm lint runs templates in lint mode, where `fail`
        # only logs, so the template checks are asserted through render above.)
        report = chartlib.lint(load_values(bad_file))
        assert report["errors"], f"{bad_file.name}: helm lint did not report an error"


def test_schema_rejects_wrong_types_directly() -> None:
    with pytest.raises(helm.HelmValuesError, match=r"/api/replicaCount.*want integer"):
        chartlib.chart().validate_schema(deep_merge(chartlib.chart().values, {"api": {"replicaCount": "three"}}))
    with pytest.raises(helm.HelmValuesError, match=r"/ingress/enabled.*want boolean"):
        chartlib.chart().validate_schema(deep_merge(chartlib.chart().values, {"ingress": {"enabled": "maybe"}}))
    with pytest.raises(helm.HelmValuesError, match=r"/config/reports/retention_days"):
        chartlib.chart().validate_schema(deep_merge(chartlib.chart().values, {"config": {"reports": {"retention_days": 0}}}))
    with pytest.raises(helm.HelmValuesError, match=r"/config/reports/digest/channel_id"):
        chartlib.chart().validate_schema(deep_merge(chartlib.chart().values, {"config": {"reports": {"digest": {"channel_id": "<!channel>"}}}}))
    chartlib.chart().validate_schema(chartlib.chart().values)


def test_required_value_names_exist() -> None:
    values = chartlib.chart().values
    for dotted in (
        "api.replicaCount", "worker.replicaCount", "ingress.enabled", "existingSecret", "redis.bundled.enabled",
        "serviceMonitor.enabled", "prometheusRule.enabled", "config", "ingress.exposeIngest",
    ):
        node: Any = values
        for part in dotted.split("."):
            assert isinstance(node, dict) and part in node, f"value {dotted} is missing"
            node = node[part]
    assert values["ingress"]["enabled"] is False
    assert values["redis"]["bundled"]["enabled"] is False
    assert values["serviceMonitor"]["enabled"] is False and values["prometheusRule"]["enabled"] is False
    assert values["api"]["autoscaling"]["enabled"] is False and values["worker"]["autoscaling"]["enabled"] is False


# --- Redis ------------------------------------------------------------------------------------


def test_bundled_redis_uses_aof_on_a_volume_claim() -> None:
    r = rendered_set("bundled-redis")
    sts = r.one("StatefulSet", "redis")
    claims = {t["metadata"]["name"]: t for t in sts["spec"]["volumeClaimTemplates"]}
    assert claims, "no volumeClaimTemplates"
    c = container(sts)
    data_mount = next(m for m in c["volumeMounts"] if m["mountPath"] == "/data")
    assert data_mount["name"] in claims, "/data is not on the PersistentVolumeClaim"
    claim = claims[data_mount["name"]]["spec"]
    assert claim["resources"]["requests"]["storage"] == "2Gi"
    assert claim["storageClassName"] == "gp3"
    conf_cm = r.named("ConfigMap", sts["metadata"]["name"])
    conf = conf_cm["data"]["redis.conf"]
    directives = {line.split()[0]: line.split(None, 1)[1] for line in conf.splitlines() if line.strip() and not line.startswith("#")}
    assert directives["appendonly"] == "yes"
    assert directives["appendfsync"] == "always"
    assert directives["dir"] == "/data"
    assert directives["maxmemory-policy"] == "noeviction"
    script = " ".join(c["command"] + c["args"])
    assert re.search(r"exec redis-server /etc/redis/redis\.conf", script), "redis-server must load redis.conf"
    assert "--requirepass" not in script, "the password must not be on the command line"
    conf_mount = next(m for m in c["volumeMounts"] if m["mountPath"] == "/etc/redis")
    conf_volume = next(v for v in pod_spec(sts)["volumes"] if v["name"] == conf_mount["name"])
    assert conf_volume["configMap"]["name"] == conf_cm["metadata"]["name"]
    assert sts["spec"]["replicas"] == 1


def test_config_points_at_bundled_redis() -> None:
    r = rendered_set("bundled-redis")
    cfg = r.versus_config()
    sts = r.one("StatefulSet", "redis")
    services = [s for s in r.of_kind("Service") if s["metadata"]["name"] == cfg["redis"]["host"]]
    assert len(services) == 1, f"config.redis.host {cfg['redis']['host']!r} is no Service of the chart"
    svc = services[0]
    assert labels_match(svc["spec"]["selector"], sts["spec"]["template"]["metadata"]["labels"])
    assert cfg["redis"]["port"] in [p["port"] for p in svc["spec"]["ports"]]
    assert cfg["redis"]["tls"] is False
    assert cfg["redis"]["key_prefix"] == "versus-staging:", "other redis keys are kept"
    assert cfg["redis"]["min_replicas_acked"] == 0, "a single node has no replica to wait for"
    assert sts["spec"]["serviceName"] in [s["metadata"]["name"] for s in r.of_kind("Service")]


def test_redis_is_external_by_default() -> None:
    r = rendered_set("default")
    assert r.of_kind("StatefulSet") == []
    assert r.versus_config()["redis"]["host"] == "redis"
    assert r.versus_config()["redis"]["min_replicas_acked"] == 1, "an external Redis is waited for"


# --- Services, autoscaling, disruption budgets -------------------------------------------------------


def test_services_select_their_own_pods(value_set: tuple[str, dict[str, Any], Rendered]) -> None:
    name, _, r = value_set
    api_labels = r.deployment("api")["spec"]["template"]["metadata"]["labels"]
    worker_labels = r.deployment("worker")["spec"]["template"]["metadata"]["labels"]
    api_svc = r.one("Service", "api")
    assert labels_match(api_svc["spec"]["selector"], api_labels)
    assert not labels_match(api_svc["spec"]["selector"], worker_labels), f"{name}: API Service also selects workers"
    assert api_svc["spec"]["ports"][0]["targetPort"] == "http"
    for component, labels in (("api", api_labels), ("worker", worker_labels)):
        dep = r.deployment(component)
        assert labels_match(dep["spec"]["selector"]["matchLabels"], labels)
        annotations = dep["spec"]["template"]["metadata"]["annotations"]
        assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/config"]), f"{name}: {component} checksum"


def test_hpa_targets_deployments_and_replicas_are_left_to_it() -> None:
    r = rendered_set("hpa")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in r.of_kind("HorizontalPodAutoscaler")}
    for component, (lo, hi, cpu) in {"api": (3, 9, 60), "worker": (2, 20, 70)}.items():
        dep = r.deployment(component)
        hpa = hpas[dep["metadata"]["name"]]
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (lo, hi)
        metric = hpa["spec"]["metrics"][0]["resource"]
        assert metric["name"] == "cpu" and metric["target"]["averageUtilization"] == cpu
        assert "replicas" not in dep["spec"], f"{component}: replicas would fight the HPA"
    default = rendered_set("default")
    assert default.of_kind("HorizontalPodAutoscaler") == []
    assert default.deployment("api")["spec"]["replicas"] == 2
    assert default.deployment("worker")["spec"]["replicas"] == 2


def test_pdbs_select_their_deployment(value_set: tuple[str, dict[str, Any], Rendered]) -> None:
    name, _, r = value_set
    pdbs = r.of_kind("PodDisruptionBudget")
    assert len(pdbs) == 2
    for component in ("api", "worker"):
        labels = r.deployment(component)["spec"]["template"]["metadata"]["labels"]
        matching = [p for p in pdbs if labels_match(p["spec"]["selector"]["matchLabels"], labels)]
        assert len(matching) == 1, f"{name}: {component} is covered by {len(matching)} PDBs"
        spec = matching[0]["spec"]
        assert ("minAvailable" in spec) != ("maxUnavailable" in spec)
    if name == "hpa":
        assert r.one("PodDisruptionBudget", "worker")["spec"] == {
            "minAvailable": 1,
            "selector": r.one("PodDisruptionBudget", "worker")["spec"]["selector"],
        }


# --- Prometheus Operator resources ----------------------------------------------------------------


def test_monitoring_is_off_by_default() -> None:
    r = rendered_set("default")
    assert r.of_kind("ServiceMonitor") == [] and r.of_kind("PrometheusRule") == []


def test_servicemonitor_scrapes_api_and_worker_only() -> None:
    r = rendered_set("monitoring")
    sm = r.one("ServiceMonitor")
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    endpoint = sm["spec"]["endpoints"][0]
    assert endpoint["path"] == "/metrics" and endpoint["interval"] == "15s"

    def selected(svc: dict[str, Any]) -> bool:
        labels = svc["metadata"]["labels"]
        if not labels_match(sm["spec"]["selector"]["matchLabels"], labels):
            return False
        for expr in sm["spec"]["selector"].get("matchExpressions", []):
            assert expr["operator"] == "In"
            if labels.get(expr["key"]) not in expr["values"]:
                return False
        return True

    r_all = render(deep_merge(load_values(VALUE_SETS["monitoring"]), {"redis": {"bundled": {"enabled": True}}}))
    chosen = {s["metadata"]["labels"]["app.kubernetes.io/component"] for s in r_all.of_kind("Service") if selected(s)}
    assert chosen == {"api", "worker"}, f"ServiceMonitor selects {chosen}"
    jobs = set()
    for svc in r_all.of_kind("Service"):
        if selected(svc):
            assert endpoint["port"] in [p["name"] for p in svc["spec"]["ports"]]
            jobs.add(svc["metadata"]["labels"][sm["spec"]["jobLabel"]])
    # The rules name the scrape jobs; the ServiceMonitor must produce exactly those names.
    assert jobs == {"versus-api", "versus-worker"}
    rules_text = (CHART_DIR / "files" / "versus-rules.yml").read_text()
    for matcher in re.findall(r'job=~?"([^"]+)"', rules_text):
        assert any(re.fullmatch(matcher, j) for j in jobs), f"the rules select job {matcher!r}; the chart scrapes {jobs}"


def rule_file() -> dict[str, Any]:
    return yaml.safe_load((CHART_DIR / "files" / "versus-rules.yml").read_text())


def test_prometheusrule_carries_the_rule_file() -> None:
    pr = rendered_set("monitoring").one("PrometheusRule")
    groups = pr["spec"]["groups"]
    base = "https://github.com/example/versus/blob/main"
    expected = copy.deepcopy(rule_file()["groups"])
    for rule in (r for g in expected for r in g["rules"] if "alert" in r):
        rule["annotations"]["runbook_url"] = f"{base}/{rule['annotations']['runbook_url']}"
    assert groups[: len(expected)] == expected, "files/versus-rules.yml is included, runbook links under runbookBaseUrl"
    assert groups[-1]["name"] == "versus-extra", "additionalGroups are appended"
    for group in groups:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert ("alert" in rule) != ("record" in rule), f"{group['name']}: rule needs alert or record"
            assert isinstance(rule["expr"], str) and rule["expr"].strip()
    descriptions = [r.get("annotations", {}).get("description", "") for g in groups for r in g["rules"]]
    assert any("{{ $value" in d for d in descriptions), "Prometheus templates survive Helm untouched"


def test_rule_file_matches_deploy_copy_and_covers_the_metrics() -> None:
    source = REPO_DIR / "deploy" / "prometheus" / "versus-rules.yml"
    chart_copy = CHART_DIR / "files" / "versus-rules.yml"
    if source.exists():
        assert chart_copy.read_text() == source.read_text(), (
            "charts/versus/files/versus-rules.yml differs from deploy/prometheus/versus-rules.yml; run: "
            "cp deploy/prometheus/versus-rules.yml charts/versus/files/versus-rules.yml"
        )
    exprs = " ".join(r["expr"] for g in rule_file()["groups"] for r in g["rules"])
    for metric in (
        'versus_escalations_total{outcome="failed"}',
        "versus_dead_letter_jobs",
        "versus_queue_depth",
        "versus_redis_up",
        "versus_escalation_lateness_seconds_bucket",
    ):
        assert metric in exprs, f"no rule on {metric}"


def test_default_message_template_matches_the_repository_one() -> None:
    source = REPO_DIR / "config" / "slack_message.tmpl"
    chart_copy = CHART_DIR / "files" / "slack_message.tmpl"
    if source.exists():
        assert chart_copy.read_text() == source.read_text(), (
            "charts/versus/files/slack_message.tmpl differs from config/slack_message.tmpl; run: "
            "cp config/slack_message.tmpl charts/versus/files/slack_message.tmpl"
        )
    cm = rendered_set("default").named("ConfigMap", chartlib.fullname())
    assert cm["data"]["slack_message.tmpl"] == chart_copy.read_text()


# --- NOTES.txt ------------------------------------------------------------------------------------


def test_notes_print_receiver_url_and_ack_base() -> None:
    r = rendered_set("ingress")
    svc = r.one("Service", "api")
    port = svc["spec"]["ports"][0]["port"]
    receiver = f"http://{svc['metadata']['name']}.{NAMESPACE}.svc:{port}/api/incidents"
    assert receiver in r.notes
    assert "https://versus.acme.test/api/incidents/ack/" in r.notes
    assert "https://versus.acme.test/api/slack/interactions" in r.notes
    assert "WARNING" not in r.notes
    assert "WARNING: config.public_host" in rendered_set("default").notes


def test_runbook_links_are_repository_relative_without_a_base_url() -> None:
    values = load_values(VALUE_SETS["monitoring"])
    values["prometheusRule"]["runbookBaseUrl"] = ""
    groups = render(values).one("PrometheusRule")["spec"]["groups"]
    links = [r["annotations"]["runbook_url"] for g in groups for r in g["rules"] if "runbook_url" in r.get("annotations", {})]
    assert links and all(link.startswith("docs/runbooks.md#") for link in links), links
    runbooks = (REPO_DIR / "docs" / "runbooks.md").read_text()
    for link in links:
        anchor = link.split("#", 1)[1]
        assert any(line.strip().lower() == f"## {anchor}" for line in runbooks.splitlines()), f"no section for {link}"


# --- Highly available Redis -----------------------------------------------------------------------


def test_private_ca_is_mounted_where_config_redis_ca_cert_points() -> None:
    r = rendered_set("cluster-elasticache")
    cfg = r.versus_config()
    assert cfg["redis"]["cluster"] is True and cfg["redis"]["tls"] is True
    assert cfg["redis"]["username"] == "versus"
    path = cfg["redis"]["ca_cert"]
    for component in ("api", "worker"):
        pod = pod_spec(r.deployment(component))
        mount = next(m for m in container(r.deployment(component))["volumeMounts"] if m["name"] == "redis-ca")
        assert path == f"{mount['mountPath']}/ca.pem"
        volume = next(v for v in pod["volumes"] if v["name"] == "redis-ca")
        assert volume["secret"]["secretName"] == "versus-redis-ca"
        assert volume["secret"]["items"] == [{"key": "ca.pem", "path": "ca.pem"}]
    default = rendered_set("default")
    assert not default.versus_config()["redis"]["ca_cert"], "no CA bundle unless one is given"
    for component in ("api", "worker"):
        assert all(v["name"] != "redis-ca" for v in pod_spec(default.deployment(component))["volumes"])


def test_sentinel_password_comes_from_the_secret_and_may_be_absent() -> None:
    r = rendered_set("sentinel")
    cfg = r.versus_config()
    assert cfg["redis"]["sentinel"]["master_name"] == "versus"
    assert cfg["redis"]["sentinel"]["password"] == "${REDIS_SENTINEL_PASSWORD:-}"
    data = r.one("Secret")["data"]
    assert base64.b64decode(data["redis-sentinel-password"]).decode() == "TESTONLY-sentinel-password"
    for component in ("api", "worker"):
        env = {e["name"]: e for e in container(r.deployment(component))["env"]}
        ref = env["REDIS_SENTINEL_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert ref["key"] == "redis-sentinel-password"
        assert ref.get("optional") is True, "an existing Secret made before this key still starts the pods"
