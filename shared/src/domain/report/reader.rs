//! Reading a report's days from Redis: two reads per day (its counters and its samples), one day at a time, so
//! that neither Redis nor the reader ever holds more than a day (both are bounded when written: see
//! `lua/lib.lua`). One report is built at a time per reader; another asked meanwhile is refused as busy.

use super::builder::ReportBuilder;
use super::day_totals::DayTotals;
use super::oncall_report::{Report, ReportContext};
use crate::infra::redis_conn::RedisConnection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::Semaphore;

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("days must be between 1 and {max} (reports.retention_days); got {got}")]
    Days { got: u32, max: u32 },
    #[error("Redis is unavailable ({0}); check that Redis is running and that redis.host/port/password are right")]
    Redis(#[from] redis::RedisError),
    #[error("a day's report totals in Redis do not read as this release writes them ({0}); are processes of different releases sharing this Redis?")]
    Stored(#[from] redis::ParsingError),
    #[error("another on-call report is being built by this process; retry in a few seconds")]
    Busy,
}

#[derive(Clone)]
pub struct ReportReader {
    conn: RedisConnection,
    prefix: String,
    incident_retention: Duration,
    retention_days: u32,
    heartbeats_configured: bool,
    /// One report at a time: each holds up to a day of samples while it reads.
    building: Arc<Semaphore>,
}

impl ReportReader {
    pub fn new(
        conn: impl Into<RedisConnection>,
        prefix: &str,
        incident_retention: Duration,
        retention_days: u32,
        heartbeats_configured: bool,
    ) -> Self {
        Self {
            conn: conn.into(),
            prefix: prefix.to_string(),
            incident_retention,
            retention_days,
            heartbeats_configured,
            building: Arc::new(Semaphore::new(1)),
        }
    }

    /// The reader the settings describe.
    pub fn from_settings(conn: RedisConnection, settings: &crate::infra::config::Settings) -> Self {
        Self::new(
            conn,
            &settings.redis.stored_prefix(),
            settings.redis.retention(),
            settings.reports.retention_days,
            !settings.heartbeats.is_empty(),
        )
    }

    /// Checks a requested number of days: 1 to `reports.retention_days`.
    pub fn check_days(&self, days: u32) -> Result<(), ReportError> {
        if (1..=self.retention_days).contains(&days) {
            Ok(())
        } else {
            Err(ReportError::Days {
                got: days,
                max: self.retention_days,
            })
        }
    }

    pub fn max_days(&self) -> u32 {
        self.retention_days
    }

    /// The report of the `days` UTC days that end with `end_day` (included). [`ReportError::Busy`] while
    /// another report is being built by this reader.
    pub async fn report(&self, days: u32, end_day: i64) -> Result<Report, ReportError> {
        self.check_days(days)?;
        let _building = self.building.try_acquire().map_err(|_| ReportError::Busy)?;
        let first = end_day + 1 - i64::from(days);
        let context = ReportContext {
            now_ms: chrono::Utc::now().timestamp_millis(),
            incident_retention_ms: self.incident_retention.as_millis() as i64,
            heartbeats_configured: self.heartbeats_configured,
        };
        let mut builder = ReportBuilder::new(days, end_day, context);
        let mut conn = self.conn.clone();
        for day in first..=end_day {
            let (counters, samples): (HashMap<String, i64>, Option<String>) = redis::pipe()
                .hgetall(format!("{}report:day:{day}", self.prefix))
                .get(format!("{}report:times:{day}", self.prefix))
                .query_async(&mut conn)
                .await?;
            builder.add(DayTotals::parse(
                day,
                counters,
                samples.as_deref().unwrap_or(""),
            ));
        }
        Ok(builder.finish())
    }
}
