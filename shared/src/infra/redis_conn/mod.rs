//! Connections to Redis built from `redis:` settings, with bounded timeouts so that an outage turns into a
//! fast error (the API answers `503`, the worker backs off) rather than a hang.
//!
//! Every store, the blocking `BLPOP` connections and the health probe talk to Redis through one type,
//! [`RedisConnection`], so that how Versus finds and follows its Redis is decided here alone:
//!
//! | mode | how the primary is found | after it dies |
//! | --- | --- | --- |
//! | standalone | `host:port` | redis-rs's `ConnectionManager` reconnects to the same address |
//! | Sentinel (`redis.sentinel`) | the Sentinels name the primary of `master_name` ([`sentinel`]) | [`FollowedPrimary`] asks them again |
//! | Cluster (`redis.cluster`) | the owner of Versus's one hash slot, from `CLUSTER NODES` ([`cluster`]) | [`FollowedPrimary`] asks the nodes again |
//!
//! All of Versus's keys share one hash tag in Cluster mode, so in every mode Versus talks to exactly one
//! primary and a Lua script always finds all its keys on the node it runs on.

pub mod cluster;
mod endpoint;
pub mod failover;
mod followed;
pub mod probe;
pub mod sentinel;

pub(crate) use endpoint::percent_encode;
pub use endpoint::Endpoint;
pub use followed::{FollowedPrimary, Locator};

use crate::infra::config::{RedisMode, RedisSettings};
use cluster::ClusterLocator;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};
use sentinel::SentinelLocator;
use std::time::Duration;

/// The connection every store uses: cheap to clone (clones share it), commands multiplexed over it,
/// self-healing in every mode.
#[derive(Clone)]
pub struct RedisConnection {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Managed(ConnectionManager),
    Followed(FollowedPrimary),
}

impl RedisConnection {
    /// The shared connection for these settings, made lazily, so a process can start (and report
    /// not-ready) while Redis is still down. Every command fails within `redis.timeout_ms` while Redis
    /// (or, with Sentinel or Cluster, its primary) is away.
    pub fn from_settings(settings: &RedisSettings) -> RedisResult<Self> {
        open(settings, Some(settings.timeout()))
    }

    /// A connection of its own, not shared with the stores, to the current primary (in Cluster mode, the
    /// owner of Versus's slot), connected before it is returned. Use it for commands that would hold up
    /// others on a shared connection: blocking ones (`BLPOP`, with `response_timeout` `None`; the caller
    /// bounds each call) or `WAIT`. It follows the primary like the shared one.
    pub async fn dedicated(
        settings: &RedisSettings,
        response_timeout: Option<Duration>,
    ) -> RedisResult<Self> {
        if settings.mode() == RedisMode::Standalone {
            let config = manager_config(settings, response_timeout);
            let client =
                Endpoint::from_settings(settings)?.client(&settings.host, settings.port)?;
            let manager = ConnectionManager::new_with_config(client, config).await?;
            return Ok(Self::from(manager));
        }
        match open(settings, response_timeout)?.inner {
            Inner::Followed(followed) => Ok(Self {
                inner: Inner::Followed(followed.connected().await?),
            }),
            managed => Ok(Self { inner: managed }),
        }
    }
}

fn open(
    settings: &RedisSettings,
    response_timeout: Option<Duration>,
) -> RedisResult<RedisConnection> {
    let endpoint = Endpoint::from_settings(settings)?;
    let locator = match settings.mode() {
        RedisMode::Standalone => {
            let client = endpoint.client(&settings.host, settings.port)?;
            let config = manager_config(settings, response_timeout);
            let manager = ConnectionManager::new_lazy_with_config(client, config)?;
            return Ok(RedisConnection::from(manager));
        }
        RedisMode::Sentinel => Locator::Sentinel(SentinelLocator::new(settings, &endpoint)?),
        RedisMode::Cluster => Locator::Cluster(ClusterLocator::new(settings, &endpoint)),
    };
    Ok(RedisConnection {
        inner: Inner::Followed(FollowedPrimary::new(
            locator,
            settings.timeout(),
            response_timeout,
            settings.db,
        )),
    })
}

fn manager_config(
    settings: &RedisSettings,
    response_timeout: Option<Duration>,
) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(settings.timeout()))
        .set_response_timeout(response_timeout)
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(1000))
}

impl From<ConnectionManager> for RedisConnection {
    fn from(manager: ConnectionManager) -> Self {
        Self {
            inner: Inner::Managed(manager),
        }
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Managed(manager) => manager.req_packed_command(cmd),
            Inner::Followed(followed) => followed.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Managed(manager) => manager.req_packed_commands(cmd, offset, count),
            Inner::Followed(followed) => followed.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Managed(manager) => manager.get_db(),
            Inner::Followed(followed) => followed.db(),
        }
    }
}

/// True when Redis (in Sentinel and Cluster mode: Versus's primary) answers PING within the timeout.
pub async fn ping(conn: &mut RedisConnection, within: Duration) -> bool {
    let command = redis::cmd("PING");
    let ping = command.query_async::<String>(conn);
    matches!(tokio::time::timeout(within, ping).await, Ok(Ok(_)))
}
