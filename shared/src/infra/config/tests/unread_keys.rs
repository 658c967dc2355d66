//! Keys no setting reads: errors for misspellings, warnings for Versus Incident's features this release lacks.

use super::*;

/// The error of loading `config` with the overrides `env`.
fn load_error(config: &str, env: &[(&str, &str)]) -> String {
    let (_dir, path) = write_config(config);
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_with_env(&path, &env).unwrap_err().to_string()
}

const WAIT_MINUTE_MISSPELT: &str =
    "oncall.wait_minute: is not a Versus setting; did you mean oncall.wait_minutes?";

#[test]
fn a_misspelt_key_is_an_error_naming_it_and_the_nearest_known_key() {
    let text = load_error("oncall:\n  wait_minute: 30\n", &[]);
    assert!(text.contains(WAIT_MINUTE_MISSPELT), "{text}");
}

#[test]
fn unknown_keys_are_reported_with_every_other_problem_at_once() {
    let text = load_error(
        "port: 0\nalert:\n  slak:\n    enable: true\nredis:\n  key_prefx: a\nnonsense_entirely: 1\n",
        &[],
    );
    for expected in [
        "alert.slak: is not a Versus setting; did you mean alert.slack?",
        "redis.key_prefx: is not a Versus setting; did you mean redis.key_prefix?",
        "nonsense_entirely: is not a Versus setting; remove it",
        "port: must be between 1 and 65535",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[test]
fn a_key_in_the_wrong_section_is_pointed_to_the_right_one() {
    let text = load_error("alert:\n  wait_minutes: 5\n", &[]);
    assert!(text.contains("did you mean oncall.wait_minutes?"), "{text}");
}

#[test]
fn an_unknown_environment_override_is_an_error_too() {
    let text = load_error("{}\n", &[("VERSUS__ONCALL__WAIT_MINUTE", "5")]);
    assert!(text.contains(WAIT_MINUTE_MISSPELT), "{text}");
}

#[test]
fn free_form_maps_take_any_key() {
    let (_dir, path) = write_config(
        "oncall:\n  aws_incident_manager:\n    other_response_plan_arns:\n      anything_at_all: arn:x\n    impact:\n      sev-9: 4\n",
    );
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    assert_eq!(settings.unread_keys, UnreadKeys::default());
}

/// Versus Incident's own `config/config.yaml`, abridged: every section of a feature this release lacks.
const VERSUS_INCIDENT_CONFIG: &str = r#"
name: versus
host: 0.0.0.0
port: 3000
gateway_secret: s3cret
proxy:
  url: http://proxy.example:8080
alert:
  debug_body: true
  slack:
    enable: false
    token: xoxb-1
  telegram: {enable: false, bot_token: x, chat_id: "1", use_proxy: false}
  viber: {enable: false, api_type: channel}
  email: {enable: false, smtp_host: smtp.example}
  msteams: {enable: false, other_power_urls: {qc: "https://x"}}
  lark: {enable: false, webhook_url: "https://x"}
queue:
  enable: true
  debug_body: true
  sns: {enable: false, topic_arn: x}
  sqs: {enable: false, queue_url: x}
  pubsub: {enable: false}
  azbus: {enable: false}
  lease_seconds: 20
oncall:
  initialized_only: false
  enable: false
  wait_minutes: 3
  provider: aws_incident_manager
  pagerduty: {routing_key: x}
  servicenow: {instance_url: "https://x", table: incident}
  incident_io: {api_key: x}
redis:
  insecure_skip_verify: true
  host: 127.0.0.1
storage:
  type: file
  file: {max_incidents: 1000}
agent:
  enable: false
  regex: {rules: [{name: panic, pattern: "panic:"}]}
"#;

#[test]
fn versus_incident_settings_for_missing_features_load_with_a_warning_naming_each() {
    let (_dir, path) = write_config(VERSUS_INCIDENT_CONFIG);
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    assert!(settings.unread_keys.unknown.is_empty());
    let mut warned: Vec<&str> = settings
        .unread_keys
        .unsupported
        .iter()
        .map(|key| key.key.as_str())
        .collect();
    warned.sort_unstable();
    assert_eq!(
        warned,
        [
            "agent",
            "alert.email",
            "alert.lark",
            "alert.msteams",
            "alert.telegram",
            "alert.viber",
            "gateway_secret",
            "oncall.incident_io",
            "oncall.pagerduty",
            "oncall.servicenow",
            "proxy",
            "queue.azbus",
            "queue.debug_body",
            "queue.enable",
            "queue.pubsub",
            "queue.sns",
            "queue.sqs",
            "storage",
        ]
    );
    assert_eq!(
        settings.queue.lease_seconds, 20.0,
        "our queue keys beside them still apply"
    );
    let warning = settings.unread_keys.unsupported[0].to_string();
    assert!(warning.contains("Versus Incident setting"), "{warning}");
    assert!(warning.contains("it is ignored"), "{warning}");
}

#[test]
fn a_misspelt_key_beside_versus_incident_settings_is_still_an_error() {
    let text = load_error(
        "alert:\n  telegram: {enable: false}\n  telegran: {enable: false}\n",
        &[],
    );
    assert!(
        text.contains("alert.telegran: is not a Versus setting"),
        "{text}"
    );
    assert!(!text.contains("alert.telegram:"), "{text}");
}

#[test]
fn the_shipped_configs_have_no_unread_keys() {
    for file in [
        "config/config.yaml",
        "config/examples/aws-incident-manager-basic.yaml",
        "config/examples/aws-incident-manager-advanced.yaml",
    ] {
        let settings = load_with_env(&repo_file(file), &seed_env()).unwrap();
        assert_eq!(settings.unread_keys, UnreadKeys::default(), "{file}");
    }
}
