//! How the digest writes its numbers: the days covered, durations, percentages, and the change against the
//! previous period.

use chrono::{DateTime, TimeDelta};

/// The days from `from` to `to` (RFC 3339, `to` exclusive), as dates: `2026-11-30 – 2026-12-06`, or one
/// date for a single day. Text that is not RFC 3339 is shown as it is.
pub fn days(from: &str, to: &str) -> String {
    match (
        DateTime::parse_from_rfc3339(from),
        DateTime::parse_from_rfc3339(to),
    ) {
        (Ok(first), Ok(end)) => {
            let first = first.date_naive();
            let last = (end - TimeDelta::milliseconds(1)).date_naive().max(first);
            if first == last {
                first.to_string()
            } else {
                format!("{first} – {last}")
            }
        }
        _ => format!("{from} – {to}"),
    }
}

/// A duration in seconds, in at most two units: `45s`, `4m 10s`, `2h 5m`, `3d 4h`; `–` without samples.
pub fn duration(seconds: Option<f64>) -> String {
    let Some(seconds) = seconds.filter(|s| s.is_finite()) else {
        return "–".into();
    };
    let total = seconds.max(0.0).round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3600,
        total % 3600 / 60,
        total % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) if s == 0 => format!("{m}m"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

/// `12 (▲3)`: a count and its change since the previous period.
pub fn count(now: u64, before: u64) -> String {
    format!(
        "{now} ({})",
        arrow(now as f64 - before as f64, |d| d.to_string())
    )
}

/// A rate (0 to 1) as a percentage, with its change in percentage points: `17% (▲5 pts)`.
pub fn rate(now: f64, before: f64) -> String {
    let (now, before) = (percent(now), percent(before));
    format!(
        "{now}% ({})",
        arrow(now as f64 - before as f64, |d| format!("{d} pts"))
    )
}

/// A duration and its change: `4m 10s (▼1m)`; just the duration when either side has no samples.
pub fn duration_change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(n), Some(b)) => format!(
            "{} ({})",
            duration(Some(n)),
            arrow(n.round() - b.round(), |d| duration(Some(d as f64)))
        ),
        _ => duration(now),
    }
}

fn percent(rate: f64) -> i64 {
    if rate.is_finite() {
        (rate.clamp(0.0, 1.0) * 100.0).round() as i64
    } else {
        0
    }
}

/// `▲n`, `▼n` or `=`, with the size of the change written by `size`.
fn arrow(change: f64, size: impl Fn(u64) -> String) -> String {
    let magnitude = change.abs().round() as u64;
    match change {
        _ if magnitude == 0 => "=".into(),
        c if c > 0.0 => format!("▲{}", size(magnitude)),
        _ => format!("▼{}", size(magnitude)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_dates_with_the_exclusive_end_left_out() {
        assert_eq!(
            days("2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00"),
            "2026-11-30 – 2026-12-06"
        );
        assert_eq!(
            days("2026-12-07T00:00:00+00:00", "2026-12-08T00:00:00+00:00"),
            "2026-12-07"
        );
        assert_eq!(days("monday", ""), "monday – ");
    }

    #[test]
    fn durations_use_two_units_at_most() {
        assert_eq!(duration(None), "–");
        assert_eq!(duration(Some(0.4)), "0s");
        assert_eq!(duration(Some(45.0)), "45s");
        assert_eq!(duration(Some(250.0)), "4m 10s");
        assert_eq!(duration(Some(120.0)), "2m");
        assert_eq!(duration(Some(7_500.0)), "2h 5m");
        assert_eq!(duration(Some(7_200.0)), "2h");
        assert_eq!(duration(Some(273_600.0)), "3d 4h");
        assert_eq!(duration(Some(86_400.0)), "1d");
        assert_eq!(duration(Some(f64::NAN)), "–");
    }

    #[test]
    fn changes_point_up_down_or_stay() {
        assert_eq!(count(12, 9), "12 (▲3)");
        assert_eq!(count(7, 9), "7 (▼2)");
        assert_eq!(count(0, 0), "0 (=)");
        assert_eq!(rate(0.17, 0.12), "17% (▲5 pts)");
        assert_eq!(rate(0.0, 0.5), "0% (▼50 pts)");
        assert_eq!(rate(f64::NAN, 2.0), "0% (▼100 pts)");
        assert_eq!(duration_change(Some(250.0), Some(310.0)), "4m 10s (▼1m)");
        assert_eq!(duration_change(Some(250.0), Some(250.2)), "4m 10s (=)");
        assert_eq!(duration_change(Some(250.0), None), "4m 10s");
        assert_eq!(duration_change(None, Some(5.0)), "–");
    }
}
