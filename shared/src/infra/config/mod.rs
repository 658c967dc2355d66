//! Configuration: `config.yaml` with `${VAR}` substitution and `VERSUS__SECTION__KEY` overrides.

mod envsubst;
mod ingest_auth;
mod load;
mod settings;
mod validate;

pub use envsubst::{substitute, SubstitutionError};
pub use ingest_auth::{BasicAuthSettings, IngestAuthSettings};
pub use load::{default_config_path, load, load_with_env, parse_with_env, ConfigError};
pub use settings::*;
pub use validate::{resolve_template_path, validate, Problem};

#[cfg(test)]
mod tests;
