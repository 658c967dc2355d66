//! Finding the primary through Redis Sentinel (`redis.sentinel`): the Sentinels name the primary of
//! `master_name`, and the node is checked to answer `ROLE` as a master before Versus uses it.

use super::endpoint::Endpoint;
use crate::infra::config::RedisSettings;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Client, RedisResult, TlsMode};

pub struct SentinelLocator {
    client: SentinelClient,
}

impl SentinelLocator {
    pub fn new(settings: &RedisSettings, endpoint: &Endpoint) -> RedisResult<Self> {
        let sentinels = settings
            .sentinel_nodes()
            .into_iter()
            .map(|(host, port)| endpoint.address(&host, port));
        let mut builder = SentinelClientBuilder::new(
            sentinels,
            &settings.sentinel.master_name,
            SentinelServerType::Master,
        )?
        .set_client_to_redis_db(settings.db);
        if let Some(user) = endpoint.auth().username() {
            builder = builder.set_client_to_redis_username(user);
        }
        if let Some(password) = endpoint.auth().password() {
            builder = builder.set_client_to_redis_password(password);
        }
        if let Some(password) = &settings.sentinel.password {
            builder = builder.set_client_to_sentinel_password(password.expose());
        }
        if endpoint.is_tls() {
            let mode = if settings.insecure_skip_verify {
                TlsMode::Insecure
            } else {
                TlsMode::Secure
            };
            builder = builder.set_client_to_redis_tls_mode(mode);
            if let Some(certs) = endpoint.certificates() {
                builder = builder
                    .set_client_to_redis_certificates(certs.clone())
                    .set_client_to_sentinel_certificates(certs);
            }
        }
        Ok(Self {
            client: builder.build()?,
        })
    }

    /// A client for the primary the Sentinels name now, with its address for the logs.
    pub async fn locate(&mut self) -> RedisResult<(Client, String)> {
        let client = self.client.async_get_client().await?;
        let address = describe(client.get_connection_info().addr());
        Ok((client, address))
    }
}

pub fn describe(addr: &redis::ConnectionAddr) -> String {
    match addr {
        redis::ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        redis::ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port} (TLS)"),
        redis::ConnectionAddr::Unix(path) => path.display().to_string(),
        other => format!("{other:?}"),
    }
}
