//! Which days a digest covers: the report window of a period and the window it is compared with.

use std::time::Duration;

use crate::domain::report::DAY_MS;

/// A report window as `ReportReader::report` takes it: `days` UTC days ending with day number `end_day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub days: u32,
    pub end_day: i64,
}

/// The window a digest reports on and the one before it, for the period ending at `period_end_ms`.
///
/// A digest covers N = max(1, round(every / 1 day)) days. With a period of a day or more, those are the N
/// complete UTC days before the day the period ends on (a Monday 09:00 digest covers Monday to Sunday of
/// the week before); a shorter period has no complete day to show, so it covers the period end's own day.
/// The previous window is the N days before.
pub fn windows(period_end_ms: i64, every: Duration) -> (Window, Window) {
    let day = DAY_MS as f64 / 1000.0;
    // `every` is validated to at most 366 days, so the cast cannot truncate.
    let days = ((every.as_secs_f64() / day).round() as u32).max(1);
    let end_day = period_end_ms.div_euclid(DAY_MS);
    let end_day = if every.as_secs_f64() >= day {
        end_day - 1
    } else {
        end_day
    };
    let current = Window { days, end_day };
    let previous = Window {
        days,
        end_day: end_day - i64::from(days),
    };
    (current, previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    /// 2026-12-07 (a Monday) 09:00 UTC.
    const MONDAY_NINE_MS: i64 = 1_796_634_000_000;

    #[test]
    fn a_weekly_digest_covers_the_seven_complete_days_before_its_day() {
        let monday = MONDAY_NINE_MS.div_euclid(DAY_MS);
        let (current, previous) = windows(MONDAY_NINE_MS, 7 * DAY);
        assert_eq!(
            current,
            Window {
                days: 7,
                end_day: monday - 1
            }
        );
        assert_eq!(
            previous,
            Window {
                days: 7,
                end_day: monday - 8
            }
        );
    }

    #[test]
    fn a_daily_digest_at_midnight_covers_the_day_that_just_ended() {
        let midnight = 20_000 * DAY_MS;
        let (current, previous) = windows(midnight, DAY);
        assert_eq!(
            current,
            Window {
                days: 1,
                end_day: 19_999
            }
        );
        assert_eq!(previous.end_day, 19_998);
    }

    #[test]
    fn periods_round_to_whole_days() {
        assert_eq!(windows(MONDAY_NINE_MS, DAY * 3 / 2).0.days, 2);
        assert_eq!(windows(MONDAY_NINE_MS, DAY * 14 / 10).0.days, 1);
        assert_eq!(windows(MONDAY_NINE_MS, 366 * DAY).0.days, 366);
    }

    #[test]
    fn a_period_under_a_day_covers_its_own_day() {
        let monday = MONDAY_NINE_MS.div_euclid(DAY_MS);
        for every in [Duration::from_secs(2), Duration::from_secs(12 * 3600)] {
            let (current, previous) = windows(MONDAY_NINE_MS, every);
            assert_eq!(
                current,
                Window {
                    days: 1,
                    end_day: monday
                }
            );
            assert_eq!(
                previous,
                Window {
                    days: 1,
                    end_day: monday - 1
                }
            );
        }
    }
}
