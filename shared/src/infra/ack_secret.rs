//! The ack secret of an installation that configures none (no `oncall.ack_secret`, no `VERSUS_ACK_SECRET`),
//! as the product documentation's configs do not: a random 256-bit key generated once and kept in Redis at
//! `{prefix}ack_secret`, so every API and worker process, now and after restarts, signs and verifies with
//! the same one.
//!
//! The first process to start writes it with `SET NX` (a racing process finds the winner's key and uses
//! it), through the replicated writer like an accepted alert, so a failover right after does not lose it.
//! A key generated while incidents already exist means the one that signed their links was lost (Redis data
//! lost without its incidents, or the key deleted): their links stop working, which is logged as an error and
//! counted in `versus_ack_secret_regenerated_total`. An explicit secret avoids that and always wins.
//!
//! Each process then keeps the key stored: every few seconds it claims the key it uses again. Should the key
//! vanish from Redis while processes run (deleted, or a failover to a replica that lacked it), the running
//! processes put their key back before a newly started one could generate a different key, so signing and
//! verifying never split between two keys.

use crate::infra::config::Settings;
use crate::infra::redis_conn::{failover, RedisConnection};
use crate::infra::replication::{run_one, ReplicatedWrite, ReplicatedWriter, ReplicationError};
use crate::infra::secret::Secret;
use crate::infra::telemetry::with_cause;
use redis::{RedisError, Script};
use std::sync::LazyLock;
use std::time::Duration;
use thiserror::Error;

/// Counts keys generated while incidents existed.
pub const REGENERATED_METRIC: &str = "versus_ack_secret_regenerated_total";

/// Shortest stored key this release accepts, as for `oncall.ack_secret`.
const MIN_LEN: usize = 16;

/// How often a process that cannot reach Redis at start-up asks again.
const RETRY_INTERVAL: Duration = Duration::from_secs(2);

/// While Redis does not answer, one warning in this many tries (about every 30 s).
const WARNING_EVERY: u64 = 15;

/// How often a running process claims its key again, restoring it if it vanished from Redis.
const KEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Keys one `SCAN` step looks at while looking for an incident.
const SCAN_COUNT: u64 = 1000;

/// Stores `ARGV[1]` unless a key is there already, and answers the key that is stored, whoever wrote it.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new("redis.call('SET', KEYS[1], ARGV[1], 'NX')\nreturn redis.call('GET', KEYS[1])")
});

/// `{prefix}ack_secret` (the prefix carries the hash tag in Cluster mode).
pub fn ack_secret_key(prefix: &str) -> String {
    format!("{prefix}ack_secret")
}

/// Where the secret in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Stored by an earlier process.
    Loaded,
    /// Generated and stored by this process; `incidents_existed` when links signed before are now broken.
    Generated { incidents_existed: bool },
}

#[derive(Debug, Error)]
pub enum AckSecretError {
    #[error("cannot read or store the generated ack secret at {key} in Redis; check that Redis is reachable and writable, or set oncall.ack_secret")]
    Redis {
        key: String,
        #[source]
        source: ReplicationError,
    },
    #[error("{key} in Redis holds a value shorter than {MIN_LEN} characters, which cannot be an ack secret Versus generated; delete the key (a new one is generated, and links sent so far stop working) or set oncall.ack_secret")]
    TooShort { key: String },
}

impl AckSecretError {
    /// True when Redis could not be asked, as opposed to an answer that must stop the start-up.
    fn is_unanswered(&self) -> bool {
        match self {
            AckSecretError::Redis {
                source: ReplicationError::Redis(e),
                ..
            } => failover::unanswered(e),
            _ => false,
        }
    }
}

