"""Proves the chart checks can fail: breaks the chart (and the container files) one way at a time in a
scratch copy of the repository and expects the checks to catch every break.

    python charts/tests/mutation_check.py [-j JOBS]

Each mutation replaces one exact piece of text (which must occur exactly once, so a mutation cannot
silently stop applying when the chart changes) and names the check that must then fail: "pytest"
(test_chart.py, test_container.py) or "render" (render_check.py: lint and Kubernetes schemas).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COPY = ["charts", "deploy/prometheus", "config", "Dockerfile", ".dockerignore", "docker-compose.yml",
        "Cargo.toml", "api/Cargo.toml", "worker/Cargo.toml"]
T = "charts/versus/templates/"


@dataclass
class Mutation:
    name: str
    path: str
    old: str | None = None
    new: str | None = None
    edit: Callable[[str], str] | None = None
    check: str = "pytest"


def schema_edit(fn: Callable[[dict], None]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        schema = json.loads(text)
        fn(schema)
        return json.dumps(schema, indent=2)
    return apply


def _loose_replicas(s: dict) -> None:
    s["properties"]["api"]["properties"]["replicaCount"]["type"] = ["integer", "string"]


def _allow_unknown(s: dict) -> None:
    s["additionalProperties"] = True


def _loose_ingress_enabled(s: dict) -> None:
    s["properties"]["ingress"]["properties"]["enabled"] = {}


MUTATIONS = [
    # Ingress exposure
    Mutation("ingress-broad-prefix", T + "ingress.yaml", '(dict "path" "/api/ack/" "pathType" "Prefix")', '(dict "path" "/api" "pathType" "Prefix")'),
    Mutation("ingress-ingest-always", T + "ingress.yaml", "{{- if .Values.ingress.exposeIngest }}", "{{- if true }}"),
    Mutation("ingress-slack-prefix", T + "ingress.yaml", '"/api/slack/interactions" "pathType" "Exact"', '"/api/slack/interactions" "pathType" "Prefix"'),
    Mutation("ingress-wrong-backend", T + "ingress.yaml", 'name: {{ include "versus.fullname" $ }}', 'name: {{ include "versus.worker.fullname" $ }}'),
    # Secrets
    Mutation("secret-in-configmap", T + "_helpers.tpl", '{{- toYaml $cfg -}}', '{{- $_ := set $cfg "leak" .Values.secrets.slackToken -}}\n{{- toYaml $cfg -}}'),
    Mutation("secret-ref-optional", T + "_helpers.tpl", "      key: {{ .Values.existingSecretKeys.slackToken }}", "      key: {{ .Values.existingSecretKeys.slackToken }}\n      optional: true"),
    Mutation("secret-env-renamed", T + "_helpers.tpl", "- name: REDIS_PASSWORD\n", "- name: REDIS_PASS\n"),
    Mutation("existing-secret-ignored", T + "_helpers.tpl", '{{- default (include "versus.fullname" .) .Values.existingSecret -}}', '{{- include "versus.fullname" . -}}'),
    Mutation("ack-secret-not-generated", T + "secret.yaml", "randAlphaNum 48", "randAlphaNum 0"),
    Mutation("secret-literal-allowed", T + "_helpers.tpl", "{{- if and $value (not (regexMatch", "{{- if and false $value (not (regexMatch"),
    Mutation("header-has-variable", T + "configmap.yaml", "Secret values are not stored here:", "Secret values (${VAR}) are not stored here:"),
    # Deployments
    Mutation("worker-readiness-on-healthz", T + "worker-deployment.yaml", "path: /readyz", "path: /healthz"),
    Mutation("api-no-liveness", T + "api-deployment.yaml", "          livenessProbe:\n", "          startupProbe:\n"),
    Mutation("worker-service-links", T + "worker-deployment.yaml", "enableServiceLinks: false", "enableServiceLinks: true"),
    Mutation("writable-root-fs", "charts/versus/values.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"),
    Mutation("run-as-root", "charts/versus/values.yaml", "  runAsUser: 10001", "  runAsUser: 0"),
    Mutation("caps-kept", "charts/versus/values.yaml", 'drop: ["ALL"]', 'drop: ["NET_RAW"]'),
    Mutation("worker-tgps-fixed-short", T + "worker-deployment.yaml", "terminationGracePeriodSeconds: {{ .Values.worker.terminationGracePeriodSeconds }}", "terminationGracePeriodSeconds: 25"),
    Mutation("grace-check-removed", T + "_helpers.tpl", "{{- if le (int .Values.worker.terminationGracePeriodSeconds) $grace -}}", "{{- if false -}}"),
    Mutation("worker-wrong-port", T + "worker-deployment.yaml", 'containerPort: {{ include "versus.workerPort" . }}', "containerPort: 3000"),
    Mutation("config-mounted-elsewhere", T + "_helpers.tpl", '{{- define "versus.configDir" -}}/etc/versus{{- end -}}', '{{- define "versus.configDir" -}}/etc/versus-config{{- end -}}'),
    Mutation("checksum-static", T + "_helpers.tpl", 'checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}', 'checksum/config: {{ .Values.config | toJson | sha256sum }}'),
    Mutation("checksum-secret-random", T + "_helpers.tpl", 'checksum/secret: {{ dict', 'checksum/secret: {{ randAlphaNum 8 }}{{ dict'),
    Mutation("api-service-selects-workers", T + "api-service.yaml", "    app.kubernetes.io/component: api\n  ports:", "  ports:"),
    Mutation("hpa-with-replicas", T + "api-deployment.yaml", "{{- if not .Values.api.autoscaling.enabled }}", "{{- if true }}"),
    Mutation("pdb-wrong-selector", T + "pdb.yaml", "      app.kubernetes.io/component: {{ $component }}\n", "      app.kubernetes.io/component: api\n"),
    # Schema
    Mutation("schema-replicas-any-type", "charts/versus/values.schema.json", edit=schema_edit(_loose_replicas)),
    Mutation("schema-unknown-keys", "charts/versus/values.schema.json", edit=schema_edit(_allow_unknown)),
    Mutation("schema-ingress-enabled-any", "charts/versus/values.schema.json", edit=schema_edit(_loose_ingress_enabled)),
    # Redis
    Mutation("redis-no-aof", T + "redis.yaml", "appendonly yes", "appendonly no"),
    Mutation("redis-data-not-on-pvc", T + "redis.yaml", "            - name: data\n              mountPath: /data", "            - name: config\n              mountPath: /data"),
    Mutation("redis-password-on-cmdline", T + "redis.yaml", "exec redis-server /etc/redis/redis.conf - <<EOF", 'exec redis-server /etc/redis/redis.conf --requirepass "$pw" - <<EOF'),
    Mutation("config-not-pointing-at-bundled", T + "_helpers.tpl", '{{- $_ := set $redis "host" (include "versus.redis.fullname" .) -}}', '{{- $_ := set $redis "host" "redis" -}}'),
    # Monitoring, NOTES
    Mutation("servicemonitor-selects-redis", T + "servicemonitor.yaml", 'values: ["api", "worker"]', 'values: ["api", "worker", "redis"]'),
    Mutation("scrape-job-misnamed", T + "worker-service.yaml", "versus-job: versus-worker", "versus-job: worker"),
    Mutation("rules-file-dropped", T + "prometheusrule.yaml", "concat (default (list) $file.groups)", "concat (list)"),
    Mutation("notes-wrong-receiver", T + "NOTES.txt", '"http://%s.%s.svc:%v/api/incidents"', '"http://%s.%s:%v/api/incidents"'),
    # Kubernetes schema validation (render_check.py)
    Mutation("k8s-unknown-field", T + "api-deployment.yaml", "  revisionHistoryLimit: 5", "  revisionHistoryLimits: 5", check="render"),
    Mutation("k8s-wrong-type", T + "hpa.yaml", "minReplicas: {{ $v.autoscaling.minReplicas }}", 'minReplicas: "{{ $v.autoscaling.minReplicas }}"', check="render"),
    # Container files
    Mutation("image-runs-as-root", "Dockerfile", "USER 10001:10001", "USER root"),
    Mutation("image-without-worker", "Dockerfile", "/out/versus-worker /usr/local/bin/", "/usr/local/bin/"),
    Mutation("compose-redis-no-aof", "docker-compose.yml", '      - --appendonly\n      - "yes"', '      - --appendonly\n      - "no"'),
    Mutation("compose-short-grace", "docker-compose.yml", "stop_grace_period: 40s", "stop_grace_period: 10s"),
]


def make_copy(target: Path) -> None:
    for rel in COPY:
        src = REPO / rel
        if not src.exists():
            continue
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            shutil.copy2(src, dst)


def run_check(root: Path, check: str) -> tuple[int, str]:
    if check == "pytest":
        cmd = [sys.executable, "-m", "pytest", str(root / "charts/tests"), "-x", "-q", "-p", "no:cacheprovider"]
    else:
        cmd = [sys.executable, str(root / "charts/tests/render_check.py")]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return proc.returncode, proc.stdout + proc.stderr


def caught_by(output: str, check: str) -> str:
    for line in output.splitlines():
        if check == "pytest" and line.startswith("FAILED "):
            return line.split()[1].split("::", 1)[-1]
        if check == "render" and line.strip().startswith("FAIL "):
            return line.strip()[5:][:110]
    return "?"


def apply(root: Path, m: Mutation) -> None:
    path = root / m.path
    text = path.read_text()
    if m.edit is not None:
        new_text = m.edit(text)
        if new_text == text:
            raise SystemExit(f"mutation {m.name}: the edit changed nothing in {m.path}")
    else:
        count = text.count(m.old)
        if count != 1:
            raise SystemExit(f"mutation {m.name}: expected the text once in {m.path}, found it {count} times: {m.old!r}")
        new_text = text.replace(m.old, m.new)
    path.write_text(new_text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="versus-chart-mutations-") as tmp:
        base = Path(tmp) / "baseline"
        make_copy(base)
        for check in ("pytest", "render"):
            code, out = run_check(base, check)
            if code != 0:
                print(out)
                print(f"mutation_check: the unmodified copy fails {check}; fix that first")
                return 1

        def one(m: Mutation) -> tuple[Mutation, int, str]:
            root = Path(tmp) / m.name
            make_copy(root)
            apply(root, m)
            code, out = run_check(root, m.check)
            return m, code, out

        survived = []
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for m, code, out in pool.map(one, MUTATIONS):
                # pytest exits 1 when a test failed; 2-5 (collection error, no tests, ...) do not count.
                if code == 1:
                    print(f"  caught  {m.name:32} by {caught_by(out, m.check)}")
                else:
                    survived.append(m.name)
                    print(f"  MISSED  {m.name:32} ({m.check} exited {code})")
                    if code not in (0, 1):
                        print(out[-2000:])
    elapsed = time.monotonic() - started
    print(f"mutation_check: {len(MUTATIONS) - len(survived)} of {len(MUTATIONS)} mutations caught in {elapsed:.0f}s")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
