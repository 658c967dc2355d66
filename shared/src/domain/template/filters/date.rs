//! The `date` filter: reads a template value as a point in time and formats it with a Go layout or strftime.

use crate::domain::template::go_layout;
use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Offset, TimeZone, Utc};
use minijinja::value::ValueKind;
use minijinja::{Error, ErrorKind, Value};
use std::fmt::Write as _;

/// The `date` filter. See the [`filters`](super) module documentation.
///
/// A missing value (undefined or `none`) renders empty; a value that is not a recognisable time renders unchanged,
/// so an alert is never lost to an odd timestamp. An invalid layout or zone is a template bug and an error.
pub fn date(value: &Value, layout: Option<&str>, zone: Option<&str>) -> Result<Value, Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(Value::from(""));
    }
    let Some(time) = to_datetime(value) else {
        return Ok(value.clone());
    };
    let time = match zone {
        None => time,
        Some(zone) => time.with_timezone(&parse_zone(zone, &time)?),
    };
    format_datetime(&time, layout.unwrap_or(go_layout::RFC3339)).map(Value::from)
}

/// Formats `time` with a Go layout, or with strftime when `layout` contains a `%`.
pub fn format_datetime(time: &DateTime<FixedOffset>, layout: &str) -> Result<String, Error> {
    if !layout.contains('%') {
        return Ok(go_layout::format(time, layout));
    }
    let mut out = String::new();
    // chrono reports an unknown specifier as a formatting error (and would panic inside `to_string`).
    write!(out, "{}", time.format(layout)).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "date: {layout:?} is not a valid strftime format (layouts containing '%' are read as strftime; \
                 write Go layouts such as \"Jan 02, 2006 15:04:05 MST\" without '%')"
            ),
        )
    })?;
    Ok(out)
}

/// Reads a template value as a point in time: RFC 3339 / RFC 2822 / `YYYY-MM-DD HH:MM:SS` strings (the last taken
/// as UTC), or unix time as a number or a string of digits (seconds; milliseconds when it is 10^12 or more, which
/// as seconds would be tens of thousands of years away).
pub fn to_datetime(value: &Value) -> Option<DateTime<FixedOffset>> {
    match value.kind() {
        ValueKind::String => parse_time_str(value.as_str()?),
        ValueKind::Number => {
            if let Ok(whole) = i64::try_from(value.clone()) {
                from_unix_whole(whole)
            } else {
                from_unix_float(f64::try_from(value.clone()).ok()?)
            }
        }
        _ => None,
    }
}

fn parse_time_str(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    if s.bytes().all(|b| b.is_ascii_digit())
        || (s.starts_with('-') && s[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return s.parse().ok().and_then(from_unix_whole);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t);
    }
    for layout in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f %z"] {
        if let Ok(t) = DateTime::parse_from_str(s, layout) {
            return Some(t);
        }
    }
    for layout in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, layout) {
            return Some(Utc.from_utc_datetime(&t).fixed_offset());
        }
    }
    if let Ok(t) = s.parse::<f64>() {
        return from_unix_float(t);
    }
    None
}

const MILLIS_THRESHOLD: i64 = 1_000_000_000_000;

fn from_unix_whole(n: i64) -> Option<DateTime<FixedOffset>> {
    let t = if n.abs() >= MILLIS_THRESHOLD {
        DateTime::from_timestamp_millis(n)?
    } else {
        DateTime::from_timestamp(n, 0)?
    };
    Some(t.fixed_offset())
}

fn from_unix_float(f: f64) -> Option<DateTime<FixedOffset>> {
    if !f.is_finite() {
        return None;
    }
    let secs = if f.abs() >= MILLIS_THRESHOLD as f64 {
        f / 1000.0
    } else {
        f
    };
    let whole = secs.floor();
    if whole < i64::MIN as f64 || whole > i64::MAX as f64 {
        return None;
    }
    let nanos = (((secs - whole) * 1e9).round() as u32).min(999_999_999);
    Some(DateTime::from_timestamp(whole as i64, nanos)?.fixed_offset())
}

/// `"UTC"`, `"Local"` (the server's zone at that instant) or a fixed offset `±HH`, `±HHMM`, `±HH:MM`.
fn parse_zone(zone: &str, at: &DateTime<FixedOffset>) -> Result<FixedOffset, Error> {
    let z = zone.trim();
    if z.eq_ignore_ascii_case("utc") || z == "Z" {
        return Ok(Utc.fix());
    }
    if z.eq_ignore_ascii_case("local") {
        return Ok(at.with_timezone(&Local).offset().fix());
    }
    let bad = || {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("date: unknown time zone {zone:?}; use \"UTC\", \"Local\" or an offset such as \"+02:00\""),
        )
    };
    let (sign, digits) = match z.as_bytes().first() {
        Some(b'+') => (1, &z[1..]),
        Some(b'-') => (-1, &z[1..]),
        _ => return Err(bad()),
    };
    let digits: String = digits.chars().filter(|&c| c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().map_err(|_| bad())?
    } else {
        0
    };
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(bad)
}
