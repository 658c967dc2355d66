//! The queue's Lua scripts, each with the shared prelude prepended. Loaded once per process; `redis::Script`
//! falls back from EVALSHA to EVAL by itself, so a restarted Redis (empty script cache) needs nothing special.

use redis::Script;
use std::sync::LazyLock;

/// Functions every queue script can call (`vq_push`, `vq_now_ms`, ...). Other modules' scripts (the incident
/// store's ingest) prepend it too, so that an incident and its jobs are written in one atomic round trip.
pub const LIB: &str = include_str!("lua/lib.lua");

fn with_lib(body: &str) -> Script {
    Script::new(&format!("{LIB}\n{body}"))
}

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Script> = LazyLock::new(|| with_lib(include_str!($file)));
    };
}

script!(PUSH, "lua/push.lua");
script!(FETCH, "lua/fetch.lua");
script!(COMPLETE, "lua/complete.lua");
script!(RETRY, "lua/retry.lua");
script!(DEAD, "lua/dead.lua");
script!(RELEASE, "lua/release.lua");
script!(RENEW, "lua/renew.lua");
script!(REAP, "lua/reap.lua");
script!(REQUEUE_DEAD, "lua/requeue_dead.lua");
script!(STATS, "lua/stats.lua");
