#!/usr/bin/env bash
# Checks the monitoring files shipped with Versus:
#   1. `promtool check rules` on deploy/prometheus/versus-rules.yml;
#   2. `promtool test rules` on deploy/prometheus/versus-rules.test.yml;
#   3. that every rule is tested: each rule in turn is replaced by one that never yields anything, and the
#      test cases that name it must then fail; each alert also needs a case where it fires and one where it
#      stays quiet;
#   4. that deploy/grafana/versus-dashboard.json is valid JSON, every query on it parses (promtool) and uses only
#      the metrics Versus exposes, and every metric is shown somewhere;
#   5. that the rules use only those metrics (plus `up` and their own recorded series), and that
#      docs/metrics.md mentions every metric, recorded series and alert.
#
# Needs bash, python3 (standard library only) and promtool. When promtool is missing it installs Debian's
# `prometheus` package (as root, or through sudo), without letting the package start a Prometheus server.
#
# Usage: scripts/check-rules.sh          (from anywhere; exits non-zero when any check fails)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RULES=deploy/prometheus/versus-rules.yml
TESTS=deploy/prometheus/versus-rules.test.yml
DASHBOARD=deploy/grafana/versus-dashboard.json
DOCS=docs/metrics.md

log() { printf '==> %s\n' "$*"; }

install_promtool() {
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "promtool is missing, and installing it needs root or sudo" >&2
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "promtool is missing and apt-get is not available: install promtool (Prometheus 2.x) yourself" >&2
        return 1
    fi

    # Debian's postinst starts the service through invoke-rc.d, which asks /usr/sbin/policy-rc.d first;
    # exit code 101 means "do not start". Put one in place unless the machine already has its own.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# added by versus scripts/check-rules.sh while installing prometheus\nexit 101\n' |
            "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        added_policy=1
        # shellcheck disable=SC2064  # expand now: sudo is local to this function
        trap "${sudo[*]} rm -f $policy" EXIT INT TERM
    fi

    log "installing Debian's prometheus package (for promtool)"
    local status=0
    {
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
                apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    } || status=$?

    if [ "$added_policy" = 1 ]; then
        "${sudo[@]}" rm -f "$policy"
        trap - EXIT INT TERM
    fi
    # Belt and braces: if a server was started anyway (an existing policy allowed it, or systemd), stop it and
    # keep it from starting at boot. Only promtool is wanted.
    "${sudo[@]}" service prometheus stop >/dev/null 2>&1 || true
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
    return "$status"
}

if ! command -v promtool >/dev/null 2>&1; then
    install_promtool
fi
log "$(promtool --version 2>&1 | head -n 1)"

log "promtool check rules $RULES"
promtool check rules "$RULES"

log "promtool test rules $TESTS"
promtool test rules "$TESTS"

log "python3 -m json.tool $DASHBOARD"
python3 -m json.tool "$DASHBOARD" >/dev/null

log "metric names, rule coverage, docs"
python3 - "$RULES" "$TESTS" "$DASHBOARD" "$DOCS" <<'PY'
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

rules_path, tests_path, dashboard_path, docs_path = sys.argv[1:5]

# What the binaries expose (see docs/metrics.md). Histograms are scraped as _bucket/_sum/_count.
COUNTERS = {
    "versus_incidents_received_total",
    "versus_ingest_rejected_total",
    "versus_ingest_unknown_parameters_total",
    "versus_incident_deduplicated_total",
    "versus_acks_total",
    "versus_jobs_total",
    "versus_notifications_sent_total",
    "versus_notifications_failed_total",
    "versus_slack_rate_limited_total",
    "versus_slack_rate_limit_wait_seconds_total",
    "versus_escalations_total",
    "versus_aws_api_errors_total",
    "versus_redis_unreplicated_writes_total",
    "versus_heartbeat_missed_total",
}
GAUGES = {
    "versus_queue_depth",
    "versus_queue_scheduled",
    "versus_queue_inflight",
    "versus_dead_letter_jobs",
    "versus_heartbeat_last_beat_timestamp_seconds",
    "versus_redis_up",
    "versus_build_info",
}
HISTOGRAMS = {
    "versus_ingest_request_duration_seconds",
    "versus_escalation_lateness_seconds",
    "versus_time_to_acknowledge_seconds",
    "versus_time_to_resolve_seconds",
}
SERIES = COUNTERS | GAUGES | {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}

FUNCTIONS = {
    "abs", "absent", "absent_over_time", "avg", "avg_over_time", "bottomk", "ceil", "changes", "clamp",
    "clamp_max", "clamp_min", "count", "count_over_time", "count_values", "day_of_month", "day_of_week",
    "delta", "deriv", "exp", "floor", "group", "histogram_quantile", "idelta", "increase", "irate",
    "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "max", "max_over_time", "min",
    "min_over_time", "predict_linear", "quantile", "quantile_over_time", "rate", "resets", "round",
    "scalar", "sgn", "sort", "sort_desc", "sqrt", "stddev", "stdvar", "sum", "sum_over_time", "time",
    "timestamp", "topk", "vector",
}
KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan", "by", "without", "on", "ignoring",
            "group_left", "group_right"}

