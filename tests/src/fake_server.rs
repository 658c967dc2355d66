//! What every fake outside service offers a test, whatever it fakes: it starts on a free loopback port,
//! records each call with what it answered, fails on demand, and forgets on demand.
//!
//! [`FakeServer`] holds that control surface once; a [`FakeService`] (Slack's Web API, SSM Incidents)
//! adds its wire checks, its answers and what it remembers between calls. `FakeSlack` and `FakeSsm` are
//! `FakeServer`s of their service, so a test drives both the same way.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::web;

use crate::call_outcome::CallOutcome;
use crate::failure_plan::FailurePlan;
use crate::http_server::BackgroundServer;
use crate::wait::poll_until;

/// The largest request body a fake reads.
const BODY_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// A call a fake recorded.
pub trait RecordedCall: Clone + Debug + Send + 'static {
    /// How the fake answered it.
    fn outcome(&self) -> &CallOutcome;
}

/// One faked service: its state, shared between the server thread and the test.
pub trait FakeService: Debug + Send + 'static {
    /// One recorded call.
    type Call: RecordedCall;
    /// A failure a test can program for well-formed calls.
    type Failure: Clone + Debug + Send + 'static;

    /// Names the server thread and its error messages.
    const NAME: &'static str;

    /// The handler of every request; it reads the state as `web::Data<Shared<Self>>`.
    fn route() -> actix_web::Route;

    /// The calls and the failure plan.
    fn journal(&mut self) -> &mut Journal<Self::Call, Self::Failure>;

    /// Forgets what the service keeps beyond the journal (posted messages, opened incidents).
    fn forget(&mut self);
}

/// What a fake heard and what it was told to answer wrongly.
#[derive(Debug)]
pub struct Journal<C, F> {
    pub(crate) calls: Vec<C>,
    pub(crate) plan: FailurePlan<F>,
}

impl<C, F> Default for Journal<C, F> {
    fn default() -> Self {
        Self {
            calls: Vec::new(),
            plan: FailurePlan::default(),
        }
    }
}

/// The state as the request handler sees it.
pub(crate) type Shared<S> = Arc<Mutex<S>>;

/// Locks the state; a test that panicked while holding it does not hide what was recorded.
pub(crate) fn lock<S>(state: &Shared<S>) -> MutexGuard<'_, S> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fake service on 127.0.0.1, served from its own thread; stopped when dropped.
#[derive(Debug)]
pub struct FakeServer<S> {
    state: Shared<S>,
    server: BackgroundServer,
}

impl<S: FakeService> FakeServer<S> {
    /// Serves `service` on a free loopback port.
    pub(crate) fn serve(service: S) -> Self {
        let state: Shared<S> = Arc::new(Mutex::new(service));
        let data = web::Data::new(state.clone());
        let server = BackgroundServer::start(S::NAME, move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(BODY_LIMIT_BYTES))
                .default_service(S::route());
        });
        Self { state, server }
    }

    /// The base URL Versus is pointed at: `http://127.0.0.1:P`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Every call so far, in the order they were answered.
    pub fn calls(&self) -> Vec<S::Call> {
        self.lock().journal().calls.clone()
    }

    /// The calls refused for breaking the wire contract.
    pub fn rejected(&self) -> Vec<S::Call> {
        self.lock()
            .journal()
            .calls
            .iter()
            .filter(|c| c.outcome().is_rejected())
            .cloned()
            .collect()
    }

    /// Waits until at least `n` calls of any kind were answered; false on timeout.
    pub async fn wait_for_calls(&self, n: usize, timeout: Duration) -> bool {
        poll_until(timeout, async || self.lock().journal().calls.len() >= n)
            .await
            .is_some()
    }

    /// Fails the next `n` well-formed calls with `failure`.
    pub fn fail_next(&self, n: usize, failure: S::Failure) {
        self.lock().journal().plan.fail_next(n, failure);
    }

    /// Fails every well-formed call with `failure` until [`clear_mode`](Self::clear_mode).
    pub fn set_mode(&self, failure: S::Failure) {
        self.lock().journal().plan.set_mode(failure);
    }

    pub fn clear_mode(&self) {
        self.lock().journal().plan.clear_mode();
    }

    /// Forgets recorded calls, what the service kept, and programmed failures.
    pub fn clear(&self) {
        let mut service = self.lock();
        let journal = service.journal();
        journal.calls.clear();
        journal.plan.reset();
        service.forget();
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, S> {
        lock(&self.state)
    }
}
