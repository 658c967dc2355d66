//! How Versus reaches any one Redis node, whatever the mode: TLS (checked against the public roots, or
//! against the private CA of `redis.ca_cert`), ACL user and password, database. Sentinels get the same
//! TLS settings with their own password.

use crate::infra::config::RedisSettings;
use redis::{
    Client, ConnectionAddr, ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisConnectionInfo,
    RedisError, RedisResult, TlsCertificates,
};

/// Everything but the address of a connection to one node.
#[derive(Clone)]
pub struct Endpoint {
    tls: bool,
    insecure: bool,
    /// PEM bundle of `redis.ca_cert`, read once at start-up.
    root_cert: Option<Vec<u8>>,
    auth: RedisConnectionInfo,
}

impl Endpoint {
    /// Reads `redis.ca_cert` (an error names the key) and keeps the rest of the settings.
    pub fn from_settings(settings: &RedisSettings) -> RedisResult<Self> {
        let root_cert = match &settings.ca_cert {
            Some(path) => Some(std::fs::read(path).map_err(|e| {
                RedisError::from((
                    ErrorKind::InvalidClientConfig,
                    "redis.ca_cert cannot be read",
                    format!("{}: {e}", path.display()),
                ))
            })?),
            None => None,
        };
        let mut auth = RedisConnectionInfo::default().set_db(settings.db);
        if let Some(user) = &settings.username {
            auth = auth.set_username(user);
        }
        if let Some(password) = &settings.password {
            auth = auth.set_password(password.expose());
        }
        Ok(Self {
            tls: settings.tls,
            insecure: settings.tls && settings.insecure_skip_verify,
            root_cert,
            auth,
        })
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The TCP (or TLS) address of `host:port`, without certificates (see [`Self::certificates`]).
    pub fn address(&self, host: &str, port: u16) -> ConnectionAddr {
        if self.tls {
            ConnectionAddr::TcpTls {
                host: host.to_string(),
                port,
                insecure: self.insecure,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(host.to_string(), port)
        }
    }

    /// The private CA, when `redis.ca_cert` gives one.
    pub fn certificates(&self) -> Option<TlsCertificates> {
        self.root_cert.as_ref().map(|pem| TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.clone()),
        })
    }

    /// A client for the node at `host:port`, with this endpoint's TLS and credentials.
    pub fn client(&self, host: &str, port: u16) -> RedisResult<Client> {
        self.client_with(host, port, self.auth.clone())
    }

    /// A client for the Sentinel at `host:port`: the same TLS, the Sentinels' own password, no user.
    pub fn sentinel_client(
        &self,
        host: &str,
        port: u16,
        password: Option<&str>,
    ) -> RedisResult<Client> {
        let mut auth = RedisConnectionInfo::default();
        if let Some(password) = password {
            auth = auth.set_password(password);
        }
        self.client_with(host, port, auth)
    }

    fn client_with(&self, host: &str, port: u16, auth: RedisConnectionInfo) -> RedisResult<Client> {
        let info: ConnectionInfo = self
            .address(host, port)
            .into_connection_info()?
            .set_redis_settings(auth);
        match self.certificates() {
            Some(certs) if self.tls => Client::build_with_tls(info, certs),
            _ => Client::open(info),
        }
    }
}

/// Percent-encoding as in a Redis URL, so that log redaction also finds a secret in that form.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::secret::Secret;

    #[test]
    fn carries_user_password_database_and_tls() {
        let settings = RedisSettings {
            host: "redis.svc".into(),
            port: 6380,
            db: 2,
            username: Some("versus".into()),
            password: Some(Secret::new("p@ss:w/rd")),
            tls: true,
            insecure_skip_verify: true,
            ..RedisSettings::default()
        };
        let endpoint = Endpoint::from_settings(&settings).unwrap();
        let client = endpoint.client("node-1", 7000).unwrap();
        let info = client.get_connection_info();
        assert_eq!(info.redis_settings().username(), Some("versus"));
        assert_eq!(info.redis_settings().password(), Some("p@ss:w/rd"));
        assert_eq!(info.redis_settings().db(), 2);
        assert!(matches!(
            info.addr(),
            ConnectionAddr::TcpTls { host, port: 7000, insecure: true, .. } if host == "node-1"
        ));
    }

    #[test]
    fn a_missing_ca_file_is_an_error_naming_the_key() {
        let settings = RedisSettings {
            tls: true,
            ca_cert: Some("/nonexistent/versus-ca.pem".into()),
            ..RedisSettings::default()
        };
        let error = Endpoint::from_settings(&settings).err().unwrap();
        assert!(error.to_string().contains("redis.ca_cert"), "{error}");
    }

    #[test]
    fn percent_encodes_reserved_characters() {
        assert_eq!(percent_encode("p@ss:w/rd"), "p%40ss%3Aw%2Frd");
    }
}
