//! A steady stream of on-call alerts, sent the way Alertmanager sends: one every `every`, each retried on
//! `5xx` and on broken connections until the API answers `201`. It records what each sender was told.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

/// A request that got no `201` for this long is given up (and counts as never accepted).
const GIVE_UP: Duration = Duration::from_secs(60);

/// One alert the API accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Unique text in the alert, found again in its Slack message.
    pub marker: String,
    pub id: String,
    /// When the attempt that got the `201` was sent: the incident was created no earlier.
    pub sent_at: SystemTime,
    pub accepted_at: Instant,
}

#[derive(Debug, Default)]
pub struct StreamResult {
    pub accepted: Vec<Accepted>,
    /// Markers of alerts never answered `201`.
    pub unaccepted: Vec<String>,
    pub retried_answers: usize,
    /// Other statuses than `201` and `5xx` (never expected).
    pub unexpected: Vec<String>,
}

impl StreamResult {
    /// How long after `moment` (the primary's death) the first alert was accepted.
    pub fn first_accepted_after(&self, moment: Instant) -> Option<Duration> {
        self.accepted
            .iter()
            .filter(|a| a.accepted_at > moment)
            .map(|a| a.accepted_at - moment)
            .min()
    }

    /// The longest stretch between two consecutive `201`s: how long ingest stood still.
    pub fn longest_gap(&self) -> Duration {
        let mut times: Vec<Instant> = self.accepted.iter().map(|a| a.accepted_at).collect();
        times.sort();
        times
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default()
    }
}

/// The marker of alert `i` of run `run`: ends with `z` so that no marker is a prefix of another.
pub fn marker(run: &str, i: usize) -> String {
    format!("{run}x{i:04}z")
}

/// Sends `total` alerts to `api` (`http://127.0.0.1:P`), one every `every`, with `query` (which turns
/// on-call on and sets the wait), and returns when every one was accepted or given up.
pub async fn send_stream(
    api: String,
    run: String,
    total: usize,
    every: Duration,
    query: String,
) -> StreamResult {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client");
    let result = Arc::new(Mutex::new(StreamResult::default()));
    let mut tasks = Vec::with_capacity(total);
    let mut tick = tokio::time::interval(every);
    for i in 0..total {
        tick.tick().await;
        let (client, api, query, result) =
            (client.clone(), api.clone(), query.clone(), result.clone());
        let marker = marker(&run, i);
        tasks.push(tokio::spawn(async move {
            send_one(&client, &api, &query, marker, &result).await
        }));
    }
    for task in tasks {
        task.await.expect("sender task");
    }
    Arc::try_unwrap(result)
        .expect("every sender finished")
        .into_inner()
        .expect("result lock")
}

async fn send_one(
    client: &reqwest::Client,
    api: &str,
    query: &str,
    marker: String,
    result: &Mutex<StreamResult>,
) {
    let body = json!({
        "Logs": format!("[CRITICAL] failover drill {marker}"),
        "ServiceName": marker,
        "Severity": "critical",
    });
    let started = Instant::now();
    let mut pause = Duration::from_millis(100);
    while started.elapsed() < GIVE_UP {
        let sent_at = SystemTime::now();
        let answer = client
            .post(format!("{api}/api/incidents?{query}"))
            .json(&body)
            .send()
            .await;
        match answer {
            Ok(response) if response.status().as_u16() == 201 => {
                let answer: serde_json::Value = response.json().await.unwrap_or_default();
                let id = answer["id"].as_str().unwrap_or_default().to_string();
                result.lock().expect("result lock").accepted.push(Accepted {
                    marker,
                    id,
                    sent_at,
                    accepted_at: Instant::now(),
                });
                return;
            }
            Ok(response) if response.status().is_server_error() => {
                result.lock().expect("result lock").retried_answers += 1;
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let mut result = result.lock().expect("result lock");
                result.unexpected.push(format!("{status}: {text}"));
                result.unaccepted.push(marker);
                return;
            }
            Err(_) => result.lock().expect("result lock").retried_answers += 1,
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    result.lock().expect("result lock").unaccepted.push(marker);
}