/// What both binaries do before they serve: when on-call is ready and no secret is configured, load the
/// installation's generated secret from Redis (or generate it) into `settings.oncall.ack_secret`. A process
/// that cannot reach Redis asks again until it can: without the key it could neither sign nor verify links.
pub async fn settle_at_startup(settings: &mut Settings) -> Result<(), AckSecretError> {
    if !settings.oncall.is_ready() || settings.oncall.ack_secret.is_some() {
        return Ok(());
    }
    let conn = RedisConnection::from_settings(&settings.redis).map_err(|source| {
        AckSecretError::Redis {
            key: ack_secret_key(&settings.redis.stored_prefix()),
            source: source.into(),
        }
    })?;
    let writer = ReplicatedWriter::from_settings(&settings.redis);
    let prefix = settings.redis.stored_prefix();
    let mut attempt = 0u64;
    loop {
        attempt += 1;
        match obtain(&conn, writer.as_ref(), &prefix).await {
            Ok((secret, origin)) => {
                crate::infra::telemetry::redact_in_logs(&secret);
                report(origin, &ack_secret_key(&prefix));
                tokio::spawn(keep_stored(conn, writer, prefix, secret.clone()));
                settings.oncall.ack_secret = Some(secret);
                return Ok(());
            }
            Err(error) if error.is_unanswered() => {
                if attempt % WARNING_EVERY == 1 {
                    tracing::warn!(error = %with_cause(&error), "cannot obtain the ack secret yet: Redis does not answer; asking again");
                }
                tokio::time::sleep(RETRY_INTERVAL).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// The installation's stored secret, generated and stored first when there is none.
async fn obtain(
    conn: &RedisConnection,
    writer: Option<&ReplicatedWriter>,
    prefix: &str,
) -> Result<(Secret, Origin), AckSecretError> {
    let key = ack_secret_key(prefix);
    let failed = |source: ReplicationError| AckSecretError::Redis {
        key: key.clone(),
        source,
    };
    let stored: Option<String> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn.clone())
        .await
        .map_err(|e| failed(e.into()))?;
    if let Some(stored) = stored {
        return Ok((usable(&key, stored)?, Origin::Loaded));
    }
    // Looked for before the key is stored: once it is, other processes may accept incidents under it.
    let incidents_existed = incidents_exist(conn, prefix)
        .await
        .map_err(|e| failed(e.into()))?;
    let generated = generate();
    let mut claim = CLAIM.prepare_invoke();
    claim.key(&key).arg(&generated);
    let stored: String = run_one(writer, conn, ReplicatedWrite::AckSecret, claim)
        .await
        .map_err(failed)?;
    let origin = match stored == generated {
        true => Origin::Generated { incidents_existed },
        false => Origin::Loaded,
    };
    Ok((usable(&key, stored)?, origin))
}

/// Claims `secret` again and again for as long as the process runs (see the module's documentation).
async fn keep_stored(
    conn: RedisConnection,
    writer: Option<ReplicatedWriter>,
    prefix: String,
    secret: Secret,
) {
    let key = ack_secret_key(&prefix);
    let mut interval = tokio::time::interval(KEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        interval.tick().await;
        let mut claim = CLAIM.prepare_invoke();
        claim.key(&key).arg(secret.expose());
        match run_one::<String>(writer.as_ref(), &conn, ReplicatedWrite::AckSecret, claim).await {
            Ok(stored) if stored == secret.expose() => {}
            Ok(_) => tracing::error!(
                %key,
                "the ack secret stored in Redis is not the one this process signs and verifies with (it was replaced while this process ran); restart every API and worker process so that all use the stored one, or set oncall.ack_secret"
            ),
            Err(error) => {
                tracing::debug!(%key, error = %with_cause(&error), "cannot claim the ack secret again; trying at the next interval")
            }
        }
    }
}

fn usable(key: &str, stored: String) -> Result<Secret, AckSecretError> {
    match stored.len() >= MIN_LEN {
        true => Ok(Secret::new(stored)),
        false => Err(AckSecretError::TooShort {
            key: key.to_string(),
        }),
    }
}

/// 256 random bits, hex-encoded.
fn generate() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether any incident record exists under `prefix`, looked for step by step so Redis is never blocked.
async fn incidents_exist(conn: &RedisConnection, prefix: &str) -> Result<bool, RedisError> {
    let pattern = format!("{}incident:*", glob_escape(prefix));
    let mut conn = conn.clone();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            return Ok(true);
        }
        if next == 0 {
            return Ok(false);
        }
        cursor = next;
    }
}

/// `text` matched literally by a `SCAN MATCH` pattern.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn report(origin: Origin, key: &str) {
    match origin {
        Origin::Loaded => {
            tracing::info!(%key, "ack links are signed with the installation's generated ack secret, loaded from Redis")
        }
        Origin::Generated {
            incidents_existed: false,
        } => tracing::info!(
            %key,
            "no oncall.ack_secret is configured: generated the installation's ack secret and stored it in Redis; every process uses it"
        ),
        Origin::Generated {
            incidents_existed: true,
        } => {
            // This runs before the app installs the recorder; the count must not be lost.
            crate::infra::metrics::install();
            metrics::counter!(REGENERATED_METRIC).increment(1);
            tracing::error!(
                %key,
                "generated a new ack secret although incidents exist: the one that signed their ack links is gone from Redis, so those links no longer work (acknowledge in Slack or let them escalate); set oncall.ack_secret to keep links across a loss of Redis data"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_256_random_bits() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn the_key_lives_under_the_tagged_prefix() {
        assert_eq!(
            ack_secret_key("versus:{versus}:"),
            "versus:{versus}:ack_secret"
        );
    }

    #[test]
    fn glob_characters_of_a_prefix_are_matched_literally() {
        assert_eq!(glob_escape("team*[a]?:{t}:"), "team\\*\\[a\\]\\?:{t}:");
    }

    #[test]
    fn a_short_stored_value_is_refused_naming_the_key() {
        let error = usable("versus:ack_secret", "short".into()).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("versus:ack_secret in Redis holds"));
        assert!(usable("k", "0123456789abcdef".into()).is_ok());
    }
}
