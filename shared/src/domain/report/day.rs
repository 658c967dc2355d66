//! Reports count by UTC day: a day is its number since the Unix epoch, as the Lua helpers compute it.

use chrono::{DateTime, TimeZone, Utc};

pub const DAY_MS: i64 = 86_400_000;

/// The UTC day number of a time in milliseconds.
pub fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// Today's UTC day number.
pub fn today() -> i64 {
    day_of_ms(Utc::now().timestamp_millis())
}

/// Midnight UTC at the start of a day.
pub fn day_start(day: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(day * DAY_MS)
        .single()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_day_numbers() {
        let start = Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap();
        let day = day_of_ms(start.timestamp_millis());
        assert_eq!(day_of_ms(start.timestamp_millis() - 1), day - 1);
        assert_eq!(day_of_ms(start.timestamp_millis() + DAY_MS - 1), day);
        assert_eq!(day_start(day), start);
    }
}
