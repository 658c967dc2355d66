//! The faults, injected while the load runs: worker crashes (SIGKILL) at random moments, a Redis crash
//! (SIGKILL, then a start from its AOF) and a Redis freeze (SIGSTOP), during which the APIs and workers are
//! probed, Slack answering `429` and `500` for stretches, AWS throttling for a stretch and answering too late
//! twice, and an API and a worker stopped with SIGTERM and started again.

use std::time::{Duration, Instant};

use serde_json::Value;
use versus_tests::topology::Role;
use versus_tests::{Failure, SsmFailure, Topology};

use super::load::Record;
use super::scenario::{alertmanager, marker, Kind, Planned, Rng};

/// How long Redis stays down.
const OUTAGE: Duration = Duration::from_secs(5);
/// How long the APIs, their readiness and the workers may take to come back after Redis does.
const RECOVERY: Duration = Duration::from_secs(20);
/// Probe incidents get indices from here on, far above the load's.
const PROBE_BASE: usize = 900_000;

/// What the fault injector did and saw.
#[derive(Debug, Default)]
pub struct FaultReport {
    pub worker_kills: usize,
    pub redis_restarts: usize,
    pub api_restarts: usize,
    /// Answers during the outage: (503 with Retry-After, not-ready /readyz).
    pub outage_503s: usize,
    pub outage_not_ready: usize,
    /// Seconds from Redis being back to: both APIs storing, every /readyz ready, a worker posting.
    pub recovery_s: (f64, f64, f64),
    /// Broken contracts seen while injecting faults; each fails the run.
    pub violations: Vec<String>,
    /// Incidents the probes got accepted (they are checked like the load's).
    pub probes: Vec<Record>,
    pub timeline: Vec<String>,
}

/// Runs the fault schedule against the topology while the load (started at `start`) runs.
pub async fn run(topo: &mut Topology, seed: u64, start: Instant) -> FaultReport {
    let mut rng = Rng::new(seed ^ 0xFA17);
    let mut report = FaultReport::default();
    let r = &mut report;

    kill_workers(topo, r, &mut rng, start, 5.0, false).await;

    sleep_until(start, 9.0).await;
    topo.slack.set_mode(Failure::RateLimited {
        retry_after_secs: 1,
    });
    note(r, start, "Slack answers 429 Retry-After: 1");
    sleep_until(start, 13.0).await;
    topo.slack.clear_mode();
    note(r, start, "Slack healthy");

    kill_workers(topo, r, &mut rng, start, 15.0, false).await;

    sleep_until(start, 20.0).await;
    note(r, start, "SIGTERM API 1");
    match topo.terminate(Role::Api, 1, Duration::from_secs(30)).await {
        Some(status) if status.success() => {}
        other => r
            .violations
            .push(format!("API 1 did not exit 0 after SIGTERM: {other:?}")),
    }
    topo.start_again(Role::Api, 1).await;
    r.api_restarts += 1;
    note(r, start, "API 1 started again");

    sleep_until(start, 24.0).await;
    redis_outage(topo, r, start).await;

    // AWS opens the incident but answers too late: the worker times out (15 s) and retries with the same
    // clientToken, which must return that incident, not open a second one.
    sleep_until(start, 31.0).await;
    topo.ssm
        .fail_next(2, SsmFailure::Delay(Duration::from_secs(16)));
    note(r, start, "AWS answers the next 2 calls after 16 s");

    sleep_until(start, 34.0).await;
    topo.slack.set_mode(Failure::ServerError);
    note(r, start, "Slack answers 500");
    sleep_until(start, 38.0).await;
    topo.ssm.set_mode(SsmFailure::Throttling);
    note(r, start, "AWS answers ThrottlingException");
    sleep_until(start, 39.0).await;
    topo.slack.clear_mode();
    note(r, start, "Slack healthy");
    sleep_until(start, 40.0).await;
    redis_freeze(topo, r, start).await;
    sleep_until(start, 44.0).await;
    topo.ssm.clear_mode();
    note(r, start, "AWS healthy");

    kill_workers(topo, r, &mut rng, start, 47.0, false).await;
    kill_workers(topo, r, &mut rng, start, 52.0, true).await;

    // A deploy: SIGTERM to a worker under load finishes its jobs and exits 0.
    sleep_until(start, 56.0).await;
    let which = rng.below(topo.count(Role::Worker));
    note(r, start, &format!("SIGTERM worker {which}"));
    match topo
        .terminate(Role::Worker, which, Duration::from_secs(20))
        .await
    {
        Some(status) if status.success() => {}
        other => r.violations.push(format!(
            "worker {which} did not exit 0 after SIGTERM: {other:?}"
        )),
    }
    topo.start_again(Role::Worker, which).await;
    note(r, start, &format!("worker {which} started again"));
    report
}

