//! Reading `config.yaml`: environment substitution, Versus Incident's environment switches,
//! `VERSUS__SECTION__KEY` overrides, defaults, validation, in that order of rising precedence.

use super::envsubst::{substitute, SubstitutionError};
use super::settings::Settings;
use super::unread_keys::{deserialize_noting_unread, UnreadKeys};
use super::validate::{validate, Problem};
use super::versus_switches;
use crate::infra::secret::Secret;
use config::Source;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why the configuration could not be used. Every variant names the file, and where it can, the key.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}; pass --config PATH or set VERSUS_CONFIG")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {key}: {source}")]
    Substitution {
        path: PathBuf,
        key: String,
        source: SubstitutionError,
    },
    #[error("{path}: {source}; check the key's spelling and type against the configuration reference in README.md")]
    Parse {
        path: PathBuf,
        source: config::ConfigError,
    },
    #[error("{path} is not valid:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// Loads and validates the configuration at `path` against the process environment.
pub fn load(path: &Path) -> Result<Settings, ConfigError> {
    load_with_env(path, &std::env::vars().collect())
}

/// Loads and validates the configuration at `path` against the given environment (tests pass their own).
pub fn load_with_env(path: &Path, env: &HashMap<String, String>) -> Result<Settings, ConfigError> {
    let raw = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let settings = parse_with_env(path, &raw, env)?;
    let problems = validate(&settings, path);
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }
}

/// Substitutes and parses without validating: for tools that report every problem at once. Keys that no
/// setting reads are noted in [`Settings::unread_keys`]; validating reports the unknown ones.
pub fn parse_with_env(
    path: &Path,
    raw: &str,
    env: &HashMap<String, String>,
) -> Result<Settings, ConfigError> {
    let parse_error = |source| ConfigError::Parse {
        path: path.to_path_buf(),
        source,
    };
    let mut table = config::File::from_str(raw, config::FileFormat::Yaml)
        .collect()
        .map_err(parse_error)?;
    let ingest_auth_left_empty = table
        .get("ingest_auth")
        .is_some_and(|value| matches!(value.kind, config::ValueKind::Nil));
    substitute_table(&mut table, "", env).map_err(|(key, source)| ConfigError::Substitution {
        path: path.to_path_buf(),
        key,
        source,
    })?;
    let switches = versus_switches::apply(&mut table, env);
    let overrides: HashMap<String, String> = env
        .iter()
        .filter(|(k, _)| k.starts_with("VERSUS__"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let merged = config::Config::builder()
        .add_source(Substituted(table))
        .add_source(
            config::Environment::with_prefix("VERSUS")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(overrides)),
        )
        .build()
        .map_err(parse_error)?;
    let (mut settings, unread): (Settings, _) =
        deserialize_noting_unread(merged).map_err(parse_error)?;
    settings.unread_keys = UnreadKeys::sort::<Settings>(unread);
    // `ingest_auth:` with every line under it commented out reads as null, which serde takes as "no
    // ingest_auth": an operator who meant to protect ingest would get it open. Validation refuses it instead.
    if ingest_auth_left_empty && settings.ingest_auth.is_none() {
        settings.ingest_auth = Some(Default::default());
    }
    settings.env_switches = switches;
    if settings.oncall.ack_secret.is_none() {
        settings.oncall.ack_secret = env
            .get("VERSUS_ACK_SECRET")
            .filter(|v| !v.is_empty())
            .map(Secret::new);
    }
    if let Some(format) = env.get("VERSUS_LOG_FORMAT") {
        if format.eq_ignore_ascii_case("json") {
            settings.log_format = super::LogFormat::Json;
        }
    }
    Ok(settings)
}

/// The parsed file with every `${VAR}` replaced.
#[derive(Debug, Clone)]
struct Substituted(config::Map<String, config::Value>);

impl config::Source for Substituted {
    fn clone_into_box(&self) -> Box<dyn config::Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<config::Map<String, config::Value>, config::ConfigError> {
        Ok(self.0.clone())
    }
}

fn substitute_table(
    table: &mut config::Map<String, config::Value>,
    prefix: &str,
    env: &HashMap<String, String>,
) -> Result<(), (String, SubstitutionError)> {
    for (key, value) in table.iter_mut() {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        substitute_value(value, &path, env)?;
    }
    Ok(())
}

fn substitute_value(
    value: &mut config::Value,
    path: &str,
    env: &HashMap<String, String>,
) -> Result<(), (String, SubstitutionError)> {
    match &mut value.kind {
        config::ValueKind::String(text) if text.contains("${") => {
            *text = substitute(text, |name| env.get(name).cloned())
                .map_err(|e| (path.to_string(), e))?;
        }
        config::ValueKind::Table(table) => substitute_table(table, path, env)?,
        config::ValueKind::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                substitute_value(item, &format!("{path}[{index}]"), env)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The config path: `--config`, else `VERSUS_CONFIG`, else `config/config.yaml` (clap resolves the first two).
pub fn default_config_path() -> PathBuf {
    PathBuf::from("config/config.yaml")
}
