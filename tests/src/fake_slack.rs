//! A fake Slack Web API (`chat.postMessage`, `chat.update`) that checks the wire format.
//!
//! Versus is pointed at it through `alert.slack.api_url`, so requests arrive at `/{method}`. It answers
//! the way Slack does (HTTP 200 with `"ok": false` for logical errors, 429 with `Retry-After` when rate
//! limited), refuses requests Slack would refuse, records every call with its receive time, and can be
//! told to fail for a while so tests can prove retries and ordering.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use actix_web::web;
use serde_json::Value;

use crate::call_outcome::CallOutcome;
use crate::failure_plan::FailurePlan;
use crate::http_server::BackgroundServer;
use crate::slack_handler::handle;
use crate::wait::wait_until;

/// The bot token the fake accepts unless told otherwise.
pub const DEFAULT_SLACK_TOKEN: &str = "xoxb-versus-test-token";

/// A failure to inject into well-formed calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 429, `Retry-After: <secs>`, body `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 500 with a plain-text body, as a proxy or Slack outage gives.
    ServerError,
    /// HTTP 200 `{"ok":false,"error":<code>}`, e.g. `channel_not_found`.
    OkFalse(String),
    /// Waits this long, then answers normally.
    Delay(Duration),
}

impl Failure {
    /// Shorthand for [`Failure::OkFalse`].
    pub fn ok_false(code: impl Into<String>) -> Self {
        Self::OkFalse(code.into())
    }
}

/// One recorded call.
#[derive(Debug, Clone)]
pub struct SlackCall {
    /// The Web API method from the path, e.g. `chat.postMessage`.
    pub method: String,
    /// The body, when it was JSON.
    pub body: Option<Value>,
    pub raw_body: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub received_at: Instant,
    pub received_at_system: SystemTime,
    /// The HTTP status the fake answered with.
    pub status: u16,
    /// The JSON it answered with (a JSON string for the plain-text 500).
    pub response: Value,
    pub outcome: CallOutcome,
}

/// What the server thread and the test share.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) token: String,
    pub(crate) calls: Vec<SlackCall>,
    pub(crate) plan: FailurePlan<Failure>,
    /// ts -> channel of every message posted, so `chat.update` of an unknown message fails like Slack.
    pub(crate) messages: HashMap<String, String>,
    pub(crate) last_ts_micros: u64,
}

pub(crate) type Shared = Arc<Mutex<State>>;

/// The fake Slack server on 127.0.0.1; stopped when dropped.
#[derive(Debug)]
pub struct FakeSlack {
    state: Shared,
    server: BackgroundServer,
}

impl FakeSlack {
    /// Starts a fake that accepts [`DEFAULT_SLACK_TOKEN`].
    pub fn start() -> Self {
        Self::start_with(DEFAULT_SLACK_TOKEN)
    }

    /// Starts a fake that accepts `Authorization: Bearer <token>` only.
    pub fn start_with(token: &str) -> Self {
        let state: Shared = Arc::new(Mutex::new(State {
            token: token.to_string(),
            calls: Vec::new(),
            plan: FailurePlan::default(),
            messages: HashMap::new(),
            last_ts_micros: 0,
        }));
        let data = web::Data::new(state.clone());
        let server = BackgroundServer::start("fake-slack", move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                .default_service(web::to(handle));
        });
        Self { state, server }
    }

    /// The base URL to use as `alert.slack.api_url`: `http://127.0.0.1:P`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The token the fake accepts.
    pub fn token(&self) -> String {
        self.lock().token.clone()
    }

    /// Every call so far, in arrival order of their answers.
    pub fn calls(&self) -> Vec<SlackCall> {
        self.lock().calls.clone()
    }

    /// The calls that were refused for breaking the wire contract.
    pub fn rejected(&self) -> Vec<SlackCall> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.outcome.is_rejected())
            .cloned()
            .collect()
    }

    /// Bodies of accepted `chat.postMessage` calls.
    pub fn posts(&self) -> Vec<Value> {
        self.accepted_bodies("chat.postMessage")
    }

    /// Bodies of accepted `chat.update` calls.
    pub fn updates(&self) -> Vec<Value> {
        self.accepted_bodies("chat.update")
    }

    /// Waits until at least `n` messages were posted successfully; false on timeout.
    pub async fn wait_for_posts(&self, n: usize, timeout: Duration) -> bool {
        wait_until(timeout, || self.posts().len() >= n).await
    }

    /// Waits until at least `n` updates succeeded; false on timeout.
    pub async fn wait_for_updates(&self, n: usize, timeout: Duration) -> bool {
        wait_until(timeout, || self.updates().len() >= n).await
    }

    /// Waits until at least `n` calls of any kind were answered; false on timeout.
    pub async fn wait_for_calls(&self, n: usize, timeout: Duration) -> bool {
        wait_until(timeout, || self.lock().calls.len() >= n).await
    }

    /// Fails the next `n` well-formed calls with `failure`.
    pub fn fail_next(&self, n: usize, failure: Failure) {
        self.lock().plan.fail_next(n, failure);
    }

    /// Fails every well-formed call with `failure` until [`clear_mode`](Self::clear_mode).
    pub fn set_mode(&self, failure: Failure) {
        self.lock().plan.set_mode(failure);
    }

    pub fn clear_mode(&self) {
        self.lock().plan.clear_mode();
    }

    /// Remembers a message Slack holds from before this fake started (one an earlier installation
    /// posted), so that `chat.update` of it succeeds as it would at Slack.
    pub fn adopt_message(&self, ts: &str, channel: &str) {
        self.lock().messages.insert(ts.into(), channel.into());
    }

    /// Forgets recorded calls, posted messages and programmed failures.
    pub fn clear(&self) {
        let mut st = self.lock();
        st.calls.clear();
        st.messages.clear();
        st.plan.reset();
    }

    fn accepted_bodies(&self, method: &str) -> Vec<Value> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method && c.outcome.is_accepted())
            .filter_map(|c| c.body.clone())
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
