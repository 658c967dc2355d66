use super::*;
use crate::infra::config::next_monday_nine;
use chrono::{TimeZone, Utc};

#[test]
fn reports_default_to_ninety_days_and_a_weekly_digest_that_is_off() {
    let (_dir, path) = write_config("name: versus\n");
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    assert_eq!(settings.reports.retention_days, 90);
    let digest = &settings.reports.digest;
    assert!(!digest.enable);
    assert_eq!(
        digest.period(),
        Some(std::time::Duration::from_secs(7 * 86_400))
    );
    assert_eq!(digest.channel("C1"), "C1");
}

#[test]
fn a_digest_reads_seconds_periods_and_an_rfc3339_anchor() {
    let (_dir, path) = write_config(
        "reports:\n  retention_days: 30\n  digest:\n    enable: true\n    every: 3s\n    first_at: \"2026-12-07T09:00:00+01:00\"\n    channel_id: CDIGEST\n",
    );
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    let digest = &settings.reports.digest;
    assert_eq!(digest.period(), Some(std::time::Duration::from_secs(3)));
    assert_eq!(
        digest.first_anchor(Utc::now()),
        Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap()
    );
    assert_eq!(digest.channel("C1"), "CDIGEST");
}

#[test]
fn the_default_anchor_is_the_next_monday_at_nine_utc() {
    // 2026-12-06 is a Sunday.
    let sunday = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    assert_eq!(
        next_monday_nine(sunday),
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
    );
    let monday_at_nine = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    assert_eq!(
        next_monday_nine(monday_at_nine),
        Utc.with_ymd_and_hms(2026, 12, 14, 9, 0, 0).unwrap()
    );
    let monday_early = Utc.with_ymd_and_hms(2026, 12, 7, 8, 59, 0).unwrap();
    assert_eq!(
        next_monday_nine(monday_early),
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
    );
}

#[test]
fn a_bad_reports_value_is_named() {
    let cases = [
        ("reports:\n  retention_days: 0\n", "reports.retention_days"),
        (
            "reports:\n  retention_days: 400\n",
            "reports.retention_days",
        ),
        (
            "redis:\n  retention_hours: 1000\nreports:\n  retention_days: 10\n",
            "reports.retention_days",
        ),
        (
            "reports:\n  digest:\n    every: weekly\n",
            "reports.digest.every",
        ),
        (
            "reports:\n  digest:\n    every: 0s\n",
            "reports.digest.every",
        ),
        (
            "reports:\n  digest:\n    first_at: next monday\n",
            "reports.digest.first_at",
        ),
        (
            "reports:\n  digest:\n    channel_id: '<!channel>'\n",
            "reports.digest.channel_id",
        ),
        (
            "reports:\n  digest:\n    enable: true\n",
            "reports.digest.channel_id",
        ),
        ("reports:\n  digest:\n    evry: 7d\n", "reports.digest.evry"),
    ];
    for (text, key) in cases {
        let (_dir, path) = write_config(text);
        let error = load_with_env(&path, &HashMap::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains(key), "{text}: {error}");
    }
}
