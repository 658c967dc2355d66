//! Reading a report's days from Redis: two reads per day (its counters and its samples), in one pipeline,
//! whatever the number of incidents.

use super::day_totals::DayTotals;
use super::oncall_report::{Report, ReportContext};
use crate::infra::redis_conn::RedisConnection;
use std::collections::HashMap;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("days must be between 1 and {max} (reports.retention_days); got {got}")]
    Days { got: u32, max: u32 },
    #[error("Redis is unavailable ({0}); check that Redis is running and that redis.host/port/password are right")]
    Redis(#[from] redis::RedisError),
    #[error("a day's report totals in Redis do not read as this release writes them ({0}); are processes of different releases sharing this Redis?")]
    Stored(#[from] redis::ParsingError),
}

#[derive(Clone)]
pub struct ReportReader {
    conn: RedisConnection,
    prefix: String,
    incident_retention: Duration,
    retention_days: u32,
    heartbeats_configured: bool,
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

    /// The report of the `days` UTC days that end with `end_day` (included).
    pub async fn report(&self, days: u32, end_day: i64) -> Result<Report, ReportError> {
        self.check_days(days)?;
        let first = end_day + 1 - i64::from(days);
        let mut pipe = redis::pipe();
        for day in first..=end_day {
            pipe.hgetall(format!("{}report:day:{day}", self.prefix));
            pipe.get(format!("{}report:times:{day}", self.prefix));
        }
        let replies: Vec<redis::Value> = pipe.query_async(&mut self.conn.clone()).await?;
        let mut totals = Vec::with_capacity(days as usize);
        for (day, pair) in (first..=end_day).zip(replies.chunks(2)) {
            let counters: HashMap<String, i64> = redis::from_redis_value(pair[0].clone())?;
            let samples: Option<String> = redis::from_redis_value(pair[1].clone())?;
            totals.push(DayTotals::parse(
                day,
                counters,
                samples.as_deref().unwrap_or(""),
            ));
        }
        let context = ReportContext {
            now_ms: chrono::Utc::now().timestamp_millis(),
            incident_retention_ms: self.incident_retention.as_millis() as i64,
            heartbeats_configured: self.heartbeats_configured,
        };
        Ok(Report::build(&totals, end_day, context))
    }
}
