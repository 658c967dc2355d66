use super::*;
use crate::domain::report::{DAY_MS, OTHER, UNKNOWN_SLACK_USER};

const HOUR_MS: i64 = 3_600_000;
use crate::domain::report::day_totals::{AckSample, LabelGroup, ResolveSample};
use std::collections::HashMap;

fn day(day: i64, counters: &[(&str, i64)]) -> DayTotals {
    let counters: HashMap<String, i64> =
        counters.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    DayTotals::parse(day, counters, "")
}

/// The counter of incidents of this severity and alertname (route r, team db).
fn group(severity: &str, alertname: &str) -> String {
    LabelGroup {
        severity: severity.into(),
        route: "r".into(),
        team: "db".into(),
        alertname: alertname.into(),
    }
    .field()
}

fn context(now_ms: i64) -> ReportContext {
    ReportContext {
        now_ms,
        incident_retention_ms: 2 * HOUR_MS,
        heartbeats_configured: true,
    }
}

#[test]
fn incidents_still_open_past_the_records_retention_are_closed_unresolved() {
    // Day 10: one incident opened in hour 0 and one in hour 5 never closed; the records live 2 h.
    let totals = [day(
        10,
        &[(&group("critical", "A"), 2), ("open:0", 1), ("open:5", 1)],
    )];
    let at = |hours: i64| 10 * DAY_MS + hours * HOUR_MS;
    let early = Report::build(&totals, 10, context(at(2)));
    assert_eq!((early.open, early.closed_unresolved), (2, 0));
    let later = Report::build(&totals, 10, context(at(3)));
    assert_eq!((later.open, later.closed_unresolved), (1, 1));
    let next_day = Report::build(&totals, 10, context(at(30)));
    assert_eq!((next_day.open, next_day.closed_unresolved), (0, 2));
}

#[test]
fn days_add_up_and_times_are_split_by_team_and_person() {
    let mut first = day(
        1,
        &[
            (&group("critical", "DiskFull"), 1),
            (&group("", "DiskFull"), 1),
            (&group("critical", "Cpu"), 1),
            ("noise", 1),
            ("noise:alert:DiskFull", 1),
            ("hb_miss", 1),
        ],
    );
    first.acks = vec![
        AckSample {
            ms: 1000,
            via: "link".into(),
            team: "db".into(),
            person: "alice".into(),
        },
        AckSample {
            ms: 3000,
            via: "link".into(),
            team: "db".into(),
            person: String::new(),
        },
    ];
    let mut second = day(2, &[(&group("critical", "Cpu"), 1)]);
    second.acks = vec![AckSample {
        ms: 5000,
        via: "slack".into(),
        team: String::new(),
        person: "alice".into(),
    }];
    second.resolves = vec![ResolveSample {
        ms: 60_000,
        team: "db".into(),
    }];
    let report = Report::build(&[first, second], 2, context(3 * DAY_MS));
    assert_eq!(report.days, 2);
    assert_eq!(report.from, "1970-01-02T00:00:00+00:00");
    assert_eq!(report.to, "1970-01-04T00:00:00+00:00");
    assert_eq!(report.total, 4);
    assert_eq!(report.by_severity.get("critical"), Some(&3));
    assert_eq!(report.by_team.get("db"), Some(&4));
    assert_eq!(report.by_severity.get(NO_LABEL), Some(&1));
    assert_eq!(
        report.time_to_ack_seconds,
        Percentiles {
            p50: Some(3.0),
            p90: Some(5.0)
        }
    );
    assert_eq!(
        report.acks_by["alice"],
        PersonAcks {
            count: 2,
            median_seconds: Some(1.0)
        }
    );
    assert_eq!(
        report.unnamed_link_acks,
        PersonAcks {
            count: 1,
            median_seconds: Some(3.0)
        }
    );
    assert_eq!(report.team_times["db"].time_to_ack_seconds.p90, Some(3.0));
    assert_eq!(
        report.team_times["db"].time_to_resolve_seconds.p50,
        Some(60.0)
    );
    assert_eq!(
        report.team_times[NO_LABEL].time_to_resolve_seconds.p50,
        None
    );
    assert_eq!(
        report.top_alerts,
        vec![
            AlertCount {
                alertname: "Cpu".into(),
                count: 2
            },
            AlertCount {
                alertname: "DiskFull".into(),
                count: 2
            }
        ]
    );
    assert_eq!(
        report.noise,
        Noise {
            count: 1,
            rate: 0.25
        }
    );
    assert_eq!(report.heartbeat_misses, Some(1));
}

