//! Builds the report one day at a time, so that only the day being read and the figures so far are held.

use super::day::{day_start, DAY_MS};
use super::day_totals::DayTotals;
use super::oncall_report::{AlertCount, Percentiles, PersonAcks, Report, ReportContext, NO_LABEL};
use std::collections::{BTreeMap, HashMap};

/// How many alertnames `top_alerts` and `noisy_alerts` list.
const TOP: usize = 10;
/// How many entries each per-label map (`by_route`, `acks_by`, ...) lists; the rest are summed under
/// [`OTHER`]. Label values are the senders', so their variety is too; a report stays readable and small.
const MAX_ENTRIES: usize = 50;
pub const OTHER: &str = "(other)";
/// Who a Slack ack is credited to when Slack sent no valid user id.
pub const UNKNOWN_SLACK_USER: &str = "(unknown Slack user)";
const HOUR_MS: i64 = 3_600_000;

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

/// The `MAX_ENTRIES` largest counts, and the rest summed under [`OTHER`].
fn capped(counts: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    if counts.len() <= MAX_ENTRIES {
        return counts;
    }
    let mut entries: Vec<(String, u64)> = counts.into_iter().collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let rest: u64 = entries.drain(MAX_ENTRIES - 1..).map(|(_, n)| n).sum();
    let mut kept: BTreeMap<String, u64> = entries.into_iter().collect();
    *kept.entry(OTHER.to_string()).or_default() += rest;
    kept
}

/// The samples of the `MAX_ENTRIES` keys with the most, and the rest pooled under [`OTHER`].
fn capped_samples(
    samples: impl IntoIterator<Item = (String, Vec<i64>)>,
) -> Vec<(String, Vec<i64>)> {
    let mut entries: Vec<(String, Vec<i64>)> = samples.into_iter().collect();
    if entries.len() <= MAX_ENTRIES {
        return entries;
    }
    entries.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let rest: Vec<i64> = entries
        .drain(MAX_ENTRIES - 1..)
        .flat_map(|(_, ms)| ms)
        .collect();
    entries.push((OTHER.to_string(), rest));
    entries
}

pub struct ReportBuilder {
    report: Report,
    context: ReportContext,
    alerts: BTreeMap<String, u64>,
    noisy: BTreeMap<String, u64>,
    acks: Vec<i64>,
    resolves: Vec<i64>,
    team_acks: HashMap<String, Vec<i64>>,
    team_resolves: HashMap<String, Vec<i64>>,
    people: HashMap<String, Vec<i64>>,
    unnamed: Vec<i64>,
    heartbeat_misses: u64,
}

impl ReportBuilder {
    /// A report of `days` days ending with `end_day`, to which each day is then added.
    pub fn new(days: u32, end_day: i64, context: ReportContext) -> Self {
        let first_day = end_day + 1 - i64::from(days);
        Self {
            report: Report {
                days,
                from: day_start(first_day).to_rfc3339(),
                to: day_start(end_day + 1).to_rfc3339(),
                ..Default::default()
            },
            context,
            alerts: BTreeMap::new(),
            noisy: BTreeMap::new(),
            acks: Vec::new(),
            resolves: Vec::new(),
            team_acks: HashMap::new(),
            team_resolves: HashMap::new(),
            people: HashMap::new(),
            unnamed: Vec::new(),
            heartbeat_misses: 0,
        }
    }

    pub fn add(&mut self, day: DayTotals) {
        let report = &mut self.report;
        for (group, n) in &day.groups {
            let n = count(*n);
            report.total += n;
            *report
                .by_severity
                .entry(label(&group.severity))
                .or_default() += n;
            *report.by_route.entry(label(&group.route)).or_default() += n;
            *report.by_team.entry(label(&group.team)).or_default() += n;
            *self.alerts.entry(label(&group.alertname)).or_default() += n;
        }
        for (alertname, n) in day.labelled("noise:alert") {
            *self.noisy.entry(label(alertname)).or_default() += count(n);
        }
        report.acknowledged += count(day.counter("acked"));
        report.escalated += count(day.counter("escalated"));
        report.paged += count(day.counter("paged"));
        report.resolved += count(day.counter("resolved"));
        report.resolved_without_ack += count(day.counter("resolved_without_ack"));
        report.closed_unresolved += count(day.counter("closed_unresolved"));
        report.noise.count += count(day.counter("noise"));
        report.time_samples_skipped += count(day.counter("samples_skipped"));
        self.heartbeat_misses += count(day.counter("hb_miss"));
        for (hour, open) in day.labelled("open") {
            let Ok(hour) = hour.parse::<i64>() else {
                continue;
            };
            let hour_end = day.day * DAY_MS + (hour + 1) * HOUR_MS;
            // Nothing runs when a record expires: an incident still open past the records' retention
            // can no longer be acked or resolved, so it closed unresolved then.
            if hour_end + self.context.incident_retention_ms <= self.context.now_ms {
                report.closed_unresolved += count(open);
            } else {
                report.open += count(open);
            }
        }
        for ack in day.acks {
            self.acks.push(ack.ms);
            self.team_acks
                .entry(label(&ack.team))
                .or_default()
                .push(ack.ms);
            match (ack.person.is_empty(), ack.via.as_str()) {
                (true, "slack") => self
                    .people
                    .entry(UNKNOWN_SLACK_USER.to_string())
                    .or_default()
                    .push(ack.ms),
                (true, _) => self.unnamed.push(ack.ms),
                (false, _) => self.people.entry(ack.person).or_default().push(ack.ms),
            }
        }
        for resolve in day.resolves {
            self.resolves.push(resolve.ms);
            self.team_resolves
                .entry(label(&resolve.team))
                .or_default()
                .push(resolve.ms);
        }
    }

    pub fn finish(self) -> Report {
        let mut report = self.report;
        report.time_to_ack_seconds = Percentiles::of(self.acks);
        report.time_to_resolve_seconds = Percentiles::of(self.resolves);
        for (team, ms) in capped_samples(self.team_acks) {
            report
                .team_times
                .entry(team)
                .or_default()
                .time_to_ack_seconds = Percentiles::of(ms);
        }
        for (team, ms) in capped_samples(self.team_resolves) {
            report
                .team_times
                .entry(team)
                .or_default()
                .time_to_resolve_seconds = Percentiles::of(ms);
        }
        report.acks_by = capped_samples(self.people)
            .into_iter()
            .map(|(person, ms)| (person, PersonAcks::of(ms)))
            .collect();
        report.unnamed_link_acks = PersonAcks::of(self.unnamed);
        report.by_severity = capped(report.by_severity);
        report.by_route = capped(report.by_route);
        report.by_team = capped(report.by_team);
        if report.total > 0 {
            report.noise.rate = report.noise.count as f64 / report.total as f64;
        }
        report.top_alerts = top(self.alerts);
        report.noisy_alerts = top(self.noisy);
        report.heartbeat_misses = self
            .context
            .heartbeats_configured
            .then_some(self.heartbeat_misses);
        report
    }
}
