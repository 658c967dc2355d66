//! `reports`: how long incident summaries are kept for on-call reports, and the periodic Slack digest
//! (see `domain::report`).

use super::validate::Problems;
use chrono::{DateTime, Datelike, Duration as Span, FixedOffset, TimeZone, Utc};
use serde::Deserialize;
use std::time::Duration;

/// The shortest retention: a report always covers at least one whole day.
pub const MIN_REPORT_RETENTION_DAYS: u32 = 1;
/// The longest retention: summaries past a year are better kept in a warehouse than in Redis's memory.
pub const MAX_REPORT_RETENTION_DAYS: u32 = 366;
/// The shortest digest period: below a second the queue's own scheduling is the period.
pub const MIN_DIGEST_EVERY: Duration = Duration::from_secs(1);
/// The longest digest period.
pub const MAX_DIGEST_EVERY: Duration = Duration::from_secs(366 * 86_400);

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ReportSettings {
    /// Days each incident summary and each day's aggregate is kept (1 to 366).
    pub retention_days: u32,
    pub digest: DigestSettings,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            retention_days: 90,
            digest: DigestSettings::default(),
        }
    }
}

impl ReportSettings {
    pub fn retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.retention_days) * 86_400)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DigestSettings {
    pub enable: bool,
    /// The period, as a duration (`7d`, `12h`, `30s`).
    pub every: String,
    /// The first period's end, RFC 3339; empty means the next Monday 09:00 UTC.
    pub first_at: String,
    /// Where the digest is posted; empty means `alert.slack.channel_id`.
    pub channel_id: String,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            enable: false,
            every: "7d".into(),
            first_at: String::new(),
            channel_id: String::new(),
        }
    }
}

impl DigestSettings {
    /// The period; `None` when `every` is not a duration (validation names it).
    pub fn period(&self) -> Option<Duration> {
        humantime::parse_duration(self.every.trim()).ok()
    }

    /// The configured anchor; `None` when `first_at` is empty or not RFC 3339 (validation names the latter).
    pub fn configured_anchor(&self) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(self.first_at.trim()).ok()
    }

    /// The first period's end: `first_at`, or else the next Monday 09:00 UTC after `now`.
    pub fn first_anchor(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if let Some(anchor) = self.configured_anchor() {
            return anchor.with_timezone(&Utc);
        }
        next_monday_nine(now)
    }

    /// The channel the digest goes to.
    pub fn channel<'a>(&'a self, default_channel: &'a str) -> &'a str {
        if self.channel_id.is_empty() {
            default_channel
        } else {
            &self.channel_id
        }
    }
}

/// The first Monday 09:00 UTC strictly after `now`.
pub fn next_monday_nine(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.date_naive();
    let days_ahead = (7 - today.weekday().num_days_from_monday()) % 7;
    let mut candidate = Utc.from_utc_datetime(
        &(today + Span::days(i64::from(days_ahead)))
            .and_hms_opt(9, 0, 0)
            .expect("09:00:00 is a valid time"),
    );
    if candidate <= now {
        candidate += Span::days(7);
    }
    candidate
}

/// The section's problems, named by `reports.key`.
pub(super) fn check(p: &mut Problems, reports: &ReportSettings, slack_channel: &str) {
    p.check(
        (MIN_REPORT_RETENTION_DAYS..=MAX_REPORT_RETENTION_DAYS).contains(&reports.retention_days),
        "reports.retention_days",
        format!("must be between {MIN_REPORT_RETENTION_DAYS} and {MAX_REPORT_RETENTION_DAYS} days"),
    );
    let digest = &reports.digest;
    match digest.period() {
        Some(period) => p.check(
            (MIN_DIGEST_EVERY..=MAX_DIGEST_EVERY).contains(&period),
            "reports.digest.every",
            "must be between 1s and 366d",
        ),
        None => p.check(
            false,
            "reports.digest.every",
            format!(
                "is {:?}, not a duration; write it like 7d, 24h or 30s",
                digest.every
            ),
        ),
    }
    p.check(
        digest.first_at.trim().is_empty() || digest.configured_anchor().is_some(),
        "reports.digest.first_at",
        format!(
            "is {:?}, not an RFC 3339 time; write it like 2026-12-07T09:00:00+01:00, or leave it empty for the next Monday 09:00 UTC",
            digest.first_at
        ),
    );
    p.check(
        digest.channel_id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "reports.digest.channel_id",
        "must be a Slack channel id (C0123...), or empty for alert.slack.channel_id",
    );
    p.check(
        !digest.enable || !digest.channel(slack_channel).is_empty(),
        "reports.digest.channel_id",
        "is needed when reports.digest.enable is true and alert.slack.channel_id is empty",
    );
}