/// Freezes Redis (SIGSTOP) for a few seconds: connections stay open but nothing answers. The APIs must
/// still answer within their Redis budget (`503`, not a hang) and every `/readyz` must say not ready.
async fn redis_freeze(topo: &mut Topology, report: &mut FaultReport, start: Instant) {
    let Some(pid) = topo.redis.pid() else { return };
    signal(pid, "-STOP");
    note(report, start, "SIGSTOP Redis (frozen)");
    let frozen_at = Instant::now();
    let mut next_probe = PROBE_BASE + 50_000;
    while frozen_at.elapsed() < Duration::from_secs(4) {
        for api in 0..topo.count(Role::Api) {
            next_probe += 1;
            let asked = Instant::now();
            let answer = post_once(topo, api, &alertmanager(&marker(next_probe), false, 0)).await;
            let took = asked.elapsed();
            match answer {
                Ok((503, true, _)) if took < Duration::from_secs(5) => report.outage_503s += 1,
                other => report.violations.push(format!(
                    "API {api} answered {other:?} after {took:?} while Redis was frozen"
                )),
            }
        }
        for url in endpoints(topo) {
            match ready(topo, url.clone()).await {
                Ok(503) => report.outage_not_ready += 1,
                other => report.violations.push(format!(
                    "{url}/readyz answered {other:?} while Redis was frozen"
                )),
            }
        }
    }
    signal(pid, "-CONT");
    note(report, start, "SIGCONT Redis");
}

fn signal(pid: u32, which: &str) {
    let status = std::process::Command::new("kill")
        .arg(which)
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {which} {pid} failed");
}

fn note(report: &mut FaultReport, start: Instant, what: &str) {
    report
        .timeline
        .push(format!("{:5.1}s {what}", start.elapsed().as_secs_f64()));
}

/// SIGKILLs one worker chosen at random (or both) about `moment` s into the run, give or take 2 s, and
/// starts it again after 0.3-2 s.
async fn kill_workers(
    topo: &mut Topology,
    report: &mut FaultReport,
    rng: &mut Rng,
    start: Instant,
    moment: f64,
    both: bool,
) {
    let when = moment + rng.range(-2.0, 2.0);
    let gap = rng.range(0.3, 2.0);
    let victims: Vec<usize> = if both {
        (0..topo.count(Role::Worker)).collect()
    } else {
        vec![rng.below(topo.count(Role::Worker))]
    };
    sleep_until(start, when).await;
    for &i in &victims {
        topo.kill(Role::Worker, i).await;
        report.worker_kills += 1;
    }
    note(report, start, &format!("SIGKILL worker(s) {victims:?}"));
    tokio::time::sleep(Duration::from_secs_f64(gap)).await;
    for &i in &victims {
        topo.start_again(Role::Worker, i).await;
    }
    note(
        report,
        start,
        &format!("worker(s) {victims:?} started again"),
    );
}

async fn sleep_until(start: Instant, seconds: f64) {
    let when = start + Duration::from_secs_f64(seconds.max(0.0));
    tokio::time::sleep_until(when.into()).await;
}

fn probe(idx: usize) -> Planned {
    Planned {
        idx,
        marker: marker(idx),
        kind: Kind::Plain,
        api: idx % 2,
        resend: false,
        resend_identical: false,
        follow_up_ms: 0,
    }
}

