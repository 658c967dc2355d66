//! The version of the format Versus stores in Redis, kept at `{prefix}schema_version`.
//!
//! A release that changes what it stores raises [`SCHEMA_VERSION`], and `docs/upgrading.md` says for each
//! change whether old and new processes may run side by side and whether a rollback is safe. A release
//! refuses to start on data of a newer format than it knows: it would misread those records, or write
//! records the newer release cannot read. Releases from before the key ignore it.

use crate::infra::config::RedisSettings;
use crate::infra::redis_conn::{failover, RedisConnection};
use crate::infra::telemetry::with_cause;
use redis::aio::ConnectionLike;
use std::time::Duration;
use thiserror::Error;

/// The stored format this release writes.
pub const SCHEMA_VERSION: u32 = 1;

/// How often a process that started while Redis was unreachable tries the check again.
const RECHECK_INTERVAL: Duration = Duration::from_secs(2);

/// While the check waits for Redis, one warning in this many tries (about every 30 s) says so.
const UNCHECKED_WARNING_EVERY: u64 = 15;

/// `{prefix}schema_version`.
pub fn schema_key(prefix: &str) -> String {
    format!("{prefix}schema_version")
}

#[derive(Debug, Error)]
pub enum SchemaError {
    #[error(
        "Redis holds data in stored format {stored} ({key}), newer than format {known}, the newest this \
         release knows: it must not work on that data. Roll forward to a release that knows format {stored}, \
         or follow docs/upgrading.md to roll back"
    )]
    NewerThanRelease {
        key: String,
        stored: u32,
        known: u32,
    },
    #[error("{key} holds {value:?}, which is not a stored-format version; see docs/upgrading.md")]
    Unreadable { key: String, value: String },
    #[error("invalid Redis settings")]
    Settings(#[source] redis::RedisError),
    #[error("cannot read or write {key} in Redis")]
    Redis {
        key: String,
        #[source]
        source: redis::RedisError,
    },
    #[error("Redis did not answer within {within:?} when reading {key}")]
    Timeout { key: String, within: Duration },
}

impl SchemaError {
    /// True when Redis could not be asked (unreachable, connection lost, too slow), as opposed to an answer:
    /// a version this release cannot accept, or an error Redis gave (an ACL refusal, a read-only replica),
    /// which must stop the start-up rather than let it go on unchecked.
    pub fn is_unanswered(&self) -> bool {
        match self {
            SchemaError::Timeout { .. } => true,
            SchemaError::Redis { source, .. } => failover::unanswered(source),
            _ => false,
        }
    }
}

/// What this release makes of the version Redis holds: the version when this release can work on it.
pub fn judge(key: &str, stored: &str) -> Result<u32, SchemaError> {
    let stored = stored
        .trim()
        .parse::<u32>()
        .map_err(|_| SchemaError::Unreadable {
            key: key.to_string(),
            value: stored.to_string(),
        })?;
    if stored > SCHEMA_VERSION {
        return Err(SchemaError::NewerThanRelease {
            key: key.to_string(),
            stored,
            known: SCHEMA_VERSION,
        });
    }
    Ok(stored)
}

/// Writes this release's version unless Redis holds one already (`SET NX`), then judges the one it holds.
/// Both in one transaction, so the answer is the version that is stored, whoever wrote it.
pub async fn claim<C: ConnectionLike>(conn: &mut C, prefix: &str) -> Result<u32, SchemaError> {
    let key = schema_key(prefix);
    let (stored,): (Option<String>,) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(&key)
        .arg(SCHEMA_VERSION)
        .arg("NX")
        .ignore()
        .cmd("GET")
        .arg(&key)
        .query_async(conn)
        .await
        .map_err(|source| SchemaError::Redis {
            key: key.clone(),
            source,
        })?;
    judge(&key, stored.as_deref().unwrap_or_default())
}

