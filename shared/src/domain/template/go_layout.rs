//! Go reference-time layouts (`"Jan 02, 2006 15:04:05 MST"`) formatted with chrono.
//!
//! Go describes a format by writing the reference time `Mon Jan 2 15:04:05 MST 2006` the way it should look.
//! [`parse_layout`] splits such a layout into [`Piece`]s: recognised elements of the reference time and the literal
//! text between them; [`format`] renders a timestamp with them. The element rules follow Go's documented behaviour:
//!
//! | Go | meaning | Go | meaning |
//! | --- | --- | --- | --- |
//! | `2006` / `06` | year, 4 / 2 digits | `15` | hour 00-23 |
//! | `01` / `1` | month, padded / not | `03` / `3` | hour 01-12, padded / not |
//! | `Jan` / `January` | month name | `04` / `4` | minute |
//! | `02` / `2` / `_2` | day, zero- / not / space-padded | `05` / `5` | second |
//! | `002` / `__2` | day of year, zero- / space-padded | `PM` / `pm` | AM/PM marker |
//! | `Mon` / `Monday` | weekday name | `MST` | zone name (`UTC`, else `+0200`) |
//! | `-0700` `-07:00` `-07` `-070000` `-07:00:00` | numeric offset | `Z0700` `Z07:00` `Z07` ... | same, `Z` for UTC |
//! | `.000` / `,000` | fraction, fixed digits | `.999` / `,999` | fraction, trailing zeros dropped |
//!
//! `Jan` and `Mon` count only when no lower-case letter follows (so `Monthly` stays literal text), and a
//! fraction only when no further digit follows its run of `0`s or `9`s. Everything else is copied unchanged.

use chrono::{DateTime, Offset, TimeZone, Timelike};
use std::fmt::Write as _;

/// The layout Go calls `time.RFC3339`; the `date` filter's default.
pub const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

/// How a numeric UTC offset is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetStyle {
    /// `-07`
    Hours,
    /// `-0700` (`colon: false`) or `-07:00` (`colon: true`)
    HoursMinutes { colon: bool },
    /// `-070000` or `-07:00:00`
    HoursMinutesSeconds { colon: bool },
}

/// One element of a parsed Go layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as it is.
    Literal(String),
    /// An element that chrono formats directly; the value is its strftime specifier (`"%Y"`, `"%b"`, ...).
    Spec(&'static str),
    /// `MST`: the zone's name. A fixed offset has none, so this is `UTC` for offset zero and otherwise the offset as
    /// `+0200`, as Go prints a zone it has no name for.
    ZoneName,
    /// `-07:00` and friends; with `z_for_utc` (the `Z07:00` forms) a zero offset is written `Z`.
    Offset { style: OffsetStyle, z_for_utc: bool },
    /// `.000` (fixed number of digits) or `.999` (`trim`: trailing zeros and, when nothing is left, the separator
    /// are dropped). `digits` is 1..=9.
    Fraction {
        separator: char,
        digits: u8,
        trim: bool,
    },
}

