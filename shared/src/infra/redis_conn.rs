//! Connections to Redis built from `redis:` settings, with bounded timeouts so that an outage turns into a
//! fast error (the API answers `503`, the worker backs off) rather than a hang.
//!
//! Every store and probe talks to Redis through one type, [`RedisConnection`], so that how Versus finds and
//! follows its Redis is decided here alone.

use crate::infra::config::RedisSettings;
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisFuture, RedisResult, Value};
use std::time::Duration;

/// The shared, self-healing connection every store uses: cheap to clone, commands multiplexed over it.
#[derive(Clone)]
pub struct RedisConnection {
    inner: ConnectionManager,
}

impl RedisConnection {
    /// A connection for these settings, made lazily (see [`managed`]).
    pub fn from_settings(settings: &RedisSettings) -> RedisResult<Self> {
        managed(settings).map(Self::from)
    }
}

impl From<ConnectionManager> for RedisConnection {
    fn from(inner: ConnectionManager) -> Self {
        Self { inner }
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        self.inner.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        self.inner.req_packed_commands(cmd, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

/// The connection URL. The password is percent-encoded so any character is safe in it.
pub fn connection_url(settings: &RedisSettings) -> String {
    let scheme = if settings.tls { "rediss" } else { "redis" };
    let auth = settings
        .password
        .as_ref()
        .map(|p| format!(":{}@", percent_encode(p.expose())))
        .unwrap_or_default();
    let insecure = if settings.tls && settings.insecure_skip_verify {
        "#insecure"
    } else {
        ""
    };
    format!(
        "{scheme}://{auth}{}:{}/{}{insecure}",
        settings.host, settings.port, settings.db
    )
}

pub(crate) fn percent_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn client(settings: &RedisSettings) -> RedisResult<Client> {
    Client::open(connection_url(settings))
}

/// A self-healing connection: it reconnects in the background after Redis restarts, and every command
/// fails within `redis.timeout_ms` while Redis is away. Created lazily, so a process can start (and report
/// not-ready) while Redis is still down.
fn managed(settings: &RedisSettings) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(settings.timeout()))
        .set_response_timeout(Some(settings.timeout()))
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(1000));
    ConnectionManager::new_lazy_with_config(client(settings)?, config)
}

/// A dedicated connection for blocking commands (BLPOP), which would stall a shared multiplexed connection.
/// It has no response timeout of its own: callers bound each blocking call themselves.
pub async fn dedicated(settings: &RedisSettings) -> RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(settings.timeout()))
        .set_response_timeout(None);
    client(settings)?
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// True when Redis answers PING within the timeout.
pub async fn ping(conn: &mut RedisConnection, within: Duration) -> bool {
    let command = redis::cmd("PING");
    let ping = command.query_async::<String>(conn);
    matches!(tokio::time::timeout(within, ping).await, Ok(Ok(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::secret::Secret;

    #[test]
    fn url_encodes_password_and_tls_flags() {
        let mut settings = RedisSettings {
            host: "redis.svc".into(),
            port: 6380,
            db: 2,
            password: Some(Secret::new("p@ss:w/rd")),
            ..RedisSettings::default()
        };
        assert_eq!(
            connection_url(&settings),
            "redis://:p%40ss%3Aw%2Frd@redis.svc:6380/2"
        );
        settings.tls = true;
        settings.insecure_skip_verify = true;
        assert_eq!(
            connection_url(&settings),
            "rediss://:p%40ss%3Aw%2Frd@redis.svc:6380/2#insecure"
        );
    }
}
