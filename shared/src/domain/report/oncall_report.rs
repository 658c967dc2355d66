//! The on-call report over a run of days, built from each day's totals (docs/reports.md defines each key).

use super::builder::ReportBuilder;
use super::day_totals::DayTotals;
use super::percentiles::nearest_rank;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a missing label (no `team`, no severity, ...) is shown.
pub const NO_LABEL: &str = "(none)";

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

impl Percentiles {
    pub(super) fn of(mut ms: Vec<i64>) -> Self {
        Self {
            p50: nearest_rank(&mut ms, 50.0).map(seconds),
            p90: nearest_rank(&mut ms, 90.0).map(seconds),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamTimes {
    pub time_to_ack_seconds: Percentiles,
    pub time_to_resolve_seconds: Percentiles,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonAcks {
    pub count: u64,
    pub median_seconds: Option<f64>,
}

impl PersonAcks {
    pub(super) fn of(mut ms: Vec<i64>) -> Self {
        Self {
            count: ms.len() as u64,
            median_seconds: nearest_rank(&mut ms, 50.0).map(seconds),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    pub count: u64,
    /// Noise marks over incidents; 0 when there were none.
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCount {
    pub alertname: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    pub days: u32,
    /// Start of the first day (UTC, RFC 3339).
    pub from: String,
    /// End of the last day (exclusive).
    pub to: String,
    pub total: u64,
    pub by_severity: BTreeMap<String, u64>,
    pub by_route: BTreeMap<String, u64>,
    pub by_team: BTreeMap<String, u64>,
    pub acknowledged: u64,
    pub escalated: u64,
    pub paged: u64,
    pub resolved: u64,
    pub resolved_without_ack: u64,
    pub closed_unresolved: u64,
    pub open: u64,
    pub time_to_ack_seconds: Percentiles,
    pub time_to_resolve_seconds: Percentiles,
    pub team_times: BTreeMap<String, TeamTimes>,
    pub acks_by: BTreeMap<String, PersonAcks>,
    pub unnamed_link_acks: PersonAcks,
    /// Acks and resolves left out of the times because their day already held as many as a day keeps.
    pub time_samples_skipped: u64,
    pub noise: Noise,
    pub top_alerts: Vec<AlertCount>,
    pub noisy_alerts: Vec<AlertCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_misses: Option<u64>,
}

pub(super) fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// What the report needs to know besides the days' totals.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext {
    pub now_ms: i64,
    /// `redis.retention_hours`: an incident still open this long after it opened has expired.
    pub incident_retention_ms: i64,
    pub heartbeats_configured: bool,
}

impl Report {
    /// The report of `days` (consecutive, oldest first, ending with `end_day`). A day with nothing stored
    /// counts as empty.
    pub fn build(days: &[DayTotals], end_day: i64, context: ReportContext) -> Self {
        let mut builder = ReportBuilder::new(days.len() as u32, end_day, context);
        for day in days {
            builder.add(day.clone());
        }
        builder.finish()
    }
}

#[cfg(test)]
#[path = "oncall_report_tests.rs"]
mod tests;
