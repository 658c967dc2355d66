use super::*;
use crate::domain::jobs::JobKind;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod unread_keys;

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn seed_env() -> HashMap<String, String> {
    [
        ("SLACK_TOKEN", "xoxb-test"),
        ("SLACK_CHANNEL_ID", "C0123"),
        (
            "AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN",
            "arn:aws:ssm-incidents::111122223333:response-plan/CriticalIncidentResponse",
        ),
        ("REDIS_HOST", "127.0.0.1"),
        ("REDIS_PORT", "6379"),
        ("REDIS_PASSWORD", "s3cret"),
        ("VERSUS_ACK_SECRET", "0123456789abcdef0123"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn write_config(body: &str) -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

/// A throw-away directory without pulling a dev-dependency into the library's unit tests.
mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path =
                std::env::temp_dir().join(format!("versus-config-test-{}", uuid::Uuid::now_v7()));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn basic_product_doc_example_loads_unchanged() {
    let settings = load_with_env(
        &repo_file("config/examples/aws-incident-manager-basic.yaml"),
        &seed_env(),
    )
    .unwrap();
    assert!(settings.oncall.enable);
    assert_eq!(settings.oncall.wait_minutes, 3.0);
    assert_eq!(
        settings.oncall.aws_incident_manager.response_plan_arn,
        "arn:aws:ssm-incidents::111122223333:response-plan/CriticalIncidentResponse"
    );
    assert_eq!(settings.redis.port, 6379);
    assert_eq!(settings.redis.password.as_ref().unwrap().expose(), "s3cret");
    assert!(settings.redis.insecure_skip_verify);
    assert!(settings.alert.debug_body);
    assert_eq!(
        settings.alert.slack.token.as_ref().unwrap().expose(),
        "xoxb-test"
    );
    assert_eq!(
        settings.oncall.ack_secret.as_ref().unwrap().expose(),
        "0123456789abcdef0123"
    );
}

#[test]
fn advanced_product_doc_example_loads_unchanged() {
    let settings = load_with_env(
        &repo_file("config/examples/aws-incident-manager-advanced.yaml"),
        &seed_env(),
    )
    .unwrap();
    assert!(settings.oncall.initialized_only);
    assert!(!settings.oncall.enable);
    assert_eq!(settings.oncall.wait_minutes, 2.0);
    assert_eq!(
        settings
            .oncall
            .aws_incident_manager
            .other_response_plan_arns["app"],
        "arn:aws:ssm-incidents::123456789012:response-plan/AppCriticalPlan"
    );
    assert_eq!(
        settings.alert.slack.message_properties.button_style,
        "primary"
    );
}

#[test]
fn shipped_default_config_loads_with_an_empty_environment() {
    let settings = load_with_env(&repo_file("config/config.yaml"), &HashMap::new()).unwrap();
    assert!(!settings.alert.slack.enable);
    assert_eq!(settings.redis.host, "127.0.0.1");
    assert_eq!(settings.redis.key_prefix, "versus:");
    assert_eq!(settings.worker.port, 3001);
}

#[test]
fn unset_variable_is_named() {
    let mut env = seed_env();
    env.remove("REDIS_HOST");
    let err = load_with_env(
        &repo_file("config/examples/aws-incident-manager-basic.yaml"),
        &env,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("redis.host: environment variable `REDIS_HOST` is not set"),
        "{text}"
    );
}

#[test]
fn slack_enabled_without_token_or_channel_names_both_keys() {
    let (_dir, path) = write_config(
        "alert:\n  slack:\n    enable: true\n    template_path: /nonexistent/x.tmpl\n",
    );
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("alert.slack.token: is required"), "{text}");
    assert!(
        text.contains("alert.slack.channel_id: is required"),
        "{text}"
    );
    assert!(
        text.contains("alert.slack.template_path: file /nonexistent/x.tmpl does not exist"),
        "{text}"
    );
}

#[test]
fn bad_port_is_reported_with_its_key() {
    let (_dir, path) = write_config("port: 70000\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("port"), "{text}");
    let (_dir, path) = write_config("port: 0\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("port: must be between 1 and 65535"), "{text}");
    let (_dir, path) = write_config("port: abc\n");
    assert!(load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string()
        .contains("port"));
}

#[test]
fn oncall_without_plan_or_public_host_or_with_a_short_secret_is_a_startup_error() {
    let (_dir, path) = write_config("oncall:\n  enable: true\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("oncall.aws_incident_manager.response_plan_arn: is required"),
        "{text}"
    );
    assert!(text.contains("public_host: is required"), "{text}");
    assert!(
        !text.contains("oncall.ack_secret"),
        "without a secret one is generated: {text}"
    );
    let short = [("VERSUS_ACK_SECRET".to_string(), "too-short".to_string())].into();
    let text = load_with_env(&path, &short).unwrap_err().to_string();
    assert!(
        text.contains("oncall.ack_secret: must be at least 16 random characters"),
        "{text}"
    );
}

#[test]
fn env_overrides_any_key() {
    let (_dir, path) = write_config("oncall:\n  wait_minutes: 3\nworker:\n  concurrency: 4\n");
    let env: HashMap<String, String> = [
        ("VERSUS__ONCALL__WAIT_MINUTES", "5"),
        ("VERSUS__WORKER__CONCURRENCY", "8"),
        ("VERSUS__REDIS__KEY_PREFIX", "team-a:"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let settings = load_with_env(&path, &env).unwrap();
    assert_eq!(settings.oncall.wait_minutes, 5.0);
    assert_eq!(settings.worker.concurrency, 8);
    assert_eq!(settings.redis.key_prefix, "team-a:");
}

#[test]
fn defaults_fill_everything_optional() {
    let (_dir, path) = write_config("{}\n");
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    assert_eq!(settings.port, 3000);
    assert_eq!(settings.alert.body_limit_bytes, 1024 * 1024);
    assert_eq!(settings.alert.max_incidents_per_request, 100);
    assert_eq!(settings.alert.body_budget_bytes, 4 * 1024 * 1024);
    assert_eq!(settings.alert.slack.api_url, "https://slack.com/api");
    assert_eq!(settings.oncall.aws_incident_manager.impact["critical"], 1);
    assert_eq!(settings.redis.retention_hours, 168);
    assert_eq!(settings.redis.min_replicas_acked, 1);
    assert_eq!(settings.redis.replication_timeout_ms, 500);
    assert!(!settings.redis.replication_strict);
}

#[test]
fn replication_goal_and_timeout_are_bounded() {
    let (_dir, path) =
        write_config("redis:\n  min_replicas_acked: 17\n  replication_timeout_ms: 0\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("redis.min_replicas_acked: must be between 0 (no WAIT) and 16"),
        "{text}"
    );
    assert!(
        text.contains("redis.replication_timeout_ms: must be between 1 and 10000 ms"),
        "{text}"
    );
    let (_dir, path) =
        write_config("redis:\n  min_replicas_acked: 0\n  replication_strict: true\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("redis.replication_strict: needs redis.min_replicas_acked of at least 1"),
        "{text}"
    );
}

#[test]
fn ingest_bounds_are_checked_against_each_other() {
    let (_dir, path) = write_config(
        "alert:\n  body_limit_bytes: 2000\n  body_budget_bytes: 1000\n  max_incidents_per_request: 0\n",
    );
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("alert.body_budget_bytes: is 1000, less than alert.body_limit_bytes (2000)"),
        "{text}"
    );
    assert!(
        text.contains("alert.max_incidents_per_request: must be between 1 and 10000"),
        "{text}"
    );
}

#[test]
fn bad_button_style_and_wait_are_rejected() {
    let (_dir, path) = write_config("alert:\n  slack:\n    message_properties:\n      button_style: green\noncall:\n  wait_minutes: 2000\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("alert.slack.message_properties.button_style"),
        "{text}"
    );
    assert!(
        text.contains("oncall.wait_minutes: must be between 0 and 1440"),
        "{text}"
    );
}

#[test]
fn substituted_secrets_are_taken_whole_and_comments_are_ignored() {
    let (_dir, path) = write_config("# uses ${NOT_SET_ANYWHERE}\nredis:\n  password: ${REDIS_PASSWORD}\n  port: ${REDIS_PORT}\n");
    let env: HashMap<String, String> = [("REDIS_PASSWORD", "p#ss: 'w\"rd"), ("REDIS_PORT", "6380")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = load_with_env(&path, &env).unwrap();
    assert_eq!(settings.redis.password.unwrap().expose(), "p#ss: 'w\"rd");
    assert_eq!(settings.redis.port, 6380);
}

#[test]
fn aws_resolve_retries_as_escalate_does_unless_it_has_a_policy_of_its_own() {
    let policy = |settings: &Settings| JobKind::AwsResolve.retry_policy(&settings.queue).clone();
    let (_dir, path) = write_config("queue:\n  escalate:\n    max_attempts: 9\n");
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    assert_eq!(policy(&settings).max_attempts, 9);
    assert_eq!(
        policy(&settings).backoff_max_ms,
        settings.queue.escalate.backoff_max_ms
    );

    let (_dir, path) = write_config("queue:\n  aws_resolve:\n    max_attempts: 7\n");
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    assert_eq!(policy(&settings).max_attempts, 7);
    assert_eq!(settings.queue.escalate.max_attempts, 120);

    let (_dir, path) = write_config("queue:\n  aws_resolve:\n    max_attempts: 0\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("queue.aws_resolve.max_attempts: must be at least 1"),
        "{text}"
    );
}

mod credentials;
mod heartbeats;
mod reports;
