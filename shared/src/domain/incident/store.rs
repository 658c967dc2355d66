//! Reads and atomic transitions of incidents in Redis.

use super::payload;
use super::record::{decode_fields, Incident};
use super::replies::{
    AckReply, AckResult, EscalateDecision, EscalateReply, EscalationResult, IngestReply,
    IngestResult, NoiseResult, UnexpectedReply,
};
use super::scripts;
use super::state::AckChannel;
use crate::domain::query_parameters::UnknownParameters;
use crate::domain::report::ReportLabels;
use crate::infra::config::Settings;
use crate::infra::redis_conn::RedisConnection;
use crate::infra::replication::{
    run_one, ReplicatedWrite, ReplicatedWriter, ReplicationError, Shortfall,
};
use redis::{AsyncCommands, FromRedisValue, ScriptInvocation};
use std::collections::HashMap;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("Redis is unavailable ({0}); check that Redis is running and that redis.host/port/password are right")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Reply(#[from] UnexpectedReply),
    /// Stored on the primary, but on fewer replicas than `redis.min_replicas_acked` (strict mode only).
    #[error(transparent)]
    NotReplicated(#[from] Shortfall),
}

impl From<ReplicationError> for StoreError {
    fn from(error: ReplicationError) -> Self {
        match error {
            ReplicationError::Redis(error) => StoreError::Redis(error),
            ReplicationError::NotReplicated(shortfall) => StoreError::NotReplicated(shortfall),
        }
    }
}

impl StoreError {
    /// True when the error means Redis could not be reached (or answered too slowly), not a logic error.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Redis(_))
    }
}

/// The on-call part of a new incident.
#[derive(Debug, Clone)]
pub struct OncallPlan {
    pub wait: Duration,
    pub plan_arn: String,
}

/// One webhook's incident, ready to store.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub id: String,
    /// Hash of the request, so a retried delivery of the same POST is recognised.
    pub request_key: Option<String>,
    pub request_ttl: Duration,
    /// Identity of the alert group: re-sends of an open incident with the same key join it.
    pub dedup_key: Option<String>,
    /// The key an earlier release gave the same group, when it differs (see
    /// [`AlertView::legacy_group_identity`](crate::domain::alert::AlertView::legacy_group_identity)): an
    /// incident open under it is joined, never written anew.
    pub legacy_dedup_key: Option<String>,
    pub resolved: bool,
    pub oncall: Option<OncallPlan>,
    /// The received JSON text (stored compressed unless `redis.compress_payloads` is off).
    pub payload: String,
    /// The alerts this payload reports, one `fingerprint@startsAt` digest per line (see
    /// [`AlertView::alert_occurrences`](crate::domain::alert::AlertView::alert_occurrences)): a firing re-send that
    /// names none of the open incident's alerts is the group firing anew.
    pub occurrences: String,
    pub source: &'static str,
    pub severity: String,
    pub title: String,
    /// Which alerts are firing; a change updates the Slack message.
    pub alert_signature: String,
    /// Queue `UpdateIncidentRecord` when an escalated incident resolves.
    pub resolve_aws: bool,
    /// Query parameters of the request that Versus does not know, shown in the incident's Slack message.
    pub unknown_parameters: UnknownParameters,
    /// The Slack channel the request named (`?slack_channel_id=`); `None` posts to `alert.slack.channel_id`.
    pub slack_channel: Option<String>,
    /// What the on-call report groups it by.
    pub report: ReportLabels,
}