/// One probe request, no retry: (status, has Retry-After, answer).
async fn post_once(
    topo: &Topology,
    api: usize,
    body: &Value,
) -> Result<(u16, bool, Value), String> {
    let response = topo
        .http()
        .post(format!("{}/api/incidents", topo.api_url(api)))
        .timeout(Duration::from_secs(8))
        .json(body)
        .send()
        .await
        .map_err(|e| format!("{e}"))?;
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key("retry-after");
    let text = response.text().await.unwrap_or_default();
    Ok((
        status,
        retry_after,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

async fn ready(topo: &Topology, url: String) -> Result<u16, String> {
    topo.http()
        .get(format!("{url}/readyz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("{e}"))
}

fn endpoints(topo: &Topology) -> Vec<String> {
    (0..topo.count(Role::Api))
        .map(|i| topo.api_url(i))
        .chain((0..topo.count(Role::Worker)).map(|i| topo.worker_url(i)))
        .collect()
}

/// Kills Redis, checks that the APIs answer `503` + Retry-After (never `201`, never `500`) and that every
/// `/readyz` says not ready while it is down; starts it from its AOF and checks that the APIs store again,
/// every `/readyz` is ready again and the workers post again, each by itself within [`RECOVERY`].
async fn redis_outage(topo: &mut Topology, report: &mut FaultReport, start: Instant) {
    let mut next_probe = PROBE_BASE + report.probes.len() * 100;
    topo.redis.kill();
    report.redis_restarts += 1;
    note(report, start, "SIGKILL Redis");
    let down_at = Instant::now();
    while down_at.elapsed() < OUTAGE {
        for api in 0..topo.count(Role::Api) {
            next_probe += 1;
            let body = alertmanager(&marker(next_probe), false, 0);
            match post_once(topo, api, &body).await {
                Ok((503, true, _)) => report.outage_503s += 1,
                Ok((status, retry_after, answer)) => report.violations.push(format!(
                    "API {api} answered {status} (Retry-After: {retry_after}) while Redis was down: {answer}"
                )),
                Err(error) => report
                    .violations
                    .push(format!("API {api} gave no answer while Redis was down: {error}")),
            }
        }
        for url in endpoints(topo) {
            match ready(topo, url.clone()).await {
                Ok(503) => report.outage_not_ready += 1,
                other => report.violations.push(format!(
                    "{url}/readyz answered {other:?} while Redis was down"
                )),
            }
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tokio::task::block_in_place(|| topo.redis.start_again());
    let up_at = Instant::now();
    note(report, start, "Redis started again from its AOF");

    // The APIs store again by themselves.
    let mut stored: Vec<Record> = Vec::new();
    for api in 0..topo.count(Role::Api) {
        loop {
            next_probe += 1;
            let mut plan = probe(next_probe);
            plan.api = api;
            let mut record = Record::new(plan);
            let body = alertmanager(&record.plan.marker, false, 0);
            match post_once(topo, api, &body).await {
                Ok((201, _, answer)) => {
                    record.id = answer["id"].as_str().map(str::to_string);
                    stored.push(record);
                    break;
                }
                Ok((503, _, _)) | Err(_) if up_at.elapsed() < RECOVERY => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                other => {
                    report.violations.push(format!(
                        "API {api} did not store again within {RECOVERY:?} of Redis coming back: {other:?}"
                    ));
                    break;
                }
            }
        }
    }
    let apis_back = up_at.elapsed().as_secs_f64();

    // Every /readyz is ready again.
    for url in endpoints(topo) {
        loop {
            match ready(topo, url.clone()).await {
                Ok(200) => break,
                _ if up_at.elapsed() < RECOVERY => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                other => {
                    report.violations.push(format!(
                        "{url}/readyz not ready {RECOVERY:?} after Redis came back: {other:?}"
                    ));
                    break;
                }
            }
        }
    }
    let ready_back = up_at.elapsed().as_secs_f64();

    // The workers post again: the probes get their Slack messages.
    for record in &stored {
        let Some(id) = &record.id else { continue };
        let left = RECOVERY.saturating_sub(up_at.elapsed()) + Duration::from_secs(5);
        let (posted, _) = topo
            .wait_incident(id, left, |f| {
                f.get("slack_ts").is_some_and(|ts| !ts.is_empty())
            })
            .await;
        if !posted {
            report.violations.push(format!(
                "the workers did not post probe {id} within {RECOVERY:?} of Redis coming back"
            ));
        }
    }
    report.recovery_s = (apis_back, ready_back, up_at.elapsed().as_secs_f64());
    report.timeline.push(format!(
        "{:5.1}s recovered: APIs store after {apis_back:.1}s, ready after {ready_back:.1}s, workers post after {:.1}s",
        start.elapsed().as_secs_f64(),
        report.recovery_s.2
    ));
    report.probes.extend(stored);
}
