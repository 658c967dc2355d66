//! The test's own requests to the installation's APIs.

use serde_json::Value;

use super::Topology;

impl Topology {
    /// The Prometheus text `/metrics` of the process at `base_url` ([`api_url`](Self::api_url) or
    /// [`worker_url`](Self::worker_url)); `None` while it does not answer.
    pub async fn scrape(&self, base_url: &str) -> Option<String> {
        let response = self
            .http
            .get(format!("{base_url}/metrics"))
            .send()
            .await
            .ok()?;
        response.text().await.ok()
    }

    /// The `heartbeats` list of `GET /api/heartbeats` on API 0.
    pub async fn heartbeat_states(&self) -> Value {
        let answer: Value = self
            .http
            .get(format!("{}/api/heartbeats", self.api_url(0)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["heartbeats"].clone()
    }

    /// An HTTP client for the test's own requests (no proxy, 30 s timeout).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `POST /api/incidents?{query}` on API 0 with `body` as JSON; returns the status and the answer
    /// (a JSON string holding the text when the answer is not JSON). `query` may be empty.
    pub async fn post_alert(&self, query: &str, body: &Value) -> (u16, Value) {
        self.post_alert_to(0, query, body).await
    }

    /// [`post_alert`](Self::post_alert) on API `i`.
    pub async fn post_alert_to(&self, i: usize, query: &str, body: &Value) -> (u16, Value) {
        let response = self
            .post_raw_to(
                i,
                query,
                Some("application/json"),
                serde_json::to_vec(body).expect("a JSON value serialises"),
            )
            .await;
        read_answer(response).await
    }

    /// `POST /api/incidents?{query}` on API 0 with raw bytes and an optional Content-Type.
    pub async fn post_raw(
        &self,
        query: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.post_raw_to(0, query, content_type, body).await
    }

    /// [`post_raw`](Self::post_raw) on API `i`.
    pub async fn post_raw_to(
        &self,
        i: usize,
        query: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut url = format!("{}/api/incidents", self.api_url(i));
        if !query.is_empty() {
            url.push('?');
            url.push_str(query.trim_start_matches('?'));
        }
        let mut request = self.http.post(&url).body(body);
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url} failed: {e}"))
    }
}

/// Reads an answer as (status, JSON); text that is not JSON becomes a JSON string.
pub async fn read_answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// The value of the unlabelled or fully labelled `series` (as it is written, labels included) in `metrics`.
pub fn sample_value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}
