//! Loading the `redis:` section: Sentinel and Cluster settings, and the mistakes that stop start-up.

use super::*;
use std::collections::HashMap;
use std::path::PathBuf;

/// Writes `body` as a config file in a directory of its own, removed when dropped.
pub(super) struct ConfigFile(PathBuf);

impl ConfigFile {
    pub(super) fn new(body: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("versus-redis-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.yaml"), body).unwrap();
        Self(dir)
    }

    pub(super) fn load(&self, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        load_with_env(&self.0.join("config.yaml"), &env_of(env))
    }

    /// Substituted and parsed, not validated.
    pub(super) fn parse(&self, env: &[(&str, &str)]) -> Settings {
        let path = self.0.join("config.yaml");
        let raw = std::fs::read_to_string(&path).unwrap();
        parse_with_env(&path, &raw, &env_of(env)).unwrap()
    }

    pub(super) fn problems(&self) -> String {
        self.load(&[]).unwrap_err().to_string()
    }
}

fn env_of(env: &[(&str, &str)]) -> HashMap<String, String> {
    env.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sentinel_settings_load_from_a_list_or_from_one_environment_value() {
    let file = ConfigFile::new(
        "redis:\n  username: versus\n  sentinel:\n    master_name: versus\n    nodes: [\"10.0.0.1:26379\", \"10.0.0.2:26379\"]\n    password: ${REDIS_SENTINEL_PASSWORD}\n",
    );
    let settings = file
        .load(&[("REDIS_SENTINEL_PASSWORD", "s3ntinel")])
        .unwrap();
    assert_eq!(settings.redis.mode(), RedisMode::Sentinel);
    assert_eq!(settings.redis.username.as_deref(), Some("versus"));
    assert_eq!(
        settings.redis.sentinel_nodes(),
        vec![("10.0.0.1".into(), 26379), ("10.0.0.2".into(), 26379)]
    );
    assert_eq!(
        settings.redis.sentinel.password.as_ref().unwrap().expose(),
        "s3ntinel"
    );
    assert_eq!(settings.redis.stored_prefix(), "versus:");

    let settings = ConfigFile::new("{}\n")
        .load(&[
            ("VERSUS__REDIS__SENTINEL__MASTER_NAME", "versus"),
            ("VERSUS__REDIS__SENTINEL__NODES", "a:26379, b:26380"),
        ])
        .unwrap();
    assert_eq!(
        settings.redis.sentinel_nodes(),
        vec![("a".into(), 26379), ("b".into(), 26380)]
    );
}

#[test]
fn redis_cluster_is_switched_on_as_versus_incident_does() {
    let file = ConfigFile::new(
        "redis:\n  host: seed-1\n  port: 7000\n  cluster_nodes: [\"seed-2:7000\"]\n",
    );
    let problems = file.problems();
    assert!(
        problems.contains("redis.cluster_nodes: is set but redis.cluster is false"),
        "{problems}"
    );
    let settings = file.load(&[("REDIS_CLUSTER", "true")]).unwrap();
    assert_eq!(settings.redis.mode(), RedisMode::Cluster);
    assert_eq!(
        settings.redis.cluster_seeds(),
        vec![("seed-1".into(), 7000), ("seed-2".into(), 7000)]
    );
    assert_eq!(settings.redis.stored_prefix(), "versus:{versus}:");
}

#[test]
fn sentinel_and_cluster_together_is_a_startup_error_naming_the_key() {
    let problems = ConfigFile::new(
        "redis:\n  cluster: true\n  sentinel:\n    master_name: versus\n    nodes: [\"10.0.0.1:26379\"]\n",
    )
    .problems();
    assert!(
        problems.contains("redis.sentinel: cannot be used together with redis.cluster"),
        "{problems}"
    );
}

#[test]
fn empty_or_malformed_sentinel_entries_are_named() {
    let problems = ConfigFile::new(
        "redis:\n  sentinel:\n    master_name: versus\n    nodes: [\"10.0.0.1:26379\", \"\", \"10.0.0.3\", \"h:0\"]\n",
    )
    .problems();
    assert!(
        problems.contains("redis.sentinel.nodes[1]: is empty"),
        "{problems}"
    );
    assert!(
        problems.contains("redis.sentinel.nodes[2]: \"10.0.0.3\" has no port"),
        "{problems}"
    );
    assert!(
        problems.contains("redis.sentinel.nodes[3]: \"h:0\" has no valid port"),
        "{problems}"
    );
    assert!(!problems.contains("nodes[0]"), "{problems}");
    let problems = ConfigFile::new("redis:\n  sentinel:\n    master_name: versus\n").problems();
    assert!(
        problems.contains("redis.sentinel.nodes: is required"),
        "{problems}"
    );
}

#[test]
fn a_missing_ca_cert_file_is_a_startup_error_naming_the_key() {
    let problems =
        ConfigFile::new("redis:\n  tls: true\n  ca_cert: /nonexistent/versus-ca.pem\n").problems();
    assert!(
        problems.contains("redis.ca_cert: file /nonexistent/versus-ca.pem does not exist"),
        "{problems}"
    );
}

#[test]
fn a_cluster_key_prefix_with_a_broken_hash_tag_is_rejected() {
    let problems = ConfigFile::new("redis:\n  cluster: true\n  key_prefix: \"x{}:\"\n").problems();
    assert!(
        problems.contains("redis.key_prefix: holds '{' or '}'"),
        "{problems}"
    );
}

#[test]
fn a_cluster_key_prefix_that_leaves_an_empty_hash_tag_is_rejected() {
    for prefix in [":", "::"] {
        let problems = ConfigFile::new(&format!(
            "redis:\n  cluster: true\n  key_prefix: \"{prefix}\"\n"
        ))
        .problems();
        assert!(
            problems.contains("redis.key_prefix: gives an empty hash tag"),
            "{prefix}: {problems}"
        );
    }
    let outside_cluster = ConfigFile::new("redis:\n  key_prefix: \":\"\n").load(&[]);
    assert_eq!(outside_cluster.err().map(|e| e.to_string()), None);
}

#[test]
fn an_empty_username_or_ca_cert_is_unset() {
    let settings = ConfigFile::new("redis:\n  username: \"\"\n  ca_cert: \"\"\n")
        .load(&[])
        .unwrap();
    assert_eq!(settings.redis.username, None);
    assert_eq!(settings.redis.ca_cert, None);
}
