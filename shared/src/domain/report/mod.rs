//! On-call reports: who acked, how fast, what paged, what was noise, over the last days.
//!
//! Each incident gets a small summary when it opens, and every state change updates it together with its
//! opening day's totals, in the same Lua script that makes the change (`lua/lib.lua`). A report reads one
//! day's totals per day asked for, never the incidents themselves, so its cost on Redis's single thread
//! depends on the number of days. docs/reports.md defines every field.
//!
//! - `labels`: what an incident's summary is grouped by, bounded;
//! - `day`: UTC day numbers and their keys;
//! - `day_totals`: one day's stored totals and samples, read;
//! - `percentiles`: nearest-rank percentiles over the samples;
//! - `oncall_report`: the report, as the API answers it; `builder`: building it a day at a time;
//! - `reader`: reading the days of a report from Redis.

mod builder;
mod day;
mod day_totals;
mod labels;
mod oncall_report;
mod percentiles;
mod reader;
pub mod scripts;

pub use builder::{ReportBuilder, OTHER, UNKNOWN_SLACK_USER};
pub use day::{day_of_ms, day_start, today, DAY_MS};
pub use day_totals::{AckSample, DayTotals, LabelGroup, ResolveSample};
pub use labels::{report_label, ReportLabels, MAX_LABEL_CHARS};
pub use oncall_report::{
    AlertCount, Noise, Percentiles, PersonAcks, Report, ReportContext, TeamTimes, NO_LABEL,
};
pub use percentiles::nearest_rank;
pub use reader::{ReportError, ReportReader};