/// Incidents ready to store: see [`IncidentStore::prepare_ingest`].
pub struct PreparedIngest(Vec<redis::ScriptInvocation<'static>>);

#[derive(Clone)]
pub struct IncidentStore {
    conn: RedisConnection,
    prefix: String,
    retention: Duration,
    compress_payloads: bool,
    /// Present when state changes wait for replicas (`redis.min_replicas_acked` above 0).
    replication: Option<ReplicatedWriter>,
    /// How long an incident's report summary is kept (`reports.retention_days`).
    report_retention: Duration,
}

/// `reports.retention_days`' default, for a store built without settings.
const DEFAULT_REPORT_RETENTION: Duration = Duration::from_secs(90 * 86_400);

impl IncidentStore {
    pub fn new(conn: impl Into<RedisConnection>, prefix: &str, retention: Duration) -> Self {
        Self {
            conn: conn.into(),
            prefix: prefix.to_string(),
            retention,
            compress_payloads: true,
            replication: None,
            report_retention: DEFAULT_REPORT_RETENTION,
        }
    }

    /// How long report summaries are kept (`reports.retention_days`).
    pub fn report_retention(mut self, retention: Duration) -> Self {
        self.report_retention = retention;
        self
    }

    /// The store under `redis.key_prefix`, keeping records `redis.retention_hours` and report summaries
    /// `reports.retention_days`, compressing payloads as `redis.compress_payloads` says and replicating state
    /// changes as `redis.min_replicas_acked` says.
    pub fn from_settings(conn: RedisConnection, settings: &Settings) -> Self {
        let redis = &settings.redis;
        Self::new(conn, &redis.stored_prefix(), redis.retention())
            .compress_payloads(redis.compress_payloads)
            .replicated(ReplicatedWriter::from_settings(redis))
            .report_retention(settings.reports.retention())
    }

    /// Whether state changes wait for replicas, and how (see [`ReplicatedWriter`]).
    pub fn replicated(mut self, writer: Option<ReplicatedWriter>) -> Self {
        self.replication = writer;
        self
    }

    /// Whether new payloads are stored compressed (`redis.compress_payloads`); both forms are always read.
    pub fn compress_payloads(mut self, on: bool) -> Self {
        self.compress_payloads = on;
        self
    }

    pub fn key(&self, id: &str) -> String {
        format!("{}incident:{id}", self.prefix)
    }

    fn ingest_invocation(&self, incident: &NewIncident) -> redis::ScriptInvocation<'static> {
        let compressed = self
            .compress_payloads
            .then(|| payload::encode(&incident.payload));
        let mut invocation = scripts::INGEST.prepare_invoke();
        let (oncall, wait_ms, plan) = match &incident.oncall {
            Some(plan) => ("1", plan.wait.as_millis() as u64, plan.plan_arn.as_str()),
            None => ("0", 0, ""),
        };
        invocation
            .key(self.key(&incident.id))
            .arg(&self.prefix)
            .arg(&incident.id)
            .arg(incident.request_key.as_deref().unwrap_or(""))
            .arg(incident.request_ttl.as_millis().max(1) as u64)
            .arg(incident.dedup_key.as_deref().unwrap_or(""))
            .arg(self.retention.as_millis() as u64)
            .arg(if incident.resolved {
                "resolved"
            } else {
                "firing"
            })
            .arg(oncall)
            .arg(wait_ms)
            .arg(plan)
            .arg(compressed.as_deref().unwrap_or(incident.payload.as_bytes()))
            .arg(incident.source)
            .arg(&incident.severity)
            .arg(&incident.title)
            .arg(&incident.alert_signature)
            .arg(if incident.resolve_aws { "1" } else { "0" })
            .arg(&incident.occurrences)
            .arg(incident.legacy_dedup_key.as_deref().unwrap_or(""))
            .arg(incident.unknown_parameters.to_field())
            .arg(incident.slack_channel.as_deref().unwrap_or(""))
            .arg(&incident.report.alertname)
            .arg(&incident.report.receiver)
            .arg(&incident.report.team)
            .arg(&incident.report.service)
            .arg(self.report_retention.as_millis() as u64);
        invocation
    }

    /// Runs one state change, waiting for replicas when the store replicates.
    async fn change<T: FromRedisValue + Send>(
        &self,
        write: ReplicatedWrite,
        script: ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        Ok(run_one(self.replication.as_ref(), &self.conn, write, script).await?)
    }

    /// Stores one incident with its jobs, atomically.
    pub async fn ingest(&self, incident: &NewIncident) -> Result<IngestResult, StoreError> {
        let mut results = self
            .ingest_prepared(self.prepare_ingest(std::slice::from_ref(incident)))
            .await?;
        Ok(results.remove(0))
    }

    /// Stores several incidents (a JSON array) in one round trip; each is atomic on its own.
    pub async fn ingest_many(
        &self,
        incidents: &[NewIncident],
    ) -> Result<Vec<IngestResult>, StoreError> {
        self.ingest_prepared(self.prepare_ingest(incidents)).await
    }

    /// The CPU-bound half of storing incidents (compressing their payloads), apart from the round trip so
    /// that a large request can do it off the async workers.
    pub fn prepare_ingest(&self, incidents: &[NewIncident]) -> PreparedIngest {
        PreparedIngest(
            incidents
                .iter()
                .map(|i| self.ingest_invocation(i))
                .collect(),
        )
    }

    /// Runs what [`prepare_ingest`](Self::prepare_ingest) made, answering one result per incident.
    pub async fn ingest_prepared(
        &self,
        prepared: PreparedIngest,
    ) -> Result<Vec<IngestResult>, StoreError> {
        if let Some(writer) = &self.replication {
            let replies: Vec<IngestReply> =
                writer.run(ReplicatedWrite::Ingest, &prepared.0).await?;
            return replies
                .into_iter()
                .map(|reply| Ok(IngestResult::from_reply(reply)?))
                .collect();
        }
        let mut conn = self.conn.clone();
        if let [single] = prepared.0.as_slice() {
            let reply: IngestReply = single.invoke_async(&mut conn).await?;
            return Ok(vec![IngestResult::from_reply(reply)?]);
        }
        let mut pipe = redis::pipe();
        for invocation in &prepared.0 {
            pipe.invoke_script(invocation);
        }
        // A pipeline of EVALSHA cannot fall back to EVAL, so make sure the script is loaded first.
        scripts::INGEST
            .prepare_invoke()
            .load_async(&mut conn)
            .await?;
        let replies: Vec<IngestReply> = pipe.query_async(&mut conn).await?;
        replies
            .into_iter()
            .map(|reply| Ok(IngestResult::from_reply(reply)?))
            .collect()
    }

    pub async fn get(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let raw: HashMap<String, Vec<u8>> = self.conn.clone().hgetall(self.key(id)).await?;
        Ok(Incident::from_hash(decode_fields(raw)))
    }

    /// Acknowledges the incident for `by` (a Slack user mention, or how a link ack is named). `person` is
    /// who the on-call report credits: `""` for a link ack that gave no name, `slack:{user id}` for Slack.
    pub async fn ack(
        &self,
        id: &str,
        by: &str,
        via: AckChannel,
        person: &str,
    ) -> Result<AckResult, StoreError> {
        let mut script = scripts::ACK.prepare_invoke();
        script
            .key(self.key(id))
            .arg(&self.prefix)
            .arg(id)
            .arg(by)
            .arg(via.as_str())
            .arg(person);
        let reply: AckReply = self.change(ReplicatedWrite::Ack, script).await?;
        Ok(AckResult::from_reply(reply)?)
    }

    /// Marks the incident as noise (`noise` true) or takes the mark back, for the on-call report; `by` is
    /// written as an ack's `by` is. Idempotent. It waits for replicas like an ack.
    pub async fn mark_noise(
        &self,
        id: &str,
        noise: bool,
        by: &str,
    ) -> Result<NoiseResult, StoreError> {
        let mut script = scripts::NOISE.prepare_invoke();
        script
            .key(self.key(id))
            .arg(&self.prefix)
            .arg(id)
            .arg(if noise { "1" } else { "0" })
            .arg(by);
        let reply: (String,) = self.change(ReplicatedWrite::NoiseMark, script).await?;
        Ok(NoiseResult::from_reply(reply)?)
    }

    /// The escalation claim. It waits for replicas like the other state changes, but a shortfall never
    /// refuses it: see [`ReplicatedWrite::EscalateClaim`].
    pub async fn escalate_begin(&self, id: &str) -> Result<EscalateDecision, StoreError> {
        let mut script = scripts::ESCALATE_BEGIN.prepare_invoke();
        script.key(self.key(id)).arg(&self.prefix).arg(id);
        let reply: EscalateReply = self.change(ReplicatedWrite::EscalateClaim, script).await?;
        Ok(EscalateDecision::from_reply(reply)?)
    }

    /// Records StartIncident's result and queues the Slack update. False when an ARN was already recorded.
    pub async fn escalate_finish(
        &self,
        id: &str,
        result: &EscalationResult,
    ) -> Result<bool, StoreError> {
        let (outcome, detail) = result.to_args();
        let written: i64 = scripts::ESCALATE_FINISH
            .key(self.key(id))
            .arg(&self.prefix)
            .arg(id)
            .arg(outcome)
            .arg(detail)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(written == 1)
    }

    /// Records the incident's Slack message once. Returns the ts that stands (an earlier post wins).
    pub async fn slack_posted(
        &self,
        id: &str,
        channel: &str,
        ts: &str,
    ) -> Result<String, StoreError> {
        Ok(scripts::SLACK_POSTED
            .key(self.key(id))
            .arg(&self.prefix)
            .arg(id)
            .arg(channel)
            .arg(ts)
            .invoke_async(&mut self.conn.clone())
            .await?)
    }
}
