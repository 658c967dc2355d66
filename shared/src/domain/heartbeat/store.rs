//! The calls that run the heartbeat scripts, and the read behind `GET /api/heartbeats`.

use super::check::{CheckOutcome, CheckPlan, CheckReply};
use super::scripts;
use super::status::HeartbeatStatus;
use crate::domain::incident::StoreError;
use crate::infra::config::{HeartbeatSettings, Settings};
use crate::infra::queue::new_job_id;
use crate::infra::redis_conn::RedisConnection;
use std::collections::HashMap;
use std::time::Duration;

/// What a beat did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeatResult {
    /// The beat's time, Redis server milliseconds.
    pub at_ms: i64,
    /// The incident of the outage this beat ended, now resolved.
    pub resolved: Option<String>,
}

#[derive(Clone)]
pub struct HeartbeatStore {
    conn: RedisConnection,
    prefix: String,
    retention: Duration,
    /// How long the report summary of an incident it opens is kept (`reports.retention_days`).
    report_retention: Duration,
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis() as u64
}

impl HeartbeatStore {
    pub fn new(conn: impl Into<RedisConnection>, prefix: &str, retention: Duration) -> Self {
        Self {
            conn: conn.into(),
            prefix: prefix.to_string(),
            retention,
            report_retention: crate::infra::config::ReportSettings::default().retention(),
        }
    }

    /// The store under `redis.key_prefix`; incidents it opens are kept `redis.retention_hours`, and their
    /// report summaries `reports.retention_days`.
    pub fn from_settings(conn: RedisConnection, settings: &Settings) -> Self {
        let mut store = Self::new(
            conn,
            &settings.redis.stored_prefix(),
            settings.redis.retention(),
        );
        store.report_retention = settings.reports.retention();
        store
    }

    pub fn key(&self, name: &str) -> String {
        format!("{}heartbeat:{name}", self.prefix)
    }

    /// Records a beat of `heartbeat` in one round trip; resolves its open incident (and, when `resolve_aws`,
    /// the AWS incident it paged) and re-arms its check if none is pending.
    pub async fn beat(
        &self,
        heartbeat: &HeartbeatSettings,
        resolve_aws: bool,
    ) -> Result<BeatResult, StoreError> {
        let (at_ms, resolved): (i64, String) = scripts::BEAT
            .key(self.key(&heartbeat.name))
            .arg(&self.prefix)
            .arg(&heartbeat.name)
            .arg(millis(heartbeat.interval()))
            .arg(new_job_id())
            .arg(if resolve_aws { "1" } else { "0" })
            .arg(millis(self.retention))
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(BeatResult {
            at_ms,
            resolved: (!resolved.is_empty()).then_some(resolved),
        })
    }

    /// Makes sure `heartbeat` has a pending check (a worker's start-up); starts the clock of one that never
    /// beat. Idempotent. Returns the pending check job's id.
    pub async fn arm(&self, heartbeat: &HeartbeatSettings) -> Result<String, StoreError> {
        Ok(scripts::ARM
            .key(self.key(&heartbeat.name))
            .arg(&self.prefix)
            .arg(&heartbeat.name)
            .arg(millis(heartbeat.interval()))
            .arg(new_job_id())
            .invoke_async(&mut self.conn.clone())
            .await?)
    }

    /// The check job `job_id`'s end for a heartbeat no longer configured: drops its state if `job_id` is
    /// its pending check, so a later re-add starts a fresh clock. Returns whether it was dropped.
    pub async fn forget(&self, name: &str, job_id: &str) -> Result<bool, StoreError> {
        let dropped: i64 = scripts::FORGET
            .key(self.key(name))
            .arg(&self.prefix)
            .arg(name)
            .arg(job_id)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(dropped == 1)
    }

    /// The check job `job_id`'s run: opens the incident of a missed deadline, or re-arms for the deadline.
    pub async fn check(
        &self,
        name: &str,
        job_id: &str,
        plan: &CheckPlan,
    ) -> Result<CheckOutcome, StoreError> {
        let (page, wait, plan_arn) = match &plan.page {
            Some((wait, arn)) => ("1", millis(*wait), arn.as_str()),
            None => ("0", 0, ""),
        };
        let reply: CheckReply = scripts::CHECK
            .key(self.key(name))
            .arg(&self.prefix)
            .arg(name)
            .arg(job_id)
            .arg(millis(plan.interval))
            .arg(page)
            .arg(wait)
            .arg(plan_arn)
            .arg(plan.slack_channel.as_deref().unwrap_or(""))
            .arg(millis(self.retention))
            .arg(new_job_id())
            .arg(new_job_id())
            .arg(format!(
                "Heartbeat {name} missed: no beat within its interval"
            ))
            .arg(format!(
                "Heartbeat {name} missed: no beat was ever received"
            ))
            .arg(millis(self.report_retention))
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(CheckOutcome::from_reply(reply)?)
    }

    /// The state of each heartbeat, read in one round trip against Redis's clock.
    pub async fn statuses(
        &self,
        heartbeats: &[HeartbeatSettings],
    ) -> Result<Vec<HeartbeatStatus>, StoreError> {
        let mut pipe = redis::pipe();
        pipe.cmd("TIME");
        for heartbeat in heartbeats {
            pipe.hgetall(self.key(&heartbeat.name));
        }
        let mut replies: Vec<redis::Value> = pipe.query_async(&mut self.conn.clone()).await?;
        let time = replies.remove(0);
        let (seconds, micros): (i64, i64) =
            redis::FromRedisValue::from_redis_value(time).map_err(redis::RedisError::from)?;
        let now_ms = seconds * 1000 + micros / 1000;
        heartbeats
            .iter()
            .zip(replies)
            .map(|(heartbeat, reply)| {
                let fields: HashMap<String, String> =
                    redis::FromRedisValue::from_redis_value(reply)
                        .map_err(redis::RedisError::from)?;
                Ok(HeartbeatStatus::from_fields(
                    &heartbeat.name,
                    heartbeat.interval(),
                    &fields,
                    now_ms,
                ))
            })
            .collect()
    }
}
