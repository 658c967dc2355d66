//! The load generator: sends the planned incidents over both APIs the way Alertmanager does (only `201`
//! counts as delivered; `503`, `5xx`, refused and broken connections are retried with backoff, on the other
//! API when one is down), then acknowledges, resolves or re-sends them, and records per incident what the
//! sender was told, which is what the final check holds Versus to.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;
use versus_tests::timing::now_ms;

use super::scenario::{alertmanager, Kind, Planned};

/// A request that got no `201`/`200` for this long is given up (and the run fails).
const GIVE_UP: Duration = Duration::from_secs(120);
/// Longest pause between retries (Alertmanager backs off too; its Retry-After of 5 s would only slow the test).
const MAX_PAUSE: Duration = Duration::from_secs(1);
/// Incidents whose requests run at once.
const MAX_IN_FLIGHT: usize = 96;

/// What the APIs answered, over the whole run.
#[derive(Debug, Default)]
pub struct Stats {
    pub created: AtomicU64,
    pub unavailable: AtomicU64,
    pub unavailable_without_retry_after: AtomicU64,
    /// `500` and other `5xx` but `503`: never acceptable.
    pub server_errors: AtomicU64,
    pub unexpected_status: AtomicU64,
    pub refused: AtomicU64,
    /// Connections that broke after the request was sent (reset, closed early) or timed out.
    pub broken: AtomicU64,
    pub timeouts: AtomicU64,
    pub samples: Mutex<Vec<String>>,
}

impl Stats {
    fn sample(&self, what: String) {
        let mut samples = self.samples.lock().expect("samples");
        if samples.len() < 20 {
            samples.push(what);
        }
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Sends requests to the APIs with Alertmanager's retry behaviour.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    apis: Arc<Vec<String>>,
    pub stats: Arc<Stats>,
}

impl Sender {
    pub fn new(apis: Vec<String>) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .expect("reqwest client");
        Self {
            client,
            apis: Arc::new(apis),
            stats: Arc::default(),
        }
    }

    /// `POST /api/incidents?query` until it answers `201`; returns the answer.
    pub async fn post(&self, api: usize, query: &str, body: &Value) -> Result<Value, String> {
        let body = serde_json::to_vec(body).expect("JSON");
        let query = query.to_string();
        self.until_answered(api, 201, move |client, base| {
            let mut url = format!("{base}/api/incidents");
            if !query.is_empty() {
                url = format!("{url}?{query}");
            }
            client
                .post(url)
                .header("Content-Type", "application/json")
                .body(body.clone())
        })
        .await
    }

    /// `POST /api/incidents/ack/{token}` (JSON answer) until it answers `200`.
    pub async fn ack(&self, api: usize, token: &str) -> Result<Value, String> {
        let token = token.to_string();
        self.until_answered(api, 200, move |client, base| {
            client
                .post(format!("{base}/api/incidents/ack/{token}"))
                .header("Accept", "application/json")
        })
        .await
    }

