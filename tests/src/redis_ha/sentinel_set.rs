//! A Sentinel-watched Redis: a primary, one replica and three Sentinels (quorum 2), all on 127.0.0.1,
//! tuned so that a killed primary is replaced within seconds (`down-after-milliseconds` 1000).

use std::fs::File;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::node_state::{
    auth_args, info_field, query_sync, wait_for, wait_for_state, DATA_PASSWORD, SENTINEL_PASSWORD,
};
use crate::ports::free_port;
use crate::redis_replica::signal;
use crate::redis_server::{RedisOptions, RedisServer};

/// The name the Sentinels monitor the primary under (`redis.sentinel.master_name`).
pub const MASTER_NAME: &str = "versus";

/// How long a failover (or a node's return as a replica) may take before the harness gives up. It takes a few
/// seconds; the margin covers a Sentinel in TILT mode, which a loaded machine can cause (a timer tick more
/// than 2 s late) and which stops the Sentinel from acting for 30 s.
pub const FAILOVER_LIMIT: Duration = Duration::from_secs(60);

pub struct SentinelSet {
    /// The first primary; after a failover, the node that was killed.
    pub primary: RedisServer,
    /// The first replica; the primary after a failover.
    pub replica: RedisServer,
    sentinels: Vec<SentinelProcess>,
}

/// Without this a replica's first full sync waits 5 s (Redis 7's default), and a replica that never
/// synced is never promoted.
/// Every data node also requires a password ([`auth_args`]).
fn replication_args() -> Vec<String> {
    let mut args = auth_args();
    args.extend(["--repl-diskless-sync-delay".into(), "0".into()]);
    args
}

impl SentinelSet {
    /// Starts everything and waits until the replica is in sync and every Sentinel knows the replica and
    /// the other two Sentinels, so that a failover can happen.
    pub async fn start() -> Self {
        let primary = RedisServer::start_with(RedisOptions {
            password: Some(DATA_PASSWORD.into()),
            extra_args: replication_args(),
            ..RedisOptions::default()
        });
        let mut replica_args = replication_args();
        replica_args.extend([
            "--replicaof".into(),
            "127.0.0.1".into(),
            primary.port().to_string(),
        ]);
        let replica = RedisServer::start_with(RedisOptions {
            password: Some(DATA_PASSWORD.into()),
            extra_args: replica_args,
            ..RedisOptions::default()
        });
        let sentinels = (0..3)
            .map(|_| SentinelProcess::start(primary.port()))
            .collect();
        let set = Self {
            primary,
            replica,
            sentinels,
        };
        set.wait_replica_synced(&set.replica).await;
        for sentinel in &set.sentinels {
            let port = sentinel.port;
            wait_for(
                FAILOVER_LIMIT,
                "every Sentinel to know the replica and the other Sentinels",
                || {
                    let fields: Vec<String> = query_sync(
                        port,
                        SENTINEL_PASSWORD,
                        redis::cmd("SENTINEL").arg("MASTER").arg(MASTER_NAME),
                    )?;
                    let field = |name: &str| {
                        fields
                            .chunks(2)
                            .find(|pair| pair[0] == name)
                            .map(|pair| pair[1].clone())
                    };
                    Ok(field("num-slaves").as_deref() == Some("1")
                        && field("num-other-sentinels").as_deref() == Some("2"))
                },
            )
            .await;
        }
        set
    }

    /// SIGSTOPs Sentinel `i`: it still accepts connections but answers nothing, as a hung Sentinel does.
    pub fn stall_sentinel(&self, i: usize) {
        signal(self.sentinels[i].child.id(), "-STOP");
    }

    /// SIGCONTs a Sentinel stalled before.
    pub fn resume_sentinel(&self, i: usize) {
        signal(self.sentinels[i].child.id(), "-CONT");
    }

    /// `redis.sentinel.nodes` as one comma-separated value.
    pub fn sentinel_nodes(&self) -> String {
        self.sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The port of the primary the first Sentinel names.
    pub fn named_primary_port(&self) -> redis::RedisResult<u16> {
        let (_, port): (String, u16) = query_sync(
            self.sentinels[0].port,
            SENTINEL_PASSWORD,
            redis::cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(MASTER_NAME),
        )?;
        Ok(port)
    }

    /// Waits until the Sentinels name another primary than `old_port` and it answers as a master.
    pub async fn wait_promoted(&self, old_port: u16) -> u16 {
        wait_for(
            FAILOVER_LIMIT,
            "the Sentinels to promote the replica",
            || {
                let port = self.named_primary_port()?;
                if port == old_port {
                    return Ok(false);
                }
                let info: String =
                    query_sync(port, DATA_PASSWORD, redis::cmd("INFO").arg("replication"))?;
                Ok(info_field(&info, "role") == Some("master"))
            },
        )
        .await;
        self.named_primary_port().expect("the Sentinels answer")
    }

    /// Waits until `server` is a replica whose link to its primary is up.
    pub async fn wait_replica_synced(&self, server: &RedisServer) {
        let port = server.port();
        wait_for_state(FAILOVER_LIMIT, "a replica in sync with its primary", || {
            let info: String =
                query_sync(port, DATA_PASSWORD, redis::cmd("INFO").arg("replication"))?;
            let role = info_field(&info, "role");
            let link = info_field(&info, "master_link_status");
            Ok((role != Some("slave") || link != Some("up"))
                .then(|| format!("role {role:?}, link {link:?}")))
        })
        .await;
    }
}

/// A `redis-server --sentinel` process with its own (rewritable) configuration file.
struct SentinelProcess {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl SentinelProcess {
    fn start(primary_port: u16) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("versus-sentinel-")
            .tempdir()
            .expect("a temporary directory for a Sentinel");
        let port = free_port();
        let config = dir.path().join("sentinel.conf");
        std::fs::write(
            &config,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                 sentinel monitor {MASTER_NAME} 127.0.0.1 {primary_port} 2\n\
                 sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                 sentinel failover-timeout {MASTER_NAME} 5000\n\
                 sentinel parallel-syncs {MASTER_NAME} 1\n\
                 sentinel auth-pass {MASTER_NAME} {DATA_PASSWORD}\n\
                 requirepass {SENTINEL_PASSWORD}\n",
                dir = dir.path().display()
            ),
        )
        .expect("write sentinel.conf");
        let log = File::create(dir.path().join("sentinel.log")).expect("sentinel log");
        let child = Command::new("redis-server")
            .arg(&config)
            .arg("--sentinel")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start redis-server --sentinel (apt-get install -y redis-server)");
        let started = std::time::Instant::now();
        while query_sync::<String>(port, SENTINEL_PASSWORD, &redis::cmd("PING")).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "Sentinel on port {port} did not answer PING within 10 s"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for SentinelProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
