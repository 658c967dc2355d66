//! The digest schedule's scripts, each with the queue's library and the digest helpers prepended, so that a
//! claim and the arming of the next run are one atomic step.

use crate::infra::queue::scripts::LIB as QUEUE_LIB;
use redis::Script;
use std::sync::LazyLock;

const LIB: &str = include_str!("lua/lib.lua");

fn with_libs(body: &str) -> Script {
    Script::new(&format!("{QUEUE_LIB}\n{LIB}\n{body}"))
}

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Script> = LazyLock::new(|| with_libs(include_str!($file)));
    };
}

script!(ARM, "lua/arm.lua");
script!(CLAIM, "lua/claim.lua");
script!(RECORD, "lua/record.lua");
