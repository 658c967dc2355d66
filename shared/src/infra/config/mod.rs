//! Configuration: `config.yaml` with `${VAR}` substitution and `VERSUS__SECTION__KEY` overrides.

mod envsubst;
mod load;
mod redis_settings;
mod settings;
mod validate;
mod validate_redis;

pub use envsubst::{substitute, SubstitutionError};
pub use load::{default_config_path, load, load_with_env, parse_with_env, ConfigError};
pub use redis_settings::{has_hash_tag, parse_node, RedisMode, RedisSettings, SentinelSettings};
pub use settings::*;
pub use validate::{resolve_template_path, validate, Problem};

#[cfg(test)]
mod redis_tests;
#[cfg(test)]
mod tests;
