//! Configuration: `config.yaml` with `${VAR}` substitution and `VERSUS__SECTION__KEY` overrides. A key no
//! setting reads is an error, unless it is one of Versus Incident's for a feature this release lacks
//! (`unread_keys`).

mod envsubst;
mod ingest_auth;
mod known_keys;
mod load;
mod settings;
mod unread_keys;
mod validate;

pub use envsubst::{substitute, SubstitutionError};
pub use ingest_auth::{BasicAuthSettings, IngestAuthSettings};
pub use load::{default_config_path, load, load_with_env, parse_with_env, ConfigError};
pub use settings::*;
pub use unread_keys::{UnknownKey, UnreadKeys, UnsupportedKey, VERSUS_INCIDENT_ONLY};
pub use validate::{resolve_template_path, validate, Problem};

#[cfg(test)]
mod tests;
