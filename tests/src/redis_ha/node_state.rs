//! Asking a Redis node (or a Sentinel) on 127.0.0.1 about its state, and waiting for a state.

use std::time::{Duration, Instant};

/// Every data node of the failover tests requires a password, so that Versus is shown to authenticate
/// everywhere: the `default` user's, which replicas and the harness use ...
pub const DATA_PASSWORD: &str = "versus-ha-data-pw";
/// ... and an ACL user of Versus's own (`redis.username`), allowed every command on every key.
pub const VERSUS_USER: &str = "versus";
pub const VERSUS_PASSWORD: &str = "versus-ha-user-pw";
/// The Sentinels' own password (`redis.sentinel.password`).
pub const SENTINEL_PASSWORD: &str = "versus-ha-sentinel-pw";

/// `redis-server` arguments that make a replica authenticate with [`DATA_PASSWORD`] and add
/// [`VERSUS_USER`]; the password itself is `RedisOptions::password`.
pub fn auth_args() -> Vec<String> {
    [
        "--masterauth",
        DATA_PASSWORD,
        "--user",
        VERSUS_USER,
        "on",
        &format!(">{VERSUS_PASSWORD}"),
        "~*",
        "&*",
        "+@all",
    ]
    .map(String::from)
    .to_vec()
}

/// One command on a fresh blocking connection to `127.0.0.1:port`, authenticated with `password` as the
/// default user, bounded by one second.
pub fn query_sync<T: redis::FromRedisValue>(
    port: u16,
    password: &str,
    cmd: &redis::Cmd,
) -> redis::RedisResult<T> {
    let client = redis::Client::open(format!("redis://:{password}@127.0.0.1:{port}/"))?;
    let mut conn = client.get_connection_with_timeout(Duration::from_secs(1))?;
    conn.set_read_timeout(Some(Duration::from_secs(1)))?;
    cmd.query(&mut conn)
}

/// Reads `name:value` from the text of an INFO reply.
pub fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == name).then(|| value.trim())
    })
}

/// Polls `check` every 50 ms until it is true; panics after `limit` naming `what` and the last error.
pub async fn wait_for(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> redis::RedisResult<bool>,
) {
    wait_for_state(limit, what, || {
        check().map(|done| if done { None } else { Some("not yet".into()) })
    })
    .await
}

/// Like [`wait_for`], with `check` saying what the state is while it is not the one awaited (`None` once
/// it is), which the panic message then shows.
pub async fn wait_for_state(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> redis::RedisResult<Option<String>>,
) {
    let started = Instant::now();
    let mut last = String::from("not yet");
    while started.elapsed() < limit {
        match check() {
            Ok(None) => return,
            Ok(Some(state)) => last = state,
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("waited {limit:?} for {what} (last: {last})");
}

/// The commands of Versus (its scripts, and BLPOP on wake-up lists) that `INFO commandstats` of the node
/// at `port` counts, called or rejected. A node that has only ever been a replica since it started
/// counts none: replication applies a script's effects, not the script.
pub fn versus_commands_seen(port: u16) -> redis::RedisResult<Vec<String>> {
    let stats: String = query_sync(port, DATA_PASSWORD, redis::cmd("INFO").arg("commandstats"))?;
    Ok(stats
        .lines()
        .filter(|line| {
            [
                "cmdstat_evalsha:",
                "cmdstat_eval:",
                "cmdstat_blpop:",
                "cmdstat_fcall:",
            ]
            .iter()
            .any(|name| line.starts_with(name))
        })
        .map(str::to_string)
        .collect())
}
