//! The report as the digest reads it: the very `Report` the API answers, under the digest's names.

pub use versus_shared::domain::report::{
    AlertCount, Percentiles, PersonAcks as Acks, Report as ReportView,
};