    async fn until_answered(
        &self,
        mut api: usize,
        want: u16,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<Value, String> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        let mut last = String::new();
        let stats = &self.stats;
        while started.elapsed() < GIVE_UP {
            match build(&self.client, &self.apis[api]).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response.headers().contains_key("retry-after");
                    let text = response.text().await.unwrap_or_default();
                    if status == want {
                        if want == 201 {
                            stats.created.fetch_add(1, Ordering::Relaxed);
                        }
                        return serde_json::from_str(&text).map_err(|e| {
                            format!("{status} with a body that is not JSON ({e}): {text}")
                        });
                    }
                    match status {
                        503 => {
                            stats.unavailable.fetch_add(1, Ordering::Relaxed);
                            if !retry_after {
                                stats
                                    .unavailable_without_retry_after
                                    .fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        500..=599 => {
                            stats.server_errors.fetch_add(1, Ordering::Relaxed);
                            stats.sample(format!("HTTP {status} from API {api}: {text}"));
                        }
                        _ => {
                            stats.unexpected_status.fetch_add(1, Ordering::Relaxed);
                            stats.sample(format!("HTTP {status} from API {api}: {text}"));
                            return Err(format!("HTTP {status}: {text}"));
                        }
                    }
                    last = format!("HTTP {status}");
                }
                Err(error) => {
                    if error.is_connect() {
                        stats.refused.fetch_add(1, Ordering::Relaxed);
                        api = 1 - api.min(1); // the other API, as a load balancer would
                    } else if error.is_timeout() {
                        stats.timeouts.fetch_add(1, Ordering::Relaxed);
                        stats.sample(format!("timeout from API {api}: {error:?}"));
                    } else {
                        stats.broken.fetch_add(1, Ordering::Relaxed);
                    }
                    last = format!("{error}");
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
        Err(format!("no {want} within {GIVE_UP:?}; last: {last}"))
    }
}

/// What the sender was told about one incident.
#[derive(Debug, Clone)]
pub struct Record {
    pub plan: Planned,
    /// The incident id of the `201`; None when it was never accepted.
    pub id: Option<String>,
    /// When the first attempt of the firing payload was sent (wall clock, ms): the incident's due
    /// time is at least this plus the wait.
    pub first_send_ms: i64,
    /// The ack's `result` (acked, already_acked, escalated, ...).
    pub ack_result: Option<String>,
    /// When the `201` of the resolved payload arrived (wall clock, ms).
    pub resolved_at_ms: Option<i64>,
    /// Answers that contradict the contract (a re-send that opened another incident, ...).
    pub problems: Vec<String>,
}

impl Record {
    pub fn new(plan: Planned) -> Self {
        Self {
            plan,
            id: None,
            first_send_ms: now_ms(),
            ack_result: None,
            resolved_at_ms: None,
            problems: Vec::new(),
        }
    }

    /// True when the resolve was stored before the escalation could come due, so it must not page.
    pub fn resolved_in_time(&self) -> bool {
        match (self.resolved_at_ms, self.plan.wait_ms()) {
            (Some(at), Some(wait)) => at < self.first_send_ms + wait,
            _ => false,
        }
    }
}

/// The running generator.
pub struct Load {
    handle: tokio::task::JoinHandle<Vec<Record>>,
}

impl Load {
    /// Sends `total` incidents evenly over `duration`.
    pub fn start(sender: Sender, seed: u64, total: usize, duration: Duration) -> Self {
        let handle = tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
            let start = tokio::time::Instant::now();
            let mut tasks = Vec::with_capacity(total);
            for idx in 0..total {
                tokio::time::sleep_until(start + duration.mul_f64(idx as f64 / total as f64)).await;
                let permit = slots.clone().acquire_owned().await.expect("semaphore");
                let sender = sender.clone();
                tasks.push(tokio::spawn(async move {
                    let record = run_one(&sender, Planned::new(idx, seed)).await;
                    drop(permit);
                    record
                }));
            }
            let mut records = Vec::with_capacity(total);
            for task in tasks {
                records.push(task.await.expect("an incident task panicked"));
            }
            records
        });
        Self { handle }
    }

    /// Waits for every incident's requests to be answered (each is bounded by [`GIVE_UP`]).
    pub async fn finish(self) -> Vec<Record> {
        self.handle.await.expect("the load generator panicked")
    }
}

async fn run_one(sender: &Sender, plan: Planned) -> Record {
    let mut record = Record::new(plan.clone());
    let query = plan.query();
    let firing = alertmanager(&plan.marker, false, 0);
    let answer = match sender.post(plan.api, &query, &firing).await {
        Ok(answer) => answer,
        Err(error) => {
            record.problems.push(format!("never accepted: {error}"));
            return record;
        }
    };
    let Some(id) = answer["id"].as_str().map(str::to_string) else {
        record.problems.push(format!("201 without an id: {answer}"));
        return record;
    };
    record.id = Some(id.clone());
    let outcome = answer["outcome"].as_str().unwrap_or("");
    if outcome != "created" && outcome != "duplicate_request" {
        record
            .problems
            .push(format!("first send answered outcome {outcome:?}"));
    }
    tokio::time::sleep(Duration::from_millis(plan.follow_up_ms)).await;
    match plan.kind {
        Kind::Acked => {
            let token = answer["ack_url"]
                .as_str()
                .and_then(|url| url.rsplit('/').next())
                .unwrap_or_default()
                .to_string();
            if token.is_empty() {
                record
                    .problems
                    .push(format!("on-call 201 without ack_url: {answer}"));
                return record;
            }
            match sender.ack(plan.api, &token).await {
                Ok(ack) => record.ack_result = ack["result"].as_str().map(str::to_string),
                Err(error) => record.problems.push(format!("ack never answered: {error}")),
            }
        }
        Kind::Resolved => {
            let resolved = alertmanager(&plan.marker, true, 0);
            match sender.post(plan.api, &query, &resolved).await {
                Ok(answer) => {
                    record.resolved_at_ms = Some(now_ms());
                    let outcome = answer["outcome"].as_str().unwrap_or("");
                    if answer["id"].as_str() != Some(&id)
                        || !matches!(outcome, "resolved" | "duplicate_request")
                    {
                        record
                            .problems
                            .push(format!("resolve of {id} answered {answer}"));
                    }
                }
                Err(error) => record
                    .problems
                    .push(format!("resolve never accepted: {error}")),
            }
        }
        Kind::Plain | Kind::Unacked => {}
    }
    if plan.resend {
        let body = if plan.resend_identical {
            firing
        } else {
            alertmanager(&plan.marker, false, 1)
        };
        match sender.post(plan.api, &query, &body).await {
            Ok(again) if again["id"].as_str() == Some(&id) => {}
            Ok(again) => record
                .problems
                .push(format!("re-send of {id} opened {again}")),
            Err(error) => record
                .problems
                .push(format!("re-send never accepted: {error}")),
        }
    }
    record
}
