//! What job handlers share, built once at start-up.

use crate::aws::IncidentManager;
use crate::slack::{Composer, SlackClient};
use std::sync::Arc;
use versus_shared::domain::digest::DigestStore;
use versus_shared::domain::heartbeat::HeartbeatStore;
use versus_shared::domain::incident::IncidentStore;
use versus_shared::domain::report::ReportReader;
use versus_shared::infra::config::Settings;

pub struct Deps {
    pub settings: Arc<Settings>,
    pub incidents: IncidentStore,
    pub heartbeats: HeartbeatStore,
    pub digest: DigestStore,
    /// The on-call reports the digest summarises.
    pub reports: ReportReader,
    /// None when Slack is not enabled: notifications go to the log.
    pub slack: Option<SlackClient>,
    pub composer: Composer,
    /// None when on-call is not set up.
    pub aws: Option<IncidentManager>,
}

pub type SharedDeps = Arc<Deps>;
