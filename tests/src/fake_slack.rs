//! A fake Slack Web API (`chat.postMessage`, `chat.update`) that checks the wire format.
//!
//! Versus is pointed at it through `alert.slack.api_url`, so requests arrive at `/{method}`. It answers
//! the way Slack does (HTTP 200 with `"ok": false` for logical errors, 429 with `Retry-After` when rate
//! limited), refuses requests Slack would refuse, records every call with its receive time, and can be
//! told to fail for a while so tests can prove retries and ordering.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use actix_web::web;
use serde_json::Value;

use crate::call_outcome::CallOutcome;
use crate::fake_server::{FakeServer, FakeService, Journal, RecordedCall};
use crate::slack_handler::handle;
use crate::wait::poll_until;

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

impl RecordedCall for SlackCall {
    fn outcome(&self) -> &CallOutcome {
        &self.outcome
    }
}

/// The fake Slack workspace: what the server thread and the test share.
#[derive(Debug)]
pub struct SlackState {
    pub(crate) token: String,
    pub(crate) journal: Journal<SlackCall, Failure>,
    /// ts -> channel of every message posted, so `chat.update` of an unknown message fails like Slack.
    pub(crate) messages: HashMap<String, String>,
    pub(crate) last_ts_micros: u64,
}

impl FakeService for SlackState {
    type Call = SlackCall;
    type Failure = Failure;

    const NAME: &'static str = "fake-slack";

    fn route() -> actix_web::Route {
        web::to(handle)
    }

    fn journal(&mut self) -> &mut Journal<SlackCall, Failure> {
        &mut self.journal
    }

    fn forget(&mut self) {
        self.messages.clear();
    }
}

/// The fake Slack server on 127.0.0.1; stopped when dropped. The control API (calls, failures, reset) is
/// [`FakeServer`]'s.
pub type FakeSlack = FakeServer<SlackState>;

impl FakeServer<SlackState> {
    /// Starts a fake that accepts [`DEFAULT_SLACK_TOKEN`].
    pub fn start() -> Self {
        Self::start_with(DEFAULT_SLACK_TOKEN)
    }

    /// Starts a fake that accepts `Authorization: Bearer <token>` only.
    pub fn start_with(token: &str) -> Self {
        Self::serve(SlackState {
            token: token.to_string(),
            journal: Journal::default(),
            messages: HashMap::new(),
            last_ts_micros: 0,
        })
    }

    /// The token the fake accepts.
    pub fn token(&self) -> String {
        self.lock().token.clone()
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
        poll_until(timeout, async || self.posts().len() >= n)
            .await
            .is_some()
    }

    /// Waits until at least `n` updates succeeded; false on timeout.
    pub async fn wait_for_updates(&self, n: usize, timeout: Duration) -> bool {
        poll_until(timeout, async || self.updates().len() >= n)
            .await
            .is_some()
    }

    /// Remembers a message Slack holds from before this fake started (one an earlier installation
    /// posted), so that `chat.update` of it succeeds as it would at Slack.
    pub fn adopt_message(&self, ts: &str, channel: &str) {
        self.lock().messages.insert(ts.into(), channel.into());
    }

    fn accepted_bodies(&self, method: &str) -> Vec<Value> {
        self.lock()
            .journal
            .calls
            .iter()
            .filter(|c| c.method == method && c.outcome.is_accepted())
            .filter_map(|c| c.body.clone())
            .collect()
    }
}
