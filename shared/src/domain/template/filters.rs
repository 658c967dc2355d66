//! Filters that Versus adds to minijinja's builtins.
//!
//! The builtins the product documents (`upper`, `lower`, `title`, `default`, `join`, `tojson`) come with minijinja's
//! `builtins` and `json` features and are present in every [`minijinja::Environment::new`]; a test below makes sure
//! of it. Added here:
//!
//! * `date`: formats a timestamp with a Go reference layout (`"Jan 02, 2006 15:04:05 MST"`) or a strftime format
//!   (`"%Y-%m-%d %H:%M"`, recognised by its `%`). Without a layout it writes RFC 3339. An optional second argument
//!   picks the zone: `"UTC"`, `"Local"` or a fixed offset such as `"+02:00"`; without it the timestamp keeps its
//!   own offset (unix times are UTC).
//! * `slack_escape`: escapes `&`, `<` and `>` so that text from an alert cannot form Slack links or mentions.

use super::go_layout;
use crate::domain::mrkdwn;
use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Offset, TimeZone, Utc};
use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, Value};
use std::fmt::Write as _;

/// Filters Versus registers on top of minijinja's builtins.
pub const VERSUS_FILTERS: &[&str] = &["date", "slack_escape"];

/// Builtin filters the product documentation promises; [`register`] environments must have them.
pub const DOCUMENTED_BUILTINS: &[&str] = &["upper", "lower", "title", "default", "join", "tojson"];

/// The other minijinja builtin filters, used only to suggest a name when a template misspells one.
pub(crate) const OTHER_BUILTINS: &[&str] = &[
    "safe",
    "escape",
    "e",
    "capitalize",
    "replace",
    "length",
    "count",
    "dictsort",
    "items",
    "reverse",
    "trim",
    "split",
    "lines",
    "d",
    "round",
    "abs",
    "int",
    "float",
    "attr",
    "first",
    "last",
    "min",
    "max",
    "sort",
    "list",
    "string",
    "bool",
    "batch",
    "slice",
    "sum",
    "indent",
    "select",
    "reject",
    "selectattr",
    "rejectattr",
    "map",
    "groupby",
    "unique",
    "chain",
    "zip",
    "pprint",
    "format",
    "urlencode",
];

/// Adds Versus's filters to `env`.
pub fn register(env: &mut Environment<'_>) {
    env.add_filter("date", date);
    env.add_filter("slack_escape", slack_escape);
}

/// The `date` filter. See the module documentation.
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

