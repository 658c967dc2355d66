//! The report as the digest reads it: the keys of `domain::report::Report`'s JSON (the same the report API
//! answers), so the digest depends on the contract's keys rather than on the type's layout. Missing keys
//! read as zero or empty.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ReportView {
    pub from: String,
    pub to: String,
    pub total: u64,
    pub acknowledged: u64,
    pub paged: u64,
    pub resolved_without_ack: u64,
    pub time_to_ack_seconds: Percentiles,
    pub time_to_resolve_seconds: Percentiles,
    /// Person (`slack:U…` for a Slack user, else the name typed on the ack page) to their acks.
    pub acks_by: BTreeMap<String, Acks>,
    pub unnamed_link_acks: Acks,
    pub noise: Noise,
    pub top_alerts: Vec<AlertCount>,
    pub noisy_alerts: Vec<AlertCount>,
}

/// p50 and p90 in seconds; `None` without samples.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Percentiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Acks {
    pub count: u64,
    pub median_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Noise {
    pub count: u64,
    /// Incidents marked as noise over all incidents, 0 to 1.
    pub rate: f64,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct AlertCount {
    pub alertname: String,
    pub count: u64,
}

impl ReportView {
    /// The view of any serialisable report; a report whose JSON lacks a key reads it as empty.
    pub fn of(report: &impl serde::Serialize) -> serde_json::Result<Self> {
        serde_json::from_value(serde_json::to_value(report)?)
    }
}
