//! `/metrics` and `/readyz` of the real binaries. A scripted scenario (alerts, an ack, an
//! escalation, a resolve, a Slack 429, a failed page) runs against one API and one worker, and the
//! Prometheus text of both is parsed before and after to check what moved, by exact deltas where the
//! scenario makes them deterministic. The scrapes are also held against the metric table of
//! `docs/metrics.md`: every documented metric is served by the binary the table names, with the
//! documented type, a help text and only the documented label values, and nothing undocumented is served.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::json;
use versus_tests::alertmanager_webhook::Notification;
use versus_tests::alerts::{ack, created, freeform};
use versus_tests::slack_messages::wait_post;
use versus_tests::{wait_until, Failure, SsmFailure, Topology};

/// One parsed scrape: samples by `name{label="value",...}` (labels sorted), plus the `# TYPE` and
/// `# HELP` lines.
#[derive(Debug, Default)]
struct Scrape {
    samples: BTreeMap<String, f64>,
    /// Per sample key: its name and labels, for label checks.
    series: Vec<(String, BTreeMap<String, String>)>,
    types: HashMap<String, String>,
    helps: BTreeSet<String>,
    text: String,
}

fn series_key(name: &str, labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// Parses the Prometheus text exposition format (what metrics-exporter-prometheus writes).
fn parse(text: &str) -> Scrape {
    let mut scrape = Scrape {
        text: text.to_string(),
        ..Scrape::default()
    };
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
            scrape.types.insert(name.to_string(), kind.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split_whitespace().next().unwrap();
            let help = rest[name.len()..].trim();
            assert!(!help.is_empty(), "empty help text: {line}");
            scrape.helps.insert(name.to_string());
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line.find(['{', ' ']).expect("a sample line has a value");
        let name = &line[..name_end];
        let (labels, rest) = match line[name_end..].strip_prefix('{') {
            Some(body) => parse_labels(body, line),
            None => (BTreeMap::new(), &line[name_end..]),
        };
        let value = rest.split_whitespace().next().expect("a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other
                .parse()
                .unwrap_or_else(|e| panic!("bad value in {line:?}: {e}")),
        };
        let key = series_key(name, &labels);
        assert!(
            scrape.samples.insert(key.clone(), value).is_none(),
            "{key} twice"
        );
        scrape.series.push((name.to_string(), labels));
    }
    scrape
}

/// `a="x",b="y\"z"} 1` -> the labels and what follows the `}`.
fn parse_labels<'a>(body: &'a str, line: &str) -> (BTreeMap<String, String>, &'a str) {
    let mut labels = BTreeMap::new();
    let mut rest = body;
    loop {
        rest = rest.trim_start_matches([',', ' ']);
        if let Some(after) = rest.strip_prefix('}') {
            return (labels, after);
        }
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad label set in {line:?}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, other)) => value.push(other),
                    None => panic!("bad escape in {line:?}"),
                },
                Some((i, '"')) => break i,
                Some((_, other)) => value.push(other),
                None => panic!("unterminated label value in {line:?}"),
            }
        };
        labels.insert(key.trim().to_string(), value);
        rest = &after[end + 1..];
    }
}

impl Scrape {
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples.get(&series_key(name, &labels)).copied()
    }

    /// The value, 0 when the series is absent.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }
}

async fn scrape(topo: &Topology, base: &str) -> Scrape {
    let response = topo
        .http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {base}/metrics: {e}"));
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    parse(&response.text().await.unwrap())
}

/// Scrapes `base` until `ready` holds; panics with the last scrape after `timeout`.
async fn scrape_until(
    topo: &Topology,
    base: &str,
    timeout: Duration,
    what: &str,
    ready: impl Fn(&Scrape) -> bool,
) -> Scrape {
    let awaited = || format!("{what}; worker log:\n{}", topo.worker_log(0));
    wait_until(timeout, awaited, async || {
        let scraped = scrape(topo, base).await;
        if ready(&scraped) {
            Ok(scraped)
        } else {
            Err(format!("a scrape of {base}:\n{}", scraped.text))
        }
    })
    .await
}