/// What both binaries do before they start working: [`claim`] the version, and fail when Redis holds a
/// newer one.
///
/// A process may start while Redis is unreachable (it reports not-ready until Redis answers), so an
/// unanswered check does not stop it: the check runs again in the background until Redis answers, and a
/// newer format found then ends the process with exit code 1, as if it had refused to start.
pub async fn enforce_at_startup(settings: &RedisSettings) -> Result<(), SchemaError> {
    let mut conn = RedisConnection::from_settings(settings).map_err(SchemaError::Settings)?;
    let within = settings.timeout();
    let prefix = settings.stored_prefix();
    let answer = match tokio::time::timeout(within, claim(&mut conn, &prefix)).await {
        Ok(answer) => answer,
        Err(_) => Err(SchemaError::Timeout {
            key: schema_key(&prefix),
            within,
        }),
    };
    match answer {
        Ok(stored) => {
            log_accepted(stored);
            Ok(())
        }
        Err(error) if error.is_unanswered() => {
            tracing::warn!(error = %with_cause(&error), "cannot check the stored format yet; checking again until Redis answers");
            tokio::spawn(enforce_once_answered(conn, prefix));
            Ok(())
        }
        Err(error) => Err(error),
    }
}

async fn enforce_once_answered(mut conn: RedisConnection, prefix: String) {
    for attempt in 1u64.. {
        tokio::time::sleep(RECHECK_INTERVAL).await;
        match claim(&mut conn, &prefix).await {
            Ok(stored) => return log_accepted(stored),
            Err(error) if error.is_unanswered() && attempt % UNCHECKED_WARNING_EVERY == 0 => {
                tracing::warn!(error = %with_cause(&error), "the stored format is still unchecked: Redis does not answer")
            }
            Err(error) if error.is_unanswered() => {
                tracing::debug!(error = %with_cause(&error), "stored format still unchecked")
            }
            Err(error) => {
                tracing::error!(error = %error, "refusing to go on: the stored format is not one this release knows");
                std::process::exit(1);
            }
        }
    }
}

fn log_accepted(stored: u32) {
    tracing::info!(
        stored_format = stored,
        release_format = SCHEMA_VERSION,
        "stored format checked"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_redis_that_cannot_be_reached_leaves_the_format_unchecked() {
        let redis = |source: redis::RedisError| SchemaError::Redis {
            key: "k".into(),
            source,
        };
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(redis(refused.into()).is_unanswered());
        assert!(SchemaError::Timeout {
            key: "k".into(),
            within: Duration::from_secs(1)
        }
        .is_unanswered());
        let denied = redis((redis::ErrorKind::AuthenticationFailed, "NOPERM").into());
        assert!(!denied.is_unanswered());
        assert!(!judge("k", "99").unwrap_err().is_unanswered());
    }

    #[test]
    fn the_key_is_under_the_prefix() {
        assert_eq!(schema_key("versus:"), "versus:schema_version");
    }

    #[test]
    fn this_release_works_on_its_own_format_and_older_ones() {
        assert_eq!(judge("k", "1").unwrap(), 1);
        assert_eq!(
            judge("k", &SCHEMA_VERSION.to_string()).unwrap(),
            SCHEMA_VERSION
        );
        assert_eq!(judge("k", "0").unwrap(), 0);
    }

    #[test]
    fn a_newer_format_is_refused_with_what_to_do() {
        let newer = (SCHEMA_VERSION + 1).to_string();
        let error = judge("versus:schema_version", &newer).unwrap_err();
        assert!(
            matches!(error, SchemaError::NewerThanRelease { stored, known, .. } if stored == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION)
        );
        let text = error.to_string();
        assert!(text.contains("versus:schema_version"), "{text}");
        assert!(text.contains("Roll forward"), "{text}");
        assert!(text.contains("docs/upgrading.md"), "{text}");
        assert!(!error.is_unanswered());
    }

    #[test]
    fn a_value_that_is_no_version_is_refused() {
        for value in ["", "two", "-1", "1.5"] {
            let error = judge("k", value).unwrap_err();
            assert!(
                matches!(error, SchemaError::Unreadable { .. }),
                "{value:?}: {error}"
            );
        }
    }
}
