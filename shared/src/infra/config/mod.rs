//! Configuration: `config.yaml` with `${VAR}` substitution and `VERSUS__SECTION__KEY` overrides. A key no
//! setting reads is an error, unless it is one of Versus Incident's for a feature this release lacks
//! (`unread_keys`).

mod envsubst;
mod heartbeats;
mod ingest_auth;
mod known_keys;
mod load;
mod redis_settings;
mod reports;
mod settings;
mod unread_keys;
mod validate;
mod validate_redis;
mod versus_switches;

pub use envsubst::{substitute, SubstitutionError};
pub use heartbeats::{
    is_heartbeat_name, HeartbeatSettings, MAX_HEARTBEAT_INTERVAL_MINUTES,
    MIN_HEARTBEAT_INTERVAL_MINUTES,
};
pub use ingest_auth::{BasicAuthSettings, IngestAuthSettings};
pub use load::{default_config_path, load, load_with_env, parse_with_env, ConfigError};
pub use redis_settings::{has_hash_tag, parse_node, RedisMode, RedisSettings, SentinelSettings};
pub use reports::{
    next_monday_nine, DigestSettings, ReportSettings, MAX_DIGEST_EVERY, MAX_REPORT_RETENTION_DAYS,
    MIN_DIGEST_EVERY, MIN_REPORT_RETENTION_DAYS,
};
pub use settings::*;
pub use unread_keys::{UnknownKey, UnreadKeys, UnsupportedKey, VERSUS_INCIDENT_ONLY};
pub use validate::{resolve_template_path, validate, Problem};
pub use versus_switches::{IgnoredSwitch, SwitchNotes, IGNORED_SWITCHES};

#[cfg(test)]
mod redis_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod versus_switches_tests;
