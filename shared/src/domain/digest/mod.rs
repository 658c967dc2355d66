//! The periodic on-call digest's schedule: a durable job in the queue that posts one digest per period,
//! whatever the number of workers, restarts or failovers.
//!
//! Period k ends at `anchor + k * every`. The anchor (the first period's end) is stored once with `SET NX`,
//! so the first worker to arm the schedule fixes it; a later change of `reports.digest.first_at` does not
//! move it (the worker warns when the two disagree; delete `{prefix}digest:anchor` to start afresh).
//! One `digest` job is pending at a time; every worker arms it at start-up and again periodically, which
//! replaces a job that was lost or dead-lettered.
//!
//! A run claims the latest period that has ended, atomically with arming the next run: a period is posted
//! by the job that claimed it, and recorded as posted once Slack accepted it. A rerun of that job (a crash,
//! a Slack error) posts a period that was claimed and not recorded, so a crash between Slack's answer and
//! the record may post one period twice, as any Slack post can be. Periods missed while every worker was
//! down collapse: only the latest is posted, late, once.
//!
//! - `lua/`: the scripts (`arm`, `claim`, `record`) over the queue's Lua library;
//! - `store`: the calls that run them ([`DigestStore`]);
//! - `claim`: a run's claim as a type;
//! - `window`: the days a period's digest covers, and the days it is compared with.

mod claim;
mod scripts;
mod store;
mod window;

pub use claim::Claim;
pub use store::{Armed, DigestStore};
pub use window::{windows, Window};