/// The `slack_escape` filter: `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;` (Slack's mrkdwn escaping).
pub fn slack_escape(value: &Value) -> String {
    if value.is_undefined() || value.is_none() {
        return String::new();
    }
    mrkdwn::escape(&value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::{context, UndefinedBehavior};

    fn env() -> Environment<'static> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        register(&mut env);
        env
    }

    fn render(source: &str, ctx: Value) -> String {
        env().render_str(source, ctx).unwrap()
    }

    #[test]
    fn documented_builtins_are_registered() {
        let env = env();
        for name in DOCUMENTED_BUILTINS
            .iter()
            .chain(VERSUS_FILTERS)
            .chain(OTHER_BUILTINS)
        {
            let probe = format!("{{{{ x | {name} }}}}");
            if let Err(err) = env.render_str(&probe, context! {}) {
                assert_ne!(
                    err.kind(),
                    ErrorKind::UnknownFilter,
                    "filter {name} is not registered"
                );
            }
        }
    }

    #[test]
    fn builtin_filters_behave_as_documented() {
        let ctx = context! { s => "disk Full", items => vec!["a", "b", "c"], empty => "", obj => context! { k => 1 } };
        assert_eq!(render("{{ s | upper }}", ctx.clone()), "DISK FULL");
        assert_eq!(render("{{ s | lower }}", ctx.clone()), "disk full");
        assert_eq!(render("{{ s | title }}", ctx.clone()), "Disk Full");
        assert_eq!(render("{{ missing | default('n/a') }}", ctx.clone()), "n/a");
        assert_eq!(
            render("{{ empty | default('n/a', true) }}", ctx.clone()),
            "n/a"
        );
        assert_eq!(render("{{ s | default('n/a') }}", ctx.clone()), "disk Full");
        assert_eq!(render("{{ items | join(', ') }}", ctx.clone()), "a, b, c");
        assert_eq!(render("{{ obj | tojson }}", ctx.clone()), r#"{"k": 1}"#);
        assert_eq!(render("{{ missing.deeper | upper }}", ctx), "");
    }

    #[test]
    fn date_with_go_layouts() {
        let ctx = context! { t => "2024-01-02T15:04:05.123456789Z" };
        assert_eq!(
            render(
                r#"{{ t | date("Jan 02, 2006 15:04:05 MST") }}"#,
                ctx.clone()
            ),
            "Jan 02, 2024 15:04:05 UTC"
        );
        assert_eq!(
            render(
                r#"{{ t | date("2006-01-02T15:04:05Z07:00") }}"#,
                ctx.clone()
            ),
            "2024-01-02T15:04:05Z"
        );
        assert_eq!(
            render(r#"{{ t | date("15:04:05.000") }}"#, ctx.clone()),
            "15:04:05.123"
        );
        assert_eq!(
            render(r#"{{ t | date("15:04:05.000000") }}"#, ctx.clone()),
            "15:04:05.123456"
        );
        assert_eq!(
            render(r#"{{ t | date("15:04:05.000000000") }}"#, ctx.clone()),
            "15:04:05.123456789"
        );
        assert_eq!(
            render(r#"{{ t | date("Mon Jan _2 3:04PM") }}"#, ctx),
            "Tue Jan  2 3:04PM"
        );
    }

    #[test]
    fn date_with_strftime() {
        let ctx = context! { t => "2024-01-02T15:04:05+02:00" };
        assert_eq!(
            render(r#"{{ t | date("%Y-%m-%d %H:%M") }}"#, ctx.clone()),
            "2024-01-02 15:04"
        );
        assert_eq!(
            render(r#"{{ t | date("%d/%m %H:%M %z") }}"#, ctx.clone()),
            "02/01 15:04 +0200"
        );
        let err = env()
            .render_str(r#"{{ t | date("%Q") }}"#, ctx)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidOperation);
        assert!(err.to_string().contains("strftime"), "{err}");
    }

    #[test]
    fn date_default_layout_is_rfc3339() {
        let ctx = context! { t => "2024-01-02T15:04:05.5+05:30", n => 1_704_207_845 };
        assert_eq!(
            render("{{ t | date }}", ctx.clone()),
            "2024-01-02T15:04:05+05:30"
        );
        assert_eq!(render("{{ n | date }}", ctx), "2024-01-02T15:04:05Z");
    }

    #[test]
    fn date_accepts_unix_seconds_and_milliseconds() {
        let ctx = context! { secs => 1_704_207_845, float => 1_704_207_845.25_f64, millis => 1_704_207_845_250_i64, text => "1704207845" };
        let layout = r#"date("2006-01-02 15:04:05.000 MST")"#;
        assert_eq!(
            render(&format!("{{{{ secs | {layout} }}}}"), ctx.clone()),
            "2024-01-02 15:04:05.000 UTC"
        );
        assert_eq!(
            render(&format!("{{{{ float | {layout} }}}}"), ctx.clone()),
            "2024-01-02 15:04:05.250 UTC"
        );
        assert_eq!(
            render(&format!("{{{{ millis | {layout} }}}}"), ctx.clone()),
            "2024-01-02 15:04:05.250 UTC"
        );
        assert_eq!(
            render(&format!("{{{{ text | {layout} }}}}"), ctx),
            "2024-01-02 15:04:05.000 UTC"
        );
    }

    #[test]
    fn date_missing_or_unparseable_values_never_fail() {
        let ctx = context! { bad => "yesterday-ish", none => Value::from(()), list => vec![1, 2], b => true };
        assert_eq!(render(r#"{{ missing | date("Jan 02") }}"#, ctx.clone()), "");
        assert_eq!(render(r#"{{ missing.deeper | date }}"#, ctx.clone()), "");
        assert_eq!(render(r#"{{ none | date }}"#, ctx.clone()), "");
        assert_eq!(
            render(r#"{{ bad | date("Jan 02") }}"#, ctx.clone()),
            "yesterday-ish"
        );
        assert_eq!(render(r#"{{ list | date }}"#, ctx.clone()), "[1, 2]");
        assert_eq!(
            render(r#"{{ b | date }}"#, ctx.clone()),
            render("{{ b }}", ctx)
        );
    }

    #[test]
    fn date_other_input_forms() {
        let layout = r#"date("2006-01-02 15:04:05 -07:00")"#;
        for (input, want) in [
            ("2024-01-02 15:04:05", "2024-01-02 15:04:05 +00:00"),
            ("2024-01-02T15:04:05", "2024-01-02 15:04:05 +00:00"),
            (
                "2024-01-02 15:04:05.999+01:00",
                "2024-01-02 15:04:05 +01:00",
            ),
            (
                "Tue, 02 Jan 2024 15:04:05 -0300",
                "2024-01-02 15:04:05 -03:00",
            ),
            ("0001-01-01T00:00:00Z", "0001-01-01 00:00:00 +00:00"),
        ] {
            assert_eq!(
                render(&format!("{{{{ t | {layout} }}}}"), context! { t => input }),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn date_zone_argument() {
        let ctx = context! { t => "2024-01-02T15:04:05Z" };
        assert_eq!(
            render(r#"{{ t | date("15:04 -07:00", "+02:00") }}"#, ctx.clone()),
            "17:04 +02:00"
        );
        assert_eq!(
            render(r#"{{ t | date("15:04 MST", "-0530") }}"#, ctx.clone()),
            "09:34 -0530"
        );
        assert_eq!(
            render(r#"{{ t | date("15:04 MST", "UTC") }}"#, ctx.clone()),
            "15:04 UTC"
        );
        assert!(!render(r#"{{ t | date("15:04", "Local") }}"#, ctx.clone()).is_empty());
        let err = env()
            .render_str(r#"{{ t | date("15:04", "Mars/Olympus") }}"#, ctx)
            .unwrap_err();
        assert!(err.to_string().contains("unknown time zone"), "{err}");
    }

    #[test]
    fn slack_escape_escapes_markup() {
        let ctx = context! { s => "<!channel> a & b > c" };
        assert_eq!(
            render("{{ s | slack_escape }}", ctx),
            "&lt;!channel&gt; a &amp; b &gt; c"
        );
        assert_eq!(render("{{ missing | slack_escape }}", context! {}), "");
    }
}
