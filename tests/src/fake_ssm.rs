//! A fake AWS Systems Manager Incident Manager (`ssm-incidents`) REST-JSON endpoint.
//!
//! The real `aws-sdk-ssmincidents` client reaches it when `AWS_ENDPOINT_URL_SSM_INCIDENTS` points here.
//! It checks what AWS checks (content type, a SigV4 signature made with the test credentials, the
//! model's constraints), keeps AWS's idempotency (one incident per `clientToken`), records every call
//! with its receive time, and can be told to fail with the service's own error shapes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use actix_web::web;
use serde_json::Value;

use crate::call_outcome::CallOutcome;
use crate::fake_server::{FakeServer, FakeService, Journal, RecordedCall};
use crate::sigv4::Verifier;
use crate::ssm_handler::handle;
use crate::ssm_requests::StartIncidentBody;
use crate::wait::poll_until;

pub use crate::ssm_failure::SsmFailure;

/// The access key id the fake accepts unless told otherwise.
pub const DEFAULT_ACCESS_KEY: &str = "AKIDVERSUSTEST";
/// The secret the fake verifies signatures with unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "versus-test-secret";
/// The account id in ARNs the fake makes up when the response plan's ARN names none.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// One recorded call, whatever its outcome.
#[derive(Debug, Clone)]
pub struct SsmCall {
    /// The operation from the path, e.g. `startIncident`.
    pub operation: String,
    pub method: String,
    pub path: String,
    pub query: String,
    /// All request headers, names lower-case.
    pub headers: Vec<(String, String)>,
    pub raw_body: String,
    pub body: Option<Value>,
    pub received_at: Instant,
    pub received_at_system: SystemTime,
    pub status: u16,
    /// The `x-amzn-ErrorType` answered, for errors.
    pub error_type: Option<String>,
    pub response: Value,
    pub outcome: CallOutcome,
}

impl SsmCall {
    /// The first value of a request header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An accepted StartIncident call (repeats of a token included, with `new_incident` false).
#[derive(Debug, Clone)]
pub struct StartedIncident {
    pub client_token: String,
    pub response_plan_arn: String,
    pub incident_record_arn: String,
    pub title: Option<String>,
    pub impact: Option<i64>,
    pub trigger_details: Option<Value>,
    pub body: Value,
    /// False when the token had already opened an incident and its ARN was returned again.
    pub new_incident: bool,
    pub received_at: Instant,
    pub received_at_system: SystemTime,
}

/// What one `clientToken` did: the incident it opened and how often it was sent.
#[derive(Debug, Clone)]
pub struct TokenIncident {
    pub incident_record_arn: String,
    /// Accepted StartIncident calls that carried this token.
    pub start_calls: usize,
    /// A later call with this token carried other parameters than the first (AWS would not do what it asked).
    pub params_mismatch: bool,
    pub first_body: Value,
}

/// An accepted UpdateIncidentRecord call.
#[derive(Debug, Clone)]
pub struct IncidentUpdate {
    pub arn: String,
    pub status: Option<String>,
    pub body: Value,
    pub received_at: Instant,
}

impl RecordedCall for SsmCall {
    fn outcome(&self) -> &CallOutcome {
        &self.outcome
    }
}

/// The fake SSM Incidents account: what the server thread and the test share.
#[derive(Debug)]
pub struct SsmState {
    pub(crate) verifier: Verifier,
    pub(crate) journal: Journal<SsmCall, SsmFailure>,
    pub(crate) started: Vec<StartedIncident>,
    /// Per clientToken: the incident, and the first body's parameters to compare repeats with.
    pub(crate) tokens: BTreeMap<String, (TokenIncident, StartIncidentBody)>,
    pub(crate) updates: Vec<IncidentUpdate>,
}

impl FakeService for SsmState {
    type Call = SsmCall;
    type Failure = SsmFailure;

    const NAME: &'static str = "fake-ssm";

    fn route() -> actix_web::Route {
        web::to(handle)
    }

    fn journal(&mut self) -> &mut Journal<SsmCall, SsmFailure> {
        &mut self.journal
    }

    fn forget(&mut self) {
        self.started.clear();
        self.tokens.clear();
        self.updates.clear();
    }
}

/// The fake SSM Incidents server on 127.0.0.1; stopped when dropped. The control API (calls, failures,
/// reset) is [`FakeServer`]'s.
pub type FakeSsm = FakeServer<SsmState>;

impl FakeServer<SsmState> {
    /// Starts a fake that accepts requests signed with [`DEFAULT_ACCESS_KEY`] / [`DEFAULT_SECRET_KEY`].
    pub fn start() -> Self {
        Self::start_with(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    }

    /// Starts a fake that accepts requests signed with these credentials only.
    pub fn start_with(access_key: &str, secret_key: &str) -> Self {
        Self::serve(SsmState {
            verifier: Verifier {
                access_key: access_key.into(),
                secret_key: secret_key.into(),
                service: "ssm-incidents".into(),
            },
            journal: Journal::default(),
            started: Vec::new(),
            tokens: BTreeMap::new(),
            updates: Vec::new(),
        })
    }

    /// The credentials the fake verifies with, as (access key, secret key).
    pub fn credentials(&self) -> (String, String) {
        let st = self.lock();
        (
            st.verifier.access_key.clone(),
            st.verifier.secret_key.clone(),
        )
    }

    /// Accepted StartIncident calls, repeats of a token included.
    pub fn started(&self) -> Vec<StartedIncident> {
        self.lock().started.clone()
    }

    /// For each clientToken, the one incident it opened and how many calls carried it.
    pub fn incidents_by_token(&self) -> BTreeMap<String, TokenIncident> {
        self.lock()
            .tokens
            .iter()
            .map(|(k, (t, _))| (k.clone(), t.clone()))
            .collect()
    }

    /// How many distinct incidents were opened.
    pub fn incident_count(&self) -> usize {
        self.lock().tokens.len()
    }

    /// Accepted UpdateIncidentRecord calls.
    pub fn updates(&self) -> Vec<IncidentUpdate> {
        self.lock().updates.clone()
    }

    /// Waits until at least `n` StartIncident calls were accepted; false on timeout.
    pub async fn wait_for_started(&self, n: usize, timeout: Duration) -> bool {
        poll_until(timeout, async || self.lock().started.len() >= n)
            .await
            .is_some()
    }
}
