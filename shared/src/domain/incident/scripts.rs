//! The incident state machine's Lua scripts. Each has the queue and report libraries prepended, so that a
//! state change, the jobs it causes and its place in the on-call report are one atomic step.

use crate::domain::report::scripts::LIB as REPORT_LIB;
use crate::infra::queue::scripts::LIB as QUEUE_LIB;
use redis::Script;
use std::sync::LazyLock;

/// Incident helpers (`vi_create`, `vi_resolve`, ...), which the heartbeat scripts prepend too, so that a missed
/// heartbeat opens and resolves incidents exactly as ingest does.
pub(crate) const LIB: &str = include_str!("lua/lib.lua");

fn with_libs(body: &str) -> Script {
    Script::new(&format!("{QUEUE_LIB}\n{REPORT_LIB}\n{LIB}\n{body}"))
}

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Script> = LazyLock::new(|| with_libs(include_str!($file)));
    };
}

script!(INGEST, "lua/ingest.lua");
script!(ACK, "lua/ack.lua");
script!(ESCALATE_BEGIN, "lua/escalate_begin.lua");
script!(ESCALATE_FINISH, "lua/escalate_finish.lua");
script!(SLACK_POSTED, "lua/slack_posted.lua");
script!(NOISE, "lua/noise.lua");