/// Splits a Go layout into pieces. Never fails: text that is not a reference-time element is literal.
pub fn parse_layout(layout: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = layout;
    while let Some(c) = rest.chars().next() {
        match element_at(rest) {
            Some((piece, len)) => {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(piece);
                rest = &rest[len..];
            }
            None => {
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    pieces
}

/// The reference-time element that starts `s`, with its length in bytes (all elements are ASCII).
fn element_at(s: &str) -> Option<(Piece, usize)> {
    let b = s.as_bytes();
    let starts = |p: &str| s.starts_with(p);
    let lower_follows = |n: usize| b.get(n).is_some_and(|c| c.is_ascii_lowercase());
    let spec = |spec: &'static str, len: usize| Some((Piece::Spec(spec), len));
    let offset = |style: OffsetStyle, z_for_utc: bool, len: usize| {
        Some((Piece::Offset { style, z_for_utc }, len))
    };
    match b[0] {
        b'J' if starts("January") => spec("%B", 7),
        b'J' if starts("Jan") && !lower_follows(3) => spec("%b", 3),
        b'M' if starts("Monday") => spec("%A", 6),
        b'M' if starts("Mon") && !lower_follows(3) => spec("%a", 3),
        b'M' if starts("MST") => Some((Piece::ZoneName, 3)),
        b'0' => match b.get(1) {
            Some(b'1') => spec("%m", 2),
            Some(b'2') => spec("%d", 2),
            Some(b'3') => spec("%I", 2),
            Some(b'4') => spec("%M", 2),
            Some(b'5') => spec("%S", 2),
            Some(b'6') => spec("%y", 2),
            Some(b'0') if b.get(2) == Some(&b'2') => spec("%j", 3),
            _ => None,
        },
        b'1' if starts("15") => spec("%H", 2),
        b'1' => spec("%-m", 1),
        b'2' if starts("2006") => spec("%Y", 4),
        b'2' => spec("%-d", 1),
        // "_2006" is an underscore followed by the year, not a space-padded day followed by "006".
        b'_' if starts("_2006") => None,
        b'_' if starts("__2") => spec("%_j", 3),
        b'_' if starts("_2") => spec("%e", 2),
        b'3' => spec("%-I", 1),
        b'4' => spec("%-M", 1),
        b'5' => spec("%-S", 1),
        b'P' if starts("PM") => spec("%p", 2),
        b'p' if starts("pm") => spec("%P", 2),
        b'-' | b'Z' => {
            let z = b[0] == b'Z';
            let body = &s[1..];
            let (style, len) = if body.starts_with("070000") {
                (OffsetStyle::HoursMinutesSeconds { colon: false }, 6)
            } else if body.starts_with("07:00:00") {
                (OffsetStyle::HoursMinutesSeconds { colon: true }, 8)
            } else if body.starts_with("0700") {
                (OffsetStyle::HoursMinutes { colon: false }, 4)
            } else if body.starts_with("07:00") {
                (OffsetStyle::HoursMinutes { colon: true }, 5)
            } else if body.starts_with("07") {
                (OffsetStyle::Hours, 2)
            } else {
                return None;
            };
            offset(style, z, len + 1)
        }
        sep @ (b'.' | b',') => {
            let digit = *b.get(1)?;
            if digit != b'0' && digit != b'9' {
                return None;
            }
            let run = b[1..].iter().take_while(|&&c| c == digit).count();
            if b.get(1 + run).is_some_and(u8::is_ascii_digit) || run > 9 {
                return None;
            }
            let piece = Piece::Fraction {
                separator: sep as char,
                digits: run as u8,
                trim: digit == b'9',
            };
            Some((piece, 1 + run))
        }
        _ => None,
    }
}

/// Formats `dt` with a Go layout.
pub fn format<Tz>(dt: &DateTime<Tz>, layout: &str) -> String
where
    Tz: TimeZone,
    Tz::Offset: std::fmt::Display,
{
    format_pieces(dt, &parse_layout(layout))
}

/// Formats `dt` with pieces from [`parse_layout`].
pub fn format_pieces<Tz>(dt: &DateTime<Tz>, pieces: &[Piece]) -> String
where
    Tz: TimeZone,
    Tz::Offset: std::fmt::Display,
{
    let offset_secs = dt.offset().fix().local_minus_utc();
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Literal(text) => out.push_str(text),
            // Every specifier produced by `element_at` is valid for chrono, so writing cannot fail; should it
            // ever, the piece is left out rather than panicking.
            Piece::Spec(spec) => {
                let _ = write!(out, "{}", dt.format(spec));
            }
            Piece::ZoneName if offset_secs == 0 => out.push_str("UTC"),
            Piece::ZoneName => write_offset(
                &mut out,
                offset_secs,
                OffsetStyle::HoursMinutes { colon: false },
            ),
            Piece::Offset {
                z_for_utc: true, ..
            } if offset_secs == 0 => out.push('Z'),
            Piece::Offset { style, .. } => write_offset(&mut out, offset_secs, *style),
            Piece::Fraction {
                separator,
                digits,
                trim,
            } => write_fraction(&mut out, dt.nanosecond(), *separator, *digits, *trim),
        }
    }
    out
}

/// A chrono strftime string equivalent to `layout`, for showing or for callers that want chrono's formatter.
/// Approximate in two places chrono cannot express: `MST` becomes `%Z` and a `Z07:00` form becomes its numeric
/// offset (chrono writes `+00:00`, not `Z`, for UTC).
pub fn to_strftime(layout: &str) -> String {
    let mut out = String::new();
    for piece in parse_layout(layout) {
        match piece {
            Piece::Literal(text) => out.push_str(&text.replace('%', "%%")),
            Piece::Spec(spec) => out.push_str(spec),
            Piece::ZoneName => out.push_str("%Z"),
            Piece::Offset { style, .. } => out.push_str(match style {
                OffsetStyle::Hours => "%:::z",
                OffsetStyle::HoursMinutes { colon: false } => "%z",
                OffsetStyle::HoursMinutes { colon: true } => "%:z",
                OffsetStyle::HoursMinutesSeconds { colon: false } => "%z00",
                OffsetStyle::HoursMinutesSeconds { colon: true } => "%::z",
            }),
            Piece::Fraction {
                separator,
                digits,
                trim,
            } => {
                if separator != '.' {
                    out.push(separator);
                }
                match (trim, separator) {
                    (true, '.') => out.push_str("%.f"),
                    (_, '.') => {
                        let _ = write!(out, "%.{digits}f");
                    }
                    _ => {
                        let _ = write!(out, "%{digits}f");
                    }
                }
            }
        }
    }
    out
}

fn write_offset(out: &mut String, offset_secs: i32, style: OffsetStyle) {
    out.push(if offset_secs < 0 { '-' } else { '+' });
    let abs = offset_secs.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    let _ = match style {
        OffsetStyle::Hours => write!(out, "{h:02}"),
        OffsetStyle::HoursMinutes { colon: false } => write!(out, "{h:02}{m:02}"),
        OffsetStyle::HoursMinutes { colon: true } => write!(out, "{h:02}:{m:02}"),
        OffsetStyle::HoursMinutesSeconds { colon: false } => write!(out, "{h:02}{m:02}{s:02}"),
        OffsetStyle::HoursMinutesSeconds { colon: true } => write!(out, "{h:02}:{m:02}:{s:02}"),
    };
}

fn write_fraction(out: &mut String, nanos: u32, separator: char, digits: u8, trim: bool) {
    // A leap second shows up in chrono as nanos >= 1e9; Go has no leap seconds, so count it as 999...
    let nanos = nanos.min(999_999_999);
    let all = format!("{nanos:09}");
    let mut shown = &all[..usize::from(digits.clamp(1, 9))];
    if trim {
        shown = shown.trim_end_matches('0');
        if shown.is_empty() {
            return;
        }
    }
    out.push(separator);
    out.push_str(shown);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    fn at(rfc3339: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap()
    }

    #[test]
    fn documented_slack_layout() {
        let dt = at("2024-01-02T15:04:05.123456789Z");
        assert_eq!(
            format(&dt, "Jan 02, 2006 15:04:05 MST"),
            "Jan 02, 2024 15:04:05 UTC"
        );
        let dt = at("2024-03-09T07:08:09+02:00");
        assert_eq!(
            format(&dt, "Jan 02, 2006 15:04:05 MST"),
            "Mar 09, 2024 07:08:09 +0200"
        );
    }

    #[test]
    fn rfc3339_layout_writes_z_for_utc_and_offsets_otherwise() {
        assert_eq!(
            format(&at("2024-01-02T15:04:05Z"), RFC3339),
            "2024-01-02T15:04:05Z"
        );
        assert_eq!(
            format(&at("2024-01-02T15:04:05-07:00"), RFC3339),
            "2024-01-02T15:04:05-07:00"
        );
        assert_eq!(format(&at("2024-01-02T15:04:05+05:30"), "Z0700"), "+0530");
        assert_eq!(format(&at("2024-01-02T15:04:05Z"), "-07:00"), "+00:00");
        assert_eq!(format(&at("2024-01-02T15:04:05Z"), "Z07"), "Z");
        assert_eq!(
            format(
                &at("2024-01-02T15:04:05-03:00"),
                "-07 -0700 -07:00 -070000 -07:00:00"
            ),
            "-03 -0300 -03:00 -030000 -03:00:00"
        );
    }

    #[test]
    fn fractional_seconds() {
        let dt = at("2024-01-02T15:04:05.123456789Z");
        assert_eq!(format(&dt, "15:04:05.000"), "15:04:05.123");
        assert_eq!(format(&dt, "15:04:05.000000"), "15:04:05.123456");
        assert_eq!(format(&dt, "15:04:05.000000000"), "15:04:05.123456789");
        assert_eq!(format(&dt, "15:04:05,000"), "15:04:05,123");
        let dt = at("2024-01-02T15:04:05.120Z");
        assert_eq!(format(&dt, "05.999999"), "05.12");
        assert_eq!(format(&dt, "05.000000"), "05.120000");
        let whole = at("2024-01-02T15:04:05Z");
        assert_eq!(format(&whole, "05.999"), "05");
        assert_eq!(format(&whole, "05.000"), "05.000");
        // A dot followed by zeros and then another digit is literal text: "2006.01.02".
        assert_eq!(format(&whole, "2006.01.02"), "2024.01.02");
    }

    #[test]
    fn every_element() {
        let dt = at("2024-01-05T03:07:09Z"); // a Friday
        assert_eq!(format(&dt, "2006 06"), "2024 24");
        assert_eq!(format(&dt, "01 1 Jan January"), "01 1 Jan January");
        assert_eq!(format(&dt, "02 2 _2"), "05 5  5");
        assert_eq!(format(&dt, "Mon Monday"), "Fri Friday");
        assert_eq!(format(&dt, "15 03 3"), "03 03 3");
        assert_eq!(format(&dt, "04 4 05 5"), "07 7 09 9");
        assert_eq!(format(&dt, "3PM 3pm"), "3AM 3am");
        assert_eq!(format(&dt, "002 __2"), "005   5");
        let pm = at("2024-12-31T23:59:58Z");
        assert_eq!(
            format(&pm, "3:04PM, Monday January 2 2006 (day 002)"),
            "11:59PM, Tuesday December 31 2024 (day 366)"
        );
        assert_eq!(format(&pm, "_2006"), "_2024");
    }

    #[test]
    fn literal_text_is_preserved() {
        let dt = at("2024-01-02T15:04:05Z");
        assert_eq!(
            format(&dt, "at 15:04 on Monthly 100% Janitor"),
            "at 15:04 on Monthly 100% Janitor"
        );
        assert_eq!(format(&dt, "⏱️ 2006/01/02 — ok"), "⏱️ 2024/01/02 — ok");
        assert_eq!(format(&dt, ""), "");
    }

    #[test]
    fn go_layouts_convert_to_strftime() {
        assert_eq!(
            to_strftime("Jan 02, 2006 15:04:05 MST"),
            "%b %d, %Y %H:%M:%S %Z"
        );
        assert_eq!(
            to_strftime("2006-01-02T15:04:05.000Z07:00"),
            "%Y-%m-%dT%H:%M:%S%.3f%:z"
        );
        assert_eq!(to_strftime("% 3:4:5 pm"), "%% %-I:%-M:%-S %P");
        // The strftime strings render the same as the Go layouts where both are exact.
        let dt = at("2024-01-02T15:04:05.123Z").with_timezone(&Utc);
        let layout = "Monday, 02-Jan-06 15:04:05.000";
        assert_eq!(
            dt.format(&to_strftime(layout)).to_string(),
            format(&dt, layout)
        );
    }
}
