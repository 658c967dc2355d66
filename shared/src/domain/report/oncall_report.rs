//! The on-call report over a run of days, built from each day's totals (docs/reports.md defines each key).

use super::day::{day_start, DAY_MS};
use super::day_totals::DayTotals;
use super::percentiles::nearest_rank;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How a missing label (no `team`, no severity, ...) is shown.
pub const NO_LABEL: &str = "(none)";
/// How many alertnames `top_alerts` and `noisy_alerts` list.
const TOP: usize = 10;
const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

impl Percentiles {
    fn of(mut ms: Vec<i64>) -> Self {
        Self {
            p50: nearest_rank(&mut ms, 50.0).map(seconds),
            p90: nearest_rank(&mut ms, 90.0).map(seconds),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TeamTimes {
    pub time_to_ack_seconds: Percentiles,
    pub time_to_resolve_seconds: Percentiles,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PersonAcks {
    pub count: u64,
    pub median_seconds: Option<f64>,
}

impl PersonAcks {
    fn of(mut ms: Vec<i64>) -> Self {
        Self {
            count: ms.len() as u64,
            median_seconds: nearest_rank(&mut ms, 50.0).map(seconds),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Noise {
    pub count: u64,
    /// Noise marks over incidents; 0 when there were none.
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertCount {
    pub alertname: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    pub noise: Noise,
    pub top_alerts: Vec<AlertCount>,
    pub noisy_alerts: Vec<AlertCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_misses: Option<u64>,
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn label(value: &str) -> String {
    if value.is_empty() {
        NO_LABEL.to_string()
    } else {
        value.to_string()
    }
}

fn count(value: i64) -> u64 {
    value.max(0) as u64
}

fn add_labelled(into: &mut BTreeMap<String, u64>, day: &DayTotals, prefix: &str) {
    for (value, n) in day.labelled(prefix) {
        *into.entry(label(value)).or_default() += count(n);
    }
}

fn top(counts: BTreeMap<String, u64>) -> Vec<AlertCount> {
    let mut list: Vec<AlertCount> = counts
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(alertname, count)| AlertCount { alertname, count })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then(a.alertname.cmp(&b.alertname)));
    list.truncate(TOP);
    list
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
        let first_day = end_day + 1 - days.len() as i64;
        let mut report = Report {
            days: days.len() as u32,
            from: day_start(first_day).to_rfc3339(),
            to: day_start(end_day + 1).to_rfc3339(),
            ..Default::default()
        };
        let (mut alerts, mut noisy) = (BTreeMap::new(), BTreeMap::new());
        let (mut acks, mut resolves) = (Vec::new(), Vec::new());
        let mut team_acks: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut team_resolves: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut people: HashMap<String, Vec<i64>> = HashMap::new();
        let mut unnamed = Vec::new();
        let mut heartbeat_misses = 0;
        for day in days {
            for (group, n) in &day.groups {
                let n = count(*n);
                report.total += n;
                *report
                    .by_severity
                    .entry(label(&group.severity))
                    .or_default() += n;
                *report.by_route.entry(label(&group.route)).or_default() += n;
                *report.by_team.entry(label(&group.team)).or_default() += n;
                *alerts.entry(label(&group.alertname)).or_default() += n;
            }
            add_labelled(&mut noisy, day, "noise:alert");
            report.acknowledged += count(day.counter("acked"));
            report.escalated += count(day.counter("escalated"));
            report.paged += count(day.counter("paged"));
            report.resolved += count(day.counter("resolved"));
            report.resolved_without_ack += count(day.counter("resolved_without_ack"));
            report.closed_unresolved += count(day.counter("closed_unresolved"));
            report.noise.count += count(day.counter("noise"));
            heartbeat_misses += count(day.counter("hb_miss"));
            for (hour, open) in day.labelled("open") {
                let Ok(hour) = hour.parse::<i64>() else {
                    continue;
                };
                let hour_end = day.day * DAY_MS + (hour + 1) * HOUR_MS;
                // Nothing runs when a record expires: an incident still open past the records' retention
                // can no longer be acked or resolved, so it closed unresolved then.
                if hour_end + context.incident_retention_ms <= context.now_ms {
                    report.closed_unresolved += count(open);
                } else {
                    report.open += count(open);
                }
            }
            for ack in &day.acks {
                acks.push(ack.ms);
                team_acks.entry(label(&ack.team)).or_default().push(ack.ms);
                if ack.person.is_empty() {
                    unnamed.push(ack.ms);
                } else {
                    people.entry(ack.person.clone()).or_default().push(ack.ms);
                }
            }
            for resolve in &day.resolves {
                resolves.push(resolve.ms);
                team_resolves
                    .entry(label(&resolve.team))
                    .or_default()
                    .push(resolve.ms);
            }
        }
        report.time_to_ack_seconds = Percentiles::of(acks);
        report.time_to_resolve_seconds = Percentiles::of(resolves);
        for team in team_acks.keys().chain(team_resolves.keys()) {
            report.team_times.entry(team.clone()).or_default();
        }
        for (team, times) in report.team_times.iter_mut() {
            times.time_to_ack_seconds =
                Percentiles::of(team_acks.get(team).cloned().unwrap_or_default());
            times.time_to_resolve_seconds =
                Percentiles::of(team_resolves.get(team).cloned().unwrap_or_default());
        }
        report.acks_by = people
            .into_iter()
            .map(|(person, ms)| (person, PersonAcks::of(ms)))
            .collect();
        report.unnamed_link_acks = PersonAcks::of(unnamed);
        if report.total > 0 {
            report.noise.rate = report.noise.count as f64 / report.total as f64;
        }
        report.top_alerts = top(alerts);
        report.noisy_alerts = top(noisy);
        report.heartbeat_misses = context.heartbeats_configured.then_some(heartbeat_misses);
        report
    }
}

#[cfg(test)]
#[path = "oncall_report_tests.rs"]
mod tests;
