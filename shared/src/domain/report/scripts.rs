//! The report helpers every incident and heartbeat script prepends (`lua/lib.lua`), so that a state change and
//! its summary's update are one atomic step.

use crate::infra::queue::scripts::LIB as QUEUE_LIB;

pub(crate) const LIB: &str = include_str!("lua/lib.lua");

/// The helpers with what they need before them, for a script of a tool's own that writes history the way
/// the incident scripts do (`make bench` seeds 90 days of it).
pub fn library() -> String {
    format!("{QUEUE_LIB}\n{LIB}")
}