/// A series (name and labels) and how much it must have moved.
type Delta<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);

/// Checks `after - before` of each `(name, labels, delta)`.
fn assert_deltas(before: &Scrape, after: &Scrape, expected: &[Delta]) {
    let mut wrong = Vec::new();
    for (name, labels, delta) in expected {
        let moved = after.value(name, labels) - before.value(name, labels);
        if (moved - delta).abs() > 1e-9 {
            wrong.push(format!(
                "{name}{labels:?}: moved by {moved}, expected {delta}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\nafter:\n{}",
        wrong.join("\n"),
        after.text
    );
}

/// The metrics the table documents: Versus's own and the standard process metrics.
const DOCUMENTED_PREFIXES: [&str; 2] = ["versus_", "process_"];

fn has_documented_prefix(name: &str) -> bool {
    DOCUMENTED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// A row of the metric table in docs/metrics.md.
#[derive(Debug)]
struct DocMetric {
    name: String,
    kind: String,
    /// Label name -> the values the table lists (empty when it lists none).
    labels: BTreeMap<String, BTreeSet<String>>,
    from: Vec<String>,
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn documented_metrics() -> Vec<DocMetric> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/metrics.md");
    let docs = std::fs::read_to_string(path).expect("docs/metrics.md");
    let section = docs
        .split("\n## Metrics\n")
        .nth(1)
        .expect("a Metrics section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut rows = Vec::new();
    for line in section
        .lines()
        .filter(|l| l.strip_prefix("| `").is_some_and(has_documented_prefix))
    {
        let cells: Vec<String> = line
            .replace("\\|", "\u{1}")
            .split('|')
            .map(|c| c.trim().replace('\u{1}', "|"))
            .collect();
        // cells[0] is the empty text before the first '|'.
        let name = backticked(&cells[1]).remove(0);
        let mut labels = BTreeMap::new();
        for part in cells[3].split(';').filter(|p| !p.trim().is_empty()) {
            let (label, values) = match part.split_once('=') {
                Some((label, values)) => (backticked(label).remove(0), backticked(values)),
                None => (backticked(part).remove(0), Vec::new()),
            };
            labels.insert(label, values.into_iter().collect());
        }
        rows.push(DocMetric {
            name,
            kind: cells[2].clone(),
            labels,
            from: cells[4].split(',').map(|s| s.trim().to_string()).collect(),
        });
    }
    assert!(rows.len() >= 20, "the table has {} rows", rows.len());
    rows
}

/// The scrape of `binary` against the documented table.
fn assert_matches_docs(binary: &str, scrape: &Scrape, docs: &[DocMetric]) {
    let mut problems = Vec::new();
    for metric in docs.iter().filter(|m| m.from.iter().any(|f| f == binary)) {
        match scrape.types.get(&metric.name) {
            Some(kind) if *kind == metric.kind => {}
            Some(kind) => problems.push(format!(
                "{}: served as a {kind}, documented as a {}",
                metric.name, metric.kind
            )),
            None => problems.push(format!("{}: documented but not served", metric.name)),
        }
        if !scrape.helps.contains(&metric.name) {
            problems.push(format!("{}: no # HELP", metric.name));
        }
    }
    for name in scrape.types.keys().filter(|n| has_documented_prefix(n)) {
        if !docs
            .iter()
            .any(|m| &m.name == name && m.from.iter().any(|f| f == binary))
        {
            problems.push(format!(
                "{name}: served by {binary} but not documented for it"
            ));
        }
    }
    for (name, labels) in &scrape.series {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|b| scrape.types.get(*b).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        let Some(metric) = docs.iter().find(|m| m.name == base) else {
            continue;
        };
        for (label, value) in labels {
            if label == "le" && base != name {
                continue;
            }
            match metric.labels.get(label) {
                None => problems.push(format!("{name}: undocumented label {label}={value:?}")),
                Some(allowed) if !allowed.is_empty() && !allowed.contains(value) => problems.push(
                    format!("{name}: {label}={value:?} is not among {allowed:?}"),
                ),
                Some(_) => {}
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{binary} /metrics does not match docs/metrics.md:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn a_scripted_scenario_moves_the_counters_and_histograms() {
    // A heartbeat too, beaten once below, so that its metrics are served and held against the table.
    let dir = tempfile::tempdir().unwrap();
    let config = versus_tests::config_file::shipped_config_with(
        dir.path(),
        "heartbeats:\n  - { name: scenario, interval_minutes: 60 }\n",
    );
    let topo = Topology::builder()
        .oncall_initialized_only()
        .config(config)
        .start()
        .await;
    let (api, worker) = (topo.api_url(0), topo.worker_url(0));
    let api_before = scrape(&topo, &api).await;
    // The queue gauges come with the worker's first maintenance tick.
    let worker_before = scrape_until(
        &topo,
        &worker,
        Duration::from_secs(5),
        "queue gauges",
        |s| {
            s.get("versus_queue_depth", &[("queue", "escalate")])
                .is_some()
        },
    )
    .await;

    // Labelled counters and histograms are there, at 0, before anything happened.
    for (source, status) in [
        ("alertmanager", "firing"),
        ("alertmanager", "resolved"),
        ("generic", "firing"),
        ("generic", "resolved"),
    ] {
        assert_eq!(
            api_before.get(
                "versus_incidents_received_total",
                &[("source", source), ("status", status)]
            ),
            Some(0.0)
        );
    }
    assert_eq!(
        api_before.get(
            "versus_ingest_rejected_total",
            &[("reason", "redis_unavailable")]
        ),
        Some(0.0)
    );
    assert_eq!(
        api_before.get("versus_time_to_acknowledge_seconds_count", &[]),
        Some(0.0)
    );
    assert_eq!(api_before.get("versus_redis_up", &[]), Some(1.0));
    for outcome in ["started", "suppressed_ack", "suppressed_resolve", "failed"] {
        assert_eq!(
            worker_before.get("versus_escalations_total", &[("outcome", outcome)]),
            Some(0.0),
            "{}",
            worker_before.text
        );
    }
    assert_eq!(
        worker_before.get("versus_escalation_lateness_seconds_count", &[]),
        Some(0.0)
    );
    assert_eq!(
        worker_before.get(
            "versus_notifications_failed_total",
            &[("channel", "slack"), ("reason", "rate_limited")]
        ),
        Some(0.0)
    );

    // A: Slack answers its first post with 429 (Retry-After: 1); it is posted on the retry and
    // acknowledged through its link before its 6 s wait runs out.
    topo.slack.fail_next(
        1,
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    );
    let a = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=0.1",
        &freeform("metrics-acked"),
    )
    .await;
    assert!(
        wait_post(&topo.slack, "metrics-acked", Duration::from_secs(10))
            .await
            .is_some(),
        "A was never posted after the 429"
    );
    let ack_url = a["ack_url"].as_str().expect("an ack_url");
    assert_eq!(ack(&topo, ack_url).await, "acked");

    // B: the sample Alertmanager webhook, not acknowledged: paged after 3 s.
    created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=0.05",
        &Notification::sample().to_json(),
    )
    .await;
    // C: resolved before its 6 s wait runs out.
    let c = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=0.1&dedup_key=metrics-resolved",
        &freeform("metrics-resolved"),
    )
    .await;
    let mut resolved = freeform("metrics-resolved");
    resolved["status"] = json!("resolved");
    let answer = created(&topo, "dedup_key=metrics-resolved", &resolved).await;
    assert_eq!(answer["id"], c["id"], "{answer}");
    assert_eq!(answer["outcome"], "resolved", "{answer}");
    // A body that is not JSON.
    let bad = topo
        .post_raw("", Some("application/json"), "{\"not\": json")
        .await;
    assert_eq!(bad.status(), 400);

    scrape_until(
        &topo,
        &worker,
        Duration::from_secs(20),
        "the three escalations settle",
        |s| {
            ["started", "suppressed_ack", "suppressed_resolve"]
                .iter()
                .all(|o| s.value("versus_escalations_total", &[("outcome", o)]) >= 1.0)
                && s.value(
                    "versus_notifications_sent_total",
                    &[("channel", "slack_update")],
                ) - worker_before.value(
                    "versus_notifications_sent_total",
                    &[("channel", "slack_update")],
                ) >= 3.0
        },
    )
    .await;

    // D: StartIncident is refused (AccessDeniedException): nobody paged, the job dead-lettered.
    topo.ssm.fail_next(1, SsmFailure::AccessDenied);
    created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=0.05",
        &freeform("metrics-page-fails"),
    )
    .await;
    scrape_until(
        &topo,
        &worker,
        Duration::from_secs(20),
        "the failed page is counted, dead-lettered and said in Slack",
        |s| {
            s.value("versus_escalations_total", &[("outcome", "failed")]) >= 1.0
                && s.value("versus_dead_letter_jobs", &[("queue", "escalate")]) >= 1.0
                && s.value(
                    "versus_notifications_sent_total",
                    &[("channel", "slack_update")],
                ) - worker_before.value(
                    "versus_notifications_sent_total",
                    &[("channel", "slack_update")],
                ) >= 4.0
                && ["notify", "escalate", "slack_update"].iter().all(|q| {
                    s.value("versus_queue_depth", &[("queue", q)]) == 0.0
                        && s.value("versus_queue_scheduled", &[("queue", q)]) == 0.0
                        && s.value("versus_queue_inflight", &[("queue", q)]) == 0.0
                })
        },
    )
    .await;
    let beat = topo
        .http()
        .post(format!("{api}/api/heartbeats/scenario"))
        .send()
        .await
        .unwrap();
    assert_eq!(beat.status(), 202);
    let api_after = scrape(&topo, &api).await;
    let worker_after = scrape(&topo, &worker).await;

    assert_deltas(
        &api_before,
        &api_after,
        &[
            (
                "versus_incidents_received_total",
                &[("source", "generic"), ("status", "firing")],
                3.0,
            ),
            (
                "versus_incidents_received_total",
                &[("source", "generic"), ("status", "resolved")],
                1.0,
            ),
            (
                "versus_incidents_received_total",
                &[("source", "alertmanager"), ("status", "firing")],
                1.0,
            ),
            (
                "versus_incidents_received_total",
                &[("source", "alertmanager"), ("status", "resolved")],
                0.0,
            ),
            ("versus_ingest_request_duration_seconds_count", &[], 6.0),
            (
                "versus_ingest_rejected_total",
                &[("reason", "invalid_json")],
                1.0,
            ),
            (
                "versus_ingest_rejected_total",
                &[("reason", "redis_unavailable")],
                0.0,
            ),
            ("versus_incident_deduplicated_total", &[], 0.0),
            (
                "versus_acks_total",
                &[("via", "link"), ("result", "acked")],
                1.0,
            ),
            ("versus_time_to_acknowledge_seconds_count", &[], 1.0),
            (
                "versus_time_to_acknowledge_seconds_bucket",
                &[("le", "30")],
                1.0,
            ),
            ("versus_time_to_resolve_seconds_count", &[], 1.0),
            (
                "versus_time_to_resolve_seconds_bucket",
                &[("le", "30")],
                1.0,
            ),
            ("versus_slack_callbacks_rejected_total", &[], 0.0),
        ],
    );
    let tta = api_after.value("versus_time_to_acknowledge_seconds_sum", &[]);
    assert!(tta > 0.0 && tta < 30.0, "time to acknowledge {tta}");

    assert_deltas(
        &worker_before,
        &worker_after,
        &[
            (
                "versus_notifications_sent_total",
                &[("channel", "slack")],
                4.0,
            ),
            (
                "versus_notifications_sent_total",
                &[("channel", "slack_update")],
                4.0,
            ),
            (
                "versus_notifications_failed_total",
                &[("channel", "slack"), ("reason", "rate_limited")],
                1.0,
            ),
            ("versus_slack_rate_limited_total", &[], 1.0),
            ("versus_slack_rate_limit_wait_seconds_total", &[], 1.0),
            ("versus_notify_latency_seconds_count", &[], 4.0),
            ("versus_escalations_total", &[("outcome", "started")], 1.0),
            (
                "versus_escalations_total",
                &[("outcome", "suppressed_ack")],
                1.0,
            ),
            (
                "versus_escalations_total",
                &[("outcome", "suppressed_resolve")],
                1.0,
            ),
            ("versus_escalations_total", &[("outcome", "failed")], 1.0),
            ("versus_escalation_lateness_seconds_count", &[], 1.0),
            (
                "versus_escalation_lateness_seconds_bucket",
                &[("le", "5")],
                1.0,
            ),
            (
                "versus_aws_api_errors_total",
                &[
                    ("operation", "start_incident"),
                    ("code", "AccessDeniedException"),
                ],
                1.0,
            ),
            (
                "versus_jobs_total",
                &[("queue", "notify"), ("outcome", "done")],
                4.0,
            ),
            (
                "versus_jobs_total",
                &[("queue", "notify"), ("outcome", "retry")],
                1.0,
            ),
            (
                "versus_jobs_total",
                &[("queue", "escalate"), ("outcome", "done")],
                3.0,
            ),
            (
                "versus_jobs_total",
                &[("queue", "escalate"), ("outcome", "dead")],
                1.0,
            ),
            (
                "versus_jobs_total",
                &[("queue", "slack_update"), ("outcome", "done")],
                4.0,
            ),
            ("versus_dead_letter_jobs", &[("queue", "escalate")], 1.0),
            ("versus_template_errors_total", &[], 0.0),
        ],
    );
    assert_eq!(worker_after.get("versus_redis_up", &[]), Some(1.0));
    assert_eq!(
        worker_after.get(
            "versus_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );

    let docs = documented_metrics();
    assert_matches_docs("api", &api_after, &docs);
    assert_matches_docs("worker", &worker_after, &docs);
}

async fn status_of(topo: &Topology, url: &str) -> u16 {
    match topo
        .http()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
    {
        Ok(response) => response.status().as_u16(),
        Err(error) => panic!("GET {url}: {error}"),
    }
}

/// Polls `url` until it answers `want`; returns how long that took.
async fn wait_status(topo: &Topology, url: &str, want: u16, timeout: Duration) -> Duration {
    let started = Instant::now();
    wait_until(timeout, format!("{url} to answer {want}"), async || {
        let status = status_of(topo, url).await;
        if status == want {
            Ok(())
        } else {
            Err(format!("{url} answers {status}"))
        }
    })
    .await;
    started.elapsed()
}

#[tokio::test]
async fn readyz_follows_redis_on_both_binaries() {
    let mut topo = Topology::start().await;
    let urls = [topo.api_url(0), topo.worker_url(0)];
    for base in &urls {
        assert_eq!(status_of(&topo, &format!("{base}/healthz")).await, 200);
        assert_eq!(status_of(&topo, &format!("{base}/readyz")).await, 200);
    }

    topo.redis.kill();
    for base in &urls {
        let took = wait_status(
            &topo,
            &format!("{base}/readyz"),
            503,
            Duration::from_secs(3),
        )
        .await;
        println!("{base}/readyz answered 503 {took:?} after Redis was killed");
        // Alive all the same: a restart would not bring Redis back.
        assert_eq!(status_of(&topo, &format!("{base}/healthz")).await, 200);
        assert_eq!(
            scrape(&topo, base).await.get("versus_redis_up", &[]),
            Some(0.0),
            "{base}"
        );
    }

    topo.redis.start_again();
    for base in &urls {
        wait_status(
            &topo,
            &format!("{base}/readyz"),
            200,
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(
            scrape(&topo, base).await.get("versus_redis_up", &[]),
            Some(1.0),
            "{base}"
        );
    }
}