errors = []


def series_in(expr):
    """Metric names a PromQL expression reads (Grafana variables allowed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)  # string literals
    e = re.sub(r"#[^\n]*", "", e)                                             # comments
    e = re.sub(r"\$\{[^}]*\}|\$\w+", "", e)                                   # Grafana variables
    e = re.sub(r"\{[^{}]*\}", "{}", e)                                        # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                                          # ranges, subqueries
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if word.lower() in KEYWORDS:
            continue
        if call:
            if word not in FUNCTIONS:
                errors.append(f"unknown PromQL function {word!r} in: {expr.strip()}")
        else:
            names.add(word)
    return names


# ---------------------------------------------------------------- rules (line by line; see the file's header)
rule_lines = open(rules_path).read().split("\n")
rules = []  # {kind, name, start, end, expr_start, expr_end, expr}
start_re = re.compile(r"^\s*- (alert|record):\s*(\S+)\s*$")
for i, line in enumerate(rule_lines):
    m = start_re.match(line)
    if m:
        rules.append({"kind": m.group(1), "name": m.group(2), "start": i})
    elif rules and re.match(r"^\s*- name:", line):
        rules[-1].setdefault("end", i)
for n, r in enumerate(rules):
    r.setdefault("end", rules[n + 1]["start"] if n + 1 < len(rules) else len(rule_lines))
    body = rule_lines[r["start"]:r["end"]]
    for j, line in enumerate(body):
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if not m:
            continue
        if m.group(2) not in ("|", "|-"):
            errors.append(f"{r['name']}: write expr as a literal block (`expr: |`)")
            break
        indent, k = len(m.group(1)), j + 1
        while k < len(body) and (not body[k].strip() or len(body[k]) - len(body[k].lstrip()) > indent):
            k += 1
        while k > j + 1 and not body[k - 1].strip():
            k -= 1
        r["expr_start"], r["expr_end"] = r["start"] + j, r["start"] + k
        r["expr"] = "\n".join(body[j + 1:k])
        break
    else:
        errors.append(f"{r['name']}: no expr found")
    if r["kind"] == "alert":
        text = "\n".join(body)
        if not re.search(r"^\s*severity:\s*(critical|warning|info)\s*$", text, re.M):
            errors.append(f"{r['name']}: needs a severity label (critical, warning or info)")
        for key in ("summary", "description", "runbook_url"):
            if not re.search(rf"^\s*{key}:", text, re.M):
                errors.append(f"{r['name']}: needs a {key} annotation")

alerts = [r["name"] for r in rules if r["kind"] == "alert"]
records = [r["name"] for r in rules if r["kind"] == "record"]
if not alerts:
    errors.append(f"{rules_path}: no alerts found")
for name in {n for n in alerts + records if (alerts + records).count(n) > 1}:
    errors.append(f"{name}: defined twice")
for r in rules:
    for name in series_in(r.get("expr", "")) - SERIES - set(records) - {"up"}:
        errors.append(f"rule {r['name']}: unknown metric {name!r}")

# ---------------------------------------------------------------- test cases per alert
firing, quiet, current = set(), set(), None
for line in open(tests_path):
    if re.match(r"^\s*- eval_time:", line):
        current = None
    m = re.match(r"^\s*alertname:\s*(\S+)\s*$", line)
    if m:
        current = m.group(1)
    m = re.match(r"^\s*exp_alerts:\s*(\[\])?\s*$", line)
    if m:
        if current is None:
            errors.append(f"{tests_path}: exp_alerts without an alertname before it")
        else:
            (quiet if m.group(1) else firing).add(current)
        current = None
for name in alerts:
    if name not in firing:
        errors.append(f"alert {name}: no test case where it fires")
    if name not in quiet:
        errors.append(f"alert {name}: no test case where it stays quiet")
for name in (firing | quiet) - set(alerts):
    errors.append(f"{tests_path}: tests an alert that does not exist: {name}")

# ---------------------------------------------------------------- dashboard
dashboard = json.load(open(dashboard_path))
used = set()


def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


ids = [p.get("id") for p in panels(dashboard.get("panels", []))]
if len(ids) != len(set(ids)):
    errors.append(f"{dashboard_path}: panel ids are not unique")
for p in panels(dashboard.get("panels", [])):
    if p.get("type") in ("row", "text"):
        continue
    title = p.get("title", "?")
    if not p.get("targets"):
        errors.append(f"panel {title!r}: no queries")
    for t in p.get("targets", []):
        expr = t.get("expr", "")
        if not expr.strip():
            errors.append(f"panel {title!r}: a target without expr")
            continue
        names = series_in(expr)
        used |= names
        for name in sorted(names - SERIES):
            errors.append(f"panel {title!r}: unknown metric {name!r} in: {expr}")
        ds = t.get("datasource") or p.get("datasource") or {}
        if ds.get("uid") != "${DS_PROMETHEUS}":
            errors.append(f"panel {title!r}: datasource must be ${{DS_PROMETHEUS}}, not {ds!r}")
for v in dashboard.get("templating", {}).get("list", []):
    if v.get("type") != "query":
        continue
    q = v.get("query")
    q = q.get("query", "") if isinstance(q, dict) else (q or "")
    m = re.match(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", q)
    names = series_in(m.group(1) if m else q)
    used |= names
    for name in sorted(names - SERIES):
        errors.append(f"variable {v.get('name')!r}: unknown metric {name!r}")
# Each query must parse: hand them to promtool as recording rules, Grafana's variables replaced by sample values.
GRAFANA_VARS = {"__rate_interval": "5m", "__interval": "5m", "__range": "6h", "window": "1d", "job": ".*"}
queries = [t["expr"] for p in panels(dashboard.get("panels", [])) for t in p.get("targets", []) if t.get("expr")]
sampled = []
for q in queries:
    q = re.sub(r"\$(\w+)|\$\{(\w+)\}", lambda m: GRAFANA_VARS.get(m.group(1) or m.group(2), m.group(0)), q)
    if "$" in q:
        errors.append(f"{dashboard_path}: a query uses a variable this check does not know: {q}")
    sampled.append(q)
with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="versus-dashboard-queries-") as f:
    json.dump({"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:query_{i}", "expr": q}
                                                          for i, q in enumerate(sampled)]}]}, f)
    f.flush()
    run = subprocess.run(["promtool", "check", "rules", f.name], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0:
        errors.append(f"{dashboard_path}: promtool rejects a query:\n{run.stdout}")

shown = {n for n in SERIES if n in used}
for metric in sorted(COUNTERS | GAUGES | HISTOGRAMS):
    if not ({metric} | {metric + s for s in ("_bucket", "_sum", "_count")}) & shown:
        errors.append(f"{dashboard_path}: no panel shows {metric}")

# ---------------------------------------------------------------- docs
docs = open(docs_path).read()
for name in sorted(COUNTERS | GAUGES | HISTOGRAMS | set(records) | set(alerts)):
    if not re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", docs):
        errors.append(f"{docs_path}: does not mention {name}")

if errors:
    print("\n".join(f"FAIL: {e}" for e in errors), file=sys.stderr)
    sys.exit(1)
print(f"ok: {len(alerts)} alerts, {len(records)} recording rules; {len(queries)} dashboard queries parse and read "
      f"{len(shown)} known series")

# ---------------------------------------------------------------- every rule is tested
# For each rule: keep only the test cases that name it, replace its expr by one that yields nothing, and
# expect those tests to fail.
tests_text = open(tests_path).read()
head, sep, body = tests_text.partition("\ntests:\n")
first = re.search(r"^(\s*)- name:", body, re.M)
if not sep or not first:
    sys.exit(f"FAIL: {tests_path}: expected a top-level `tests:` list of `- name:` cases")
cases = [c for c in re.split(rf"^(?={first.group(1)}- name:)", body, flags=re.M) if c.strip()]


def still_passes(r):
    """True when the tests that name rule r still pass with r disabled."""
    named = [c for c in cases if re.search(rf"(?<![\w:]){re.escape(r['name'])}(?![\w:])", c)]
    if not named:
        return "no test names it"
    d = tempfile.mkdtemp(prefix="rule-", dir=tmp)
    line = rule_lines[r["expr_start"]]
    mutated = rule_lines[: r["expr_start"]] + [line[: len(line) - len(line.lstrip())] + "expr: vector(0) > 1"]
    with open(os.path.join(d, os.path.basename(rules_path)), "w") as f:
        f.write("\n".join(mutated + rule_lines[r["expr_end"]:]))
    with open(os.path.join(d, os.path.basename(tests_path)), "w") as f:
        f.write(head + sep + "".join(named))
    run = subprocess.run(["promtool", "test", "rules", os.path.join(d, os.path.basename(tests_path))],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0 and not re.search(r"^\s*(exp|got):", run.stdout, re.M):
        return f"the rules with it disabled did not load:\n{run.stdout}"
    return "its tests still pass with it disabled" if run.returncode == 0 else None


tmp = tempfile.mkdtemp(prefix="versus-rules-")
try:
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        problems = list(pool.map(still_passes, rules))
finally:
    shutil.rmtree(tmp)
bad = [f"FAIL: {r['kind']} {r['name']}: {p}" for r, p in zip(rules, problems) if p]
if bad:
    sys.exit("\n".join(bad))
print(f"ok: disabling any one of the {len(rules)} rules makes the tests that name it fail")
PY

log "all checks passed"
