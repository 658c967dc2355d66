//! What every request handler shares. Built once at start-up; holds no per-request state.

use crate::auth::IngestCredentials;
use crate::ingest::budget::BodyBudget;
use crate::ingest::offload::Offload;
use std::sync::Arc;
use versus_shared::domain::ack_token::AckSigner;
use versus_shared::domain::heartbeat::HeartbeatStore;
use versus_shared::domain::incident::IncidentStore;
use versus_shared::domain::report::ReportReader;
use versus_shared::infra::config::Settings;
use versus_shared::infra::health::RedisHealth;
use versus_shared::infra::redis_conn::RedisConnection;
use versus_shared::infra::telemetry::Redactor;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub incidents: IncidentStore,
    pub heartbeats: HeartbeatStore,
    pub reports: ReportReader,
    pub redis: RedisConnection,
    pub health: RedisHealth,
    /// Present when on-call is ready (enable or initialized_only).
    pub signer: Option<AckSigner>,
    pub redactor: Redactor,
    /// Present when `ingest_auth` is set: ingest routes then require these credentials.
    pub ingest_credentials: Option<Arc<IngestCredentials>>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Webhook body bytes in flight across all requests (`alert.body_budget_bytes`).
    pub body_budget: BodyBudget,
    /// Where large bodies are parsed and compressed.
    pub offload: Offload,
}
