//! A replica of a test's [`RedisServer`], and the faults a replica can have: absent, or stalled.
//!
//! Versus waits for replicas before it answers for a state change; these show when it does and what it
//! does when they do not answer. Start the primary with [`PRIMARY_ARGS`] so that a replica's first copy
//! starts at once.

use std::time::Duration;

use crate::redis_server::{RedisOptions, RedisServer};
use crate::wait::wait_until;

/// `redis-server` arguments for a primary whose replicas attach without the default 5 s delay.
pub const PRIMARY_ARGS: [&str; 2] = ["--repl-diskless-sync-delay", "0"];

/// Options of a primary that replicas attach to at once (see [`PRIMARY_ARGS`]).
pub fn primary_options() -> RedisOptions {
    RedisOptions {
        extra_args: PRIMARY_ARGS.iter().map(|a| a.to_string()).collect(),
        ..RedisOptions::default()
    }
}

/// Starts a replica of `primary` (which has no password) and waits until the primary counts it online.
pub async fn start_replica_of(primary: &RedisServer) -> RedisServer {
    let replica = RedisServer::start_with(RedisOptions {
        aof: false,
        extra_args: vec![
            "--replicaof".into(),
            "127.0.0.1".into(),
            primary.port().to_string(),
        ],
        ..RedisOptions::default()
    });
    wait_until(
        Duration::from_secs(10),
        "the replica to be online",
        async || (online_replicas(primary) >= 1).then_some(()),
    )
    .await;
    replica
}

/// Replicas the primary reports `state=online` in `INFO replication`.
pub fn online_replicas(primary: &RedisServer) -> usize {
    primary
        .info("replication")
        .lines()
        .filter(|line| line.starts_with("slave") && line.contains("state=online"))
        .count()
}

/// SIGSTOPs the server: its connections stay open but it answers nothing, as a replica that stalls
/// (a long fork, a saturated disk or network) looks to its primary.
pub fn stall(server: &RedisServer) {
    signal(server.pid().expect("the redis-server runs"), "-STOP");
}

/// SIGCONTs a server [`stall`]ed before.
pub fn resume(server: &RedisServer) {
    signal(server.pid().expect("the redis-server runs"), "-CONT");
}

/// Sends signal `which` (`-STOP`, `-CONT`) to process `pid`.
pub fn signal(pid: u32, which: &str) {
    let status = std::process::Command::new("kill")
        .arg(which)
        .arg(pid.to_string())
        .status()
        .unwrap_or_else(|e| panic!("cannot run `kill {which} {pid}`: {e}"));
    assert!(status.success(), "kill {which} {pid} failed: {status}");
}
