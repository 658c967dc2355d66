//! Reads and atomic transitions of incidents in Redis.

use super::payload;
use super::record::{decode_fields, Incident, IncidentState};
use super::scripts;
use redis::aio::ConnectionManager;
use redis::AsyncCommands;
use std::collections::HashMap;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("Redis is unavailable ({0}); check that Redis is running and that redis.host/port/password are right")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply from an incident script: {0}")]
    Reply(String),
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Created,
    /// A re-send of an open incident whose set of firing alerts changed.
    Updated,
    /// A re-send of an open incident with nothing new.
    Unchanged,
    /// `open_for` is how long the incident was open, for time-to-resolve.
    Resolved {
        previous: IncidentState,
        open_for: Duration,
    },
    /// The very same request was already accepted.
    DuplicateRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestResult {
    pub outcome: IngestOutcome,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckResult {
    /// This call acknowledged it. `created_ms` lets the caller measure time to acknowledge.
    Acked {
        at_ms: i64,
        created_ms: i64,
    },
    AlreadyAcked {
        at_ms: i64,
        by: String,
    },
    /// Too late: it was escalated at `at_ms` (`aws_arn` is empty while StartIncident is still running).
    Escalated {
        at_ms: i64,
        aws_arn: String,
    },
    Resolved {
        at_ms: i64,
    },
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalateDecision {
    /// Call StartIncident with this plan.
    Start {
        plan_arn: String,
        due_ms: i64,
    },
    /// Already escalated and recorded.
    Done {
        aws_arn: String,
    },
    SuppressedByAck {
        due_ms: i64,
    },
    SuppressedByResolve {
        due_ms: i64,
    },
    Missing,
}

#[derive(Debug, Clone)]
pub enum EscalationResult {
    Started { aws_arn: String },
    Failed { reason: String },
}

#[derive(Clone)]
pub struct IncidentStore {
    conn: ConnectionManager,
    prefix: String,
    retention: Duration,
    compress_payloads: bool,
}

fn reply(message: impl Into<String>) -> StoreError {
    StoreError::Reply(message.into())
}

impl IncidentStore {
    pub fn new(conn: ConnectionManager, prefix: &str, retention: Duration) -> Self {
        Self {
            conn,
            prefix: prefix.to_string(),
            retention,
            compress_payloads: true,
        }
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
            .arg(&incident.occurrences);
        invocation
    }

    /// Stores one incident with its jobs, atomically.
    pub async fn ingest(&self, incident: &NewIncident) -> Result<IngestResult, StoreError> {
        let raw: (String, String, String, String) = self
            .ingest_invocation(incident)
            .invoke_async(&mut self.conn.clone())
            .await?;
        parse_ingest(raw)
    }

    /// Stores several incidents (a JSON array) in one round trip; each is atomic on its own.
    pub async fn ingest_many(
        &self,
        incidents: &[NewIncident],
    ) -> Result<Vec<IngestResult>, StoreError> {
        if incidents.len() == 1 {
            return Ok(vec![self.ingest(&incidents[0]).await?]);
        }
        let mut pipe = redis::pipe();
        for incident in incidents {
            pipe.invoke_script(&self.ingest_invocation(incident));
        }
        // A pipeline of EVALSHA cannot fall back to EVAL, so make sure the script is loaded first.
        let mut conn = self.conn.clone();
        scripts::INGEST
            .prepare_invoke()
            .load_async(&mut conn)
            .await?;
        let raws: Vec<(String, String, String, String)> = pipe.query_async(&mut conn).await?;
        raws.into_iter().map(parse_ingest).collect()
    }

    pub async fn get(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let raw: HashMap<String, Vec<u8>> = self.conn.clone().hgetall(self.key(id)).await?;
        Ok(Incident::from_hash(decode_fields(raw)))
    }

    pub async fn ack(&self, id: &str, by: &str, via: &str) -> Result<AckResult, StoreError> {
        let (result, _state, time, detail): (String, String, String, String) = scripts::ACK
            .arg(&self.prefix)
            .arg(id)
            .arg(by)
            .arg(via)
            .invoke_async(&mut self.conn.clone())
            .await?;
        let at_ms = time.parse().unwrap_or(0);
        Ok(match result.as_str() {
            "acked" => AckResult::Acked {
                at_ms,
                created_ms: detail.parse().unwrap_or(0),
            },
            "already_acked" => AckResult::AlreadyAcked { at_ms, by: detail },
            "escalated" => AckResult::Escalated {
                at_ms,
                aws_arn: detail,
            },
            "resolved" => AckResult::Resolved { at_ms },
            "missing" => AckResult::Missing,
            other => return Err(reply(format!("ack answered {other:?}"))),
        })
    }

    pub async fn escalate_begin(&self, id: &str) -> Result<EscalateDecision, StoreError> {
        let (decision, plan_arn, aws_arn, due): (String, String, String, String) =
            scripts::ESCALATE_BEGIN
                .arg(&self.prefix)
                .arg(id)
                .invoke_async(&mut self.conn.clone())
                .await?;
        let due_ms = due.parse().unwrap_or(0);
        Ok(match decision.as_str() {
            "start" => EscalateDecision::Start { plan_arn, due_ms },
            "done" => EscalateDecision::Done { aws_arn },
            "suppressed_ack" => EscalateDecision::SuppressedByAck { due_ms },
            "suppressed_resolve" => EscalateDecision::SuppressedByResolve { due_ms },
            "missing" => EscalateDecision::Missing,
            other => return Err(reply(format!("escalate_begin answered {other:?}"))),
        })
    }

    /// Records StartIncident's result and queues the Slack update. False when an ARN was already recorded.
    pub async fn escalate_finish(
        &self,
        id: &str,
        result: &EscalationResult,
    ) -> Result<bool, StoreError> {
        let (outcome, detail) = match result {
            EscalationResult::Started { aws_arn } => ("started", aws_arn.as_str()),
            EscalationResult::Failed { reason } => ("failed", reason.as_str()),
        };
        let written: i64 = scripts::ESCALATE_FINISH
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
            .arg(&self.prefix)
            .arg(id)
            .arg(channel)
            .arg(ts)
            .invoke_async(&mut self.conn.clone())
            .await?)
    }
}

fn parse_ingest(
    (outcome, id, previous, open_ms): (String, String, String, String),
) -> Result<IngestResult, StoreError> {
    let outcome = match outcome.as_str() {
        "created" => IngestOutcome::Created,
        "updated" => IngestOutcome::Updated,
        "unchanged" => IngestOutcome::Unchanged,
        "duplicate_request" => IngestOutcome::DuplicateRequest,
        "resolved" => IngestOutcome::Resolved {
            previous: previous.parse().map_err(reply)?,
            open_for: Duration::from_millis(open_ms.parse().unwrap_or(0)),
        },
        other => return Err(reply(format!("ingest answered {other:?}"))),
    };
    Ok(IngestResult { outcome, id })
}
