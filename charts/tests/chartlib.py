"""Render the Versus chart with the real Helm engine (helm-python-sdk binds Helm's Go SDK).

Shared by render_check.py (lint + Kubernetes schema validation of every value set) and the pytest
assertions in test_chart.py. Nothing here contacts a cluster or the network.
"""

from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

TESTS_DIR = Path(__file__).resolve().parent
CHART_DIR = TESTS_DIR.parent / "versus"
REPO_DIR = CHART_DIR.parent.parent
VALUES_DIR = TESTS_DIR / "values"
BAD_VALUES_DIR = VALUES_DIR / "bad"

RELEASE = "oncall"
NAMESPACE = "alerting"

# Kubernetes versions whose JSON schemas every rendered manifest must satisfy: the oldest the chart
# supports (Chart.yaml kubeVersion) and the newest kubernetes-validate ships.
KUBE_VERSIONS = ("1.30.0", "1.37.0")

# Custom resources kubernetes-validate has no schema for; they are checked structurally in
# test_chart.py instead. Any other kind without a schema is an error.
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


def value_sets() -> dict[str, Path | None]:
    """Name -> values file of every value set the chart is checked with ("default": no file)."""
    sets: dict[str, Path | None] = {"default": None}
    for path in sorted(VALUES_DIR.glob("*.yaml")):
        sets[path.stem] = path
    return sets


def bad_value_files() -> list[Path]:
    return sorted(BAD_VALUES_DIR.glob("*.yaml"))


def load_values(path: Path | None) -> dict[str, Any]:
    """Parse a values file with Helm's own parser (the `-f` semantics)."""
    if path is None:
        return {}
    return helm.values_from_yaml(path.read_text())


def expectations(path: Path) -> list[str]:
    """The `# expect: TEXT` lines of a bad-values file: text the error message must contain."""
    return [
        line.split(":", 1)[1].strip()
        for line in path.read_text().splitlines()
        if line.startswith("# expect:")
    ]


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Values merge as Helm does it for several -f files (maps merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@functools.lru_cache(maxsize=1)
def chart() -> helm.Chart:
    return helm.Chart.load(str(CHART_DIR))


@dataclass
class Rendered:
    """One render: the raw output per template file and the parsed Kubernetes objects."""

    files: dict[str, str]
    objects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def notes(self) -> str:
        return next((text for name, text in self.files.items() if name.endswith("/NOTES.txt")), "")

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o.get("kind") == kind]

    def one(self, kind: str, component: str | None = None) -> dict[str, Any]:
        found = [
            o
            for o in self.of_kind(kind)
            if component is None
            or o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
        ]
        assert len(found) == 1, f"expected exactly one {kind} (component={component}), found {len(found)}"
        return found[0]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected exactly one {kind} named {name}, found {len(found)}"
        return found[0]

    def deployment(self, component: str) -> dict[str, Any]:
        return self.one("Deployment", component)

    def configmap_text(self) -> str:
        return self.files[f"{CHART_DIR.name}/templates/configmap.yaml"]

    def versus_config(self) -> dict[str, Any]:
        """config.yaml as the program will read it (before ${VAR} substitution)."""
        cm = self.named("ConfigMap", fullname())
        return yaml.safe_load(cm["data"]["config.yaml"])


def fullname() -> str:
    """The chart's fullname for RELEASE (templates/_helpers.tpl, versus.fullname)."""
    return RELEASE if "versus" in RELEASE else f"{RELEASE}-versus"


def render(values: dict[str, Any] | None = None) -> Rendered:
    """Render as `helm install` would (schema validation included); raises helm.HelmError on failure."""
    files = chart().render(values or {}, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects: list[dict[str, Any]] = []
    for name, text in sorted(files.items()):
        if name.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            assert isinstance(doc, dict), f"{name}: a rendered document is not a mapping: {doc!r}"
            doc.setdefault("metadata", {})
            doc["__template__"] = name
            objects.append(doc)
    return Rendered(files=files, objects=objects)


def strip_private(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("__")}


def lint(values: dict[str, Any] | None = None, kube_version: str | None = None) -> dict[str, Any]:
    """`helm lint --strict` (warnings count as failures)."""
    return helm.lint(
        str(CHART_DIR),
        values or {},
        strict=True,
        namespace=NAMESPACE,
        kube_version=None if kube_version is None else f"v{kube_version}",
    )


def engine_versions() -> str:
    return f"helm SDK {helm.helm_sdk_version()} (helm-python-sdk, libhelm_c {helm.helm_c_version()})"


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")
