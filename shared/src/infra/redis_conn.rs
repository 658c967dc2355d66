//! Connections to Redis built from `redis:` settings, with bounded timeouts so that an outage turns into a
//! fast error (the API answers `503`, the worker backs off) rather than a hang.

use crate::infra::config::RedisSettings;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, RedisResult};
use std::time::Duration;

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

fn timeout(settings: &RedisSettings) -> Duration {
    Duration::from_millis(settings.timeout_ms)
}

/// A self-healing connection: it reconnects in the background after Redis restarts, and every command
/// fails within `redis.timeout_ms` while Redis is away. Created lazily, so a process can start (and report
/// not-ready) while Redis is still down.
pub fn managed(settings: &RedisSettings) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout(settings)))
        .set_response_timeout(Some(timeout(settings)))
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(1000));
    ConnectionManager::new_lazy_with_config(client(settings)?, config)
}

/// A dedicated connection for blocking commands (BLPOP), which would stall a shared multiplexed connection.
/// It has no response timeout of its own: callers bound each blocking call themselves.
pub async fn dedicated(settings: &RedisSettings) -> RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout(settings)))
        .set_response_timeout(None);
    client(settings)?
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// True when Redis answers PING within the timeout.
pub async fn ping(conn: &mut ConnectionManager, within: Duration) -> bool {
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
