//! The heartbeat scripts, each with the queue's and the incidents' libraries prepended, so that opening or
//! resolving a heartbeat's incident is the very code ingest runs.

use crate::domain::incident::scripts::LIB as INCIDENT_LIB;
use crate::domain::report::scripts::LIB as REPORT_LIB;
use crate::infra::queue::scripts::LIB as QUEUE_LIB;
use redis::Script;
use std::sync::LazyLock;

const LIB: &str = include_str!("lua/lib.lua");

fn with_libs(body: &str) -> Script {
    Script::new(&format!(
        "{QUEUE_LIB}\n{REPORT_LIB}\n{INCIDENT_LIB}\n{LIB}\n{body}"
    ))
}

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Script> = LazyLock::new(|| with_libs(include_str!($file)));
    };
}

script!(BEAT, "lua/beat.lua");
script!(ARM, "lua/arm.lua");
script!(CHECK, "lua/check.lua");
script!(FORGET, "lua/forget.lua");
