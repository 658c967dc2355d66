//! Builds the report one day at a time: only the day being read is held, and the figures so far, whose
//! distinct keys are bounded.

use super::day::{day_start, DAY_MS};
use super::day_totals::DayTotals;
use super::oncall_report::{
    AlertCount, Percentiles, PersonAcks, Report, ReportContext, TeamTimes, NO_LABEL,
};
use std::collections::{BTreeMap, HashMap};

/// How many alertnames `top_alerts` and `noisy_alerts` list.
const TOP: usize = 10;
/// How many entries each per-label map (`by_route`, `acks_by`, ...) lists; the rest are summed under
/// [`OTHER`]. Label values are the senders', so their variety is too; a report stays readable and small.
const MAX_ENTRIES: usize = 50;
pub const OTHER: &str = "(other)";
/// How many distinct keys each map holds while the days are merged; a key past that is counted under
/// [`OTHER`], so totals stay exact and a report's memory is bounded whatever the labels of 90 days were.
const MAX_DISTINCT: usize = 5_000;
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

fn top(counts: HashMap<String, u64>) -> Vec<AlertCount> {
    let mut list: Vec<AlertCount> = counts
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(alertname, count)| AlertCount { alertname, count })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then(a.alertname.cmp(&b.alertname)));
    list.truncate(TOP);
    list
}

/// The entry of `key` in `map`, or of [`OTHER`] once the map holds [`MAX_DISTINCT`] keys.
fn entry<'a, V: Default>(map: &'a mut HashMap<String, V>, key: &str) -> &'a mut V {
    let key = if map.len() >= MAX_DISTINCT && !map.contains_key(key) {
        OTHER
    } else {
        key
    };
    map.entry(key.to_string()).or_default()
}

/// The [`MAX_ENTRIES`] - 1 largest entries by `size`, and all the others (with any [`OTHER`] the merge
/// already made) merged under [`OTHER`] by `merge`.
fn capped<V: Default>(
    mut map: HashMap<String, V>,
    size: impl Fn(&V) -> usize,
    merge: impl Fn(&mut V, V),
) -> Vec<(String, V)> {
    let other = map.remove(OTHER);
    let mut entries: Vec<(String, V)> = map.into_iter().collect();
    if entries.len() + usize::from(other.is_some()) <= MAX_ENTRIES {
        entries.extend(other.map(|v| (OTHER.to_string(), v)));
        return entries;
    }
    entries.sort_by(|a, b| size(&b.1).cmp(&size(&a.1)).then(a.0.cmp(&b.0)));
    let mut rest = other.unwrap_or_default();
    for (_, value) in entries.drain(MAX_ENTRIES - 1..) {
        merge(&mut rest, value);
    }
    entries.push((OTHER.to_string(), rest));
    entries
}

fn capped_counts(counts: HashMap<String, u64>) -> BTreeMap<String, u64> {
    capped(counts, |n| *n as usize, |sum, n| *sum += n)
        .into_iter()
        .collect()
}

fn capped_samples(samples: HashMap<String, Vec<i64>>) -> Vec<(String, Vec<i64>)> {
    capped(samples, Vec::len, |all, ms| all.extend(ms))
}

pub struct ReportBuilder {
    report: Report,
    context: ReportContext,
    by_severity: HashMap<String, u64>,
    by_route: HashMap<String, u64>,
    by_team: HashMap<String, u64>,
    alerts: HashMap<String, u64>,
    noisy: HashMap<String, u64>,
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
            by_severity: HashMap::new(),
            by_route: HashMap::new(),
            by_team: HashMap::new(),
            alerts: HashMap::new(),
            noisy: HashMap::new(),
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
            *entry(&mut self.by_severity, &label(&group.severity)) += n;
            *entry(&mut self.by_route, &label(&group.route)) += n;
            *entry(&mut self.by_team, &label(&group.team)) += n;
            *entry(&mut self.alerts, &label(&group.alertname)) += n;
        }
        for (alertname, n) in day.labelled("noise:alert") {
            *entry(&mut self.noisy, &label(alertname)) += count(n);
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
            entry(&mut self.team_acks, &label(&ack.team)).push(ack.ms);
            match (ack.person.is_empty(), ack.via.as_str()) {
                (true, "slack") => entry(&mut self.people, UNKNOWN_SLACK_USER).push(ack.ms),
                (true, _) => self.unnamed.push(ack.ms),
                (false, _) => entry(&mut self.people, &ack.person).push(ack.ms),
            }
        }
        for resolve in day.resolves {
            self.resolves.push(resolve.ms);
            entry(&mut self.team_resolves, &label(&resolve.team)).push(resolve.ms);
        }
    }

    pub fn finish(self) -> Report {
        let mut report = self.report;
        report.time_to_ack_seconds = Percentiles::of(self.acks);
        report.time_to_resolve_seconds = Percentiles::of(self.resolves);
        report.team_times = team_times(self.team_acks, self.team_resolves);
        report.acks_by = capped_samples(self.people)
            .into_iter()
            .map(|(person, ms)| (person, PersonAcks::of(ms)))
            .collect();
        report.unnamed_link_acks = PersonAcks::of(self.unnamed);
        report.by_severity = capped_counts(self.by_severity);
        report.by_route = capped_counts(self.by_route);
        report.by_team = capped_counts(self.by_team);
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

/// Each team's times; the teams with the most acks and resolves together, the rest pooled under [`OTHER`].
fn team_times(
    acks: HashMap<String, Vec<i64>>,
    resolves: HashMap<String, Vec<i64>>,
) -> BTreeMap<String, TeamTimes> {
    let mut teams: HashMap<String, (Vec<i64>, Vec<i64>)> = HashMap::new();
    for (team, ms) in acks {
        teams.entry(team).or_default().0.extend(ms);
    }
    for (team, ms) in resolves {
        teams.entry(team).or_default().1.extend(ms);
    }
    let entries = capped(
        teams,
        |(acks, resolves)| acks.len() + resolves.len(),
        |(all_acks, all_resolves), (acks, resolves)| {
            all_acks.extend(acks);
            all_resolves.extend(resolves);
        },
    );
    entries
        .into_iter()
        .map(|(team, (acks, resolves))| {
            let times = TeamTimes {
                time_to_ack_seconds: Percentiles::of(acks),
                time_to_resolve_seconds: Percentiles::of(resolves),
            };
            (team, times)
        })
        .collect()
}
