//! The report helpers every incident and heartbeat script prepends (`lua/lib.lua`), so that a state change and
//! its summary's update are one atomic step.

pub(crate) const LIB: &str = include_str!("lua/lib.lua");
