//! Finding the primary through Redis Sentinel (`redis.sentinel`).
//!
//! Every Sentinel is asked `SENTINEL MASTER <master_name>` at once, each question bounded (see
//! [`probe`](super::probe)), so a Sentinel that hangs costs nothing once a majority has answered. Among
//! the answers, the one backed by the highest `config-epoch` wins: a failover raises the epoch, so a
//! Sentinel cut off during a failover, which still names the old primary, is outvoted by any Sentinel that
//! saw it. A majority answering includes at least one Sentinel that voted in the latest failover. The node
//! named is then checked to answer `ROLE` as a master before Versus uses it.

use super::endpoint::Endpoint;
use super::probe::{ask, gather, majority, probe_timeout};
use crate::infra::config::RedisSettings;
use redis::{Client, ErrorKind, RedisError, RedisResult};
use std::collections::HashMap;
use std::time::Duration;

pub struct SentinelLocator {
    endpoint: Endpoint,
    sentinels: Vec<Client>,
    master_name: String,
    probe: Duration,
}

/// What one Sentinel says about the primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub host: String,
    pub port: u16,
    pub epoch: u64,
}

impl SentinelLocator {
    pub fn new(settings: &RedisSettings, endpoint: &Endpoint) -> RedisResult<Self> {
        let password = settings.sentinel.password.as_ref().map(|p| p.expose());
        let sentinels = settings
            .sentinel_nodes()
            .into_iter()
            .map(|(host, port)| endpoint.sentinel_client(&host, port, password))
            .collect::<RedisResult<Vec<_>>>()?;
        Ok(Self {
            endpoint: endpoint.clone(),
            sentinels,
            master_name: settings.sentinel.master_name.clone(),
            probe: probe_timeout(settings.timeout()),
        })
    }

    /// A client for the primary the Sentinels name now, with its address for the logs.
    pub async fn locate(&mut self) -> RedisResult<(Client, String)> {
        let mut question = redis::cmd("SENTINEL");
        question.arg("MASTER").arg(&self.master_name);
        let probe = self.probe;
        let asks = self.sentinels.iter().map(|sentinel| {
            let question = &question;
            async move {
                let fields: HashMap<String, String> = ask(sentinel, question, probe).await?;
                parse_master(&fields)
            }
        });
        let gathered = gather(asks, majority(self.sentinels.len())).await;
        let Some(primary) = freshest(gathered.answers.into_iter().map(|(_, named)| named)) else {
            return Err(gathered.last_error.unwrap_or_else(|| {
                RedisError::from((
                    ErrorKind::MasterNameNotFoundBySentinel,
                    "no Sentinel named a healthy primary",
                    self.master_name.clone(),
                ))
            }));
        };
        let client = self.endpoint.client(&primary.host, primary.port)?;
        let address = describe(client.get_connection_info().addr());
        Ok((client, address))
    }
}

/// The primary named with the highest config epoch; on a tie, the answer that came first.
pub fn freshest(named: impl IntoIterator<Item = Named>) -> Option<Named> {
    named
        .into_iter()
        .reduce(|best, next| if next.epoch > best.epoch { next } else { best })
}

/// The primary in a `SENTINEL MASTER` reply, unless the Sentinel considers it down.
pub fn parse_master(fields: &HashMap<String, String>) -> RedisResult<Named> {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let flags = field("flags");
    if !flags.split(',').any(|f| f == "master")
        || flags.split(',').any(|f| f == "s_down" || f == "o_down")
    {
        return Err(RedisError::from((
            ErrorKind::MasterNameNotFoundBySentinel,
            "the Sentinel considers the primary down",
            format!("flags {flags}"),
        )));
    }
    let port = field("port").parse().ok().filter(|p| *p > 0);
    match (field("ip"), port) {
        (host, Some(port)) if !host.is_empty() => Ok(Named {
            host: host.to_string(),
            port,
            epoch: field("config-epoch").parse().unwrap_or(0),
        }),
        _ => Err(RedisError::from((
            ErrorKind::Parse,
            "a Sentinel's answer names no primary address",
            format!("ip {:?} port {:?}", field("ip"), field("port")),
        ))),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_primary_and_its_config_epoch() {
        let named = parse_master(&reply(&[
            ("name", "versus"),
            ("ip", "10.0.0.7"),
            ("port", "6380"),
            ("flags", "master"),
            ("config-epoch", "4"),
        ]))
        .unwrap();
        assert_eq!(
            named,
            Named {
                host: "10.0.0.7".into(),
                port: 6380,
                epoch: 4
            }
        );
    }

    #[test]
    fn the_answer_with_the_highest_config_epoch_wins() {
        let named = |port, epoch| Named {
            host: "127.0.0.1".into(),
            port,
            epoch,
        };
        let stale_first = [named(6379, 1), named(6380, 2), named(6381, 2)];
        assert_eq!(freshest(stale_first), Some(named(6380, 2)));
        assert_eq!(
            freshest([named(6380, 3), named(6379, 1)]),
            Some(named(6380, 3))
        );
        assert_eq!(freshest([]), None);
    }

    #[test]
    fn a_primary_the_sentinel_thinks_down_is_not_named() {
        for flags in ["master,s_down", "master,o_down", "slave"] {
            let fields = reply(&[("ip", "10.0.0.7"), ("port", "6380"), ("flags", flags)]);
            assert!(parse_master(&fields).is_err(), "{flags}");
        }
        let no_address = reply(&[("ip", ""), ("port", "0"), ("flags", "master")]);
        assert!(parse_master(&no_address).is_err());
    }
}
