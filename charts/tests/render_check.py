"""Lint and render the chart with every value set, and validate each rendered manifest against the
Kubernetes JSON schemas (kubernetes-validate, strict: unknown fields are errors).

    python charts/tests/render_check.py [--out DIR]

Prints one line per check and exits non-zero if any failed. The assertions about what the chart
renders are in test_chart.py (pytest).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import kubernetes_validate
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chartlib  # noqa: E402

SEVERITY = {0: "unknown", 1: "info", 2: "WARNING", 3: "ERROR"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write each value set's rendered manifests here")
    args = parser.parse_args()

    print(f"engine: {chartlib.engine_versions()}; kubernetes-validate {kubernetes_validate.__version__}")
    print(f"chart: {chartlib.CHART_DIR.relative_to(chartlib.REPO_DIR)}; release {chartlib.RELEASE!r} in namespace {chartlib.NAMESPACE!r}")
    failures: list[str] = []

    def fail(message: str) -> None:
        failures.append(message)
        print(f"  FAIL {message}")

    for set_name, path in chartlib.value_sets().items():
        source = "(chart defaults)" if path is None else str(path.relative_to(chartlib.REPO_DIR))
        print(f"value set {set_name}: {source}")
        values = chartlib.load_values(path)

        # helm lint --strict, with the default Kubernetes version and with the oldest supported one.
        for kube_version in (None, chartlib.KUBE_VERSIONS[0]):
            report = chartlib.lint(values, kube_version=kube_version)
            label = f"lint --strict (kube {kube_version or 'default'})"
            problems = [m for m in report["messages"] if m["severity"] >= 2] + [
                {"severity": 3, "path": "", "error": e} for e in report["errors"]
            ]
            if problems:
                for m in problems:
                    fail(f"{set_name}: {label}: {SEVERITY.get(m['severity'])} {m['path']}: {m['error'].strip()}")
            else:
                infos = len([m for m in report["messages"] if m["severity"] == 1])
                print(f"  ok   {label}: no warnings or errors ({infos} info)")

        try:
            rendered = chartlib.render(values)
        except Exception as exc:  # noqa: BLE001 - any engine error is a failed check
            fail(f"{set_name}: render: {type(exc).__name__}: {exc}")
            continue
        kinds = sorted({o["kind"] for o in rendered.objects})
        print(f"  ok   render: {len(rendered.objects)} objects ({', '.join(kinds)})")

        if args.out:
            target = args.out / set_name
            target.mkdir(parents=True, exist_ok=True)
            for template, text in rendered.files.items():
                (target / Path(template).name).write_text(text)

        for kube_version in chartlib.KUBE_VERSIONS:
            validated, skipped = 0, []
            for obj in rendered.objects:
                manifest = chartlib.strip_private(obj)
                ident = f"{obj['kind']}/{obj['metadata'].get('name')} ({obj['__template__']})"
                try:
                    kubernetes_validate.validate(manifest, kube_version, strict=True)
                    validated += 1
                except kubernetes_validate.utils.SchemaNotFoundError:
                    if (obj.get("apiVersion"), obj.get("kind")) in chartlib.CRD_KINDS:
                        skipped.append(obj["kind"])
                    else:
                        fail(f"{set_name}: no Kubernetes {kube_version} schema for {obj.get('apiVersion')} {ident}")
                except kubernetes_validate.ValidationError as exc:
                    where = "/".join(str(p) for p in exc.path) or "(root)"
                    fail(f"{set_name}: {ident} is invalid for Kubernetes {kube_version} at {where}: {exc.message}")
            note = f"; skipped CRD kinds without a schema: {', '.join(sorted(skipped))}" if skipped else ""
            print(f"  ok   kubernetes {kube_version} schemas (strict): {validated} objects valid{note}")

    bad = chartlib.bad_value_files()
    print(f"bad value files: {len(bad)} under {chartlib.BAD_VALUES_DIR.relative_to(chartlib.REPO_DIR)} (asserted by test_chart.py)")
    if failures:
        print(f"render_check: {len(failures)} check(s) failed")
        return 1
    print("render_check: all value sets lint, render and validate")
    return 0


if __name__ == "__main__":
    # yaml is imported so a missing dependency fails here, before any check runs.
    assert yaml
    sys.exit(main())