#[test]
fn an_empty_report_has_no_percentiles_and_no_rate() {
    let report = Report::build(
        &[DayTotals::default()],
        0,
        ReportContext {
            now_ms: 0,
            incident_retention_ms: HOUR_MS,
            heartbeats_configured: false,
        },
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["time_to_ack_seconds"],
        serde_json::json!({"p50": null, "p90": null})
    );
    assert_eq!(json["noise"], serde_json::json!({"count": 0, "rate": 0.0}));
    assert!(json.get("heartbeat_misses").is_none());
    for key in [
        "total",
        "by_severity",
        "by_route",
        "by_team",
        "acknowledged",
        "escalated",
        "resolved_without_ack",
        "time_to_resolve_seconds",
        "acks_by",
        "top_alerts",
    ] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
}

#[test]
fn label_maps_keep_the_fifty_largest_and_sum_the_rest() {
    let counters: Vec<(String, i64)> = (0..80)
        .map(|n| {
            let field = LabelGroup {
                severity: "critical".into(),
                route: format!("route-{n:02}"),
                team: "db".into(),
                alertname: "A".into(),
            }
            .field();
            (field, if n < 10 { 5 } else { 1 })
        })
        .collect();
    let refs: Vec<(&str, i64)> = counters.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let report = Report::build(&[day(1, &refs)], 1, context(2 * DAY_MS));
    assert_eq!(report.total, 10 * 5 + 70);
    assert_eq!(report.by_route.len(), 50);
    assert_eq!(report.by_route["route-00"], 5);
    assert_eq!(
        report.by_route[OTHER],
        120 - 10 * 5 - 39,
        "the 31 smallest are summed"
    );
    assert_eq!(report.by_route.values().sum::<u64>(), report.total);
}

#[test]
fn a_slack_ack_without_a_user_is_not_an_unnamed_link_ack_and_skipped_samples_are_told() {
    let mut totals = day(1, &[("samples_skipped", 7)]);
    totals.acks = vec![
        AckSample {
            ms: 1000,
            via: "slack".into(),
            team: String::new(),
            person: String::new(),
        },
        AckSample {
            ms: 2000,
            via: "link".into(),
            team: String::new(),
            person: String::new(),
        },
    ];
    let report = Report::build(&[totals], 1, context(2 * DAY_MS));
    assert_eq!(report.acks_by[UNKNOWN_SLACK_USER].count, 1);
    assert_eq!(report.unnamed_link_acks.count, 1);
    assert_eq!(report.time_samples_skipped, 7);
}

#[test]
fn merging_days_holds_a_bounded_number_of_keys_and_keeps_totals_exact() {
    let days: Vec<DayTotals> = (0..6)
        .map(|d| {
            let fields: Vec<(String, i64)> = (0..1_000)
                .map(|n| {
                    let field = LabelGroup {
                        severity: "critical".into(),
                        route: format!("route-{d}-{n}"),
                        team: format!("team-{n}"),
                        alertname: "A".into(),
                    }
                    .field();
                    (field, 1)
                })
                .collect();
            let refs: Vec<(&str, i64)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            let mut totals = day(d, &refs);
            totals.acks = (0..60)
                .map(|t| AckSample {
                    ms: 1000,
                    via: "link".into(),
                    team: format!("team-{t}"),
                    person: "alice".into(),
                })
                .collect();
            totals
        })
        .collect();
    let report = Report::build(&days, 5, context(6 * DAY_MS));
    assert_eq!(report.total, 6_000);
    assert_eq!(report.by_route.values().sum::<u64>(), 6_000);
    assert_eq!(report.by_route.len(), 50);
    assert_eq!(
        report.team_times.len(),
        50,
        "49 teams and (other), for acks and resolves alike"
    );
    assert!(report.team_times.contains_key(OTHER));
}
