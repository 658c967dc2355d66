//! Versus Incident's environment switches: they override the file, `VERSUS__...` overrides them, bad values
//! are start-up errors naming the variable, switches for channels this release lacks are warnings, and no
//! other variable is read unless the file references it.

use super::redis_tests::ConfigFile;
use super::*;

const FILE: &str = "alert:\n  debug_body: false\n  slack:\n    enable: false\noncall:\n  enable: false\nredis:\n  tls: false\n  cluster: false\n";

#[test]
fn switches_override_what_the_file_says() {
    let settings = ConfigFile::new(FILE).parse(&[
        ("SLACK_ENABLE", "true"),
        ("ONCALL_ENABLE", "TRUE"),
        ("ONCALL_PROVIDER", "aws_incident_manager"),
        ("DEBUG_BODY", "true"),
        ("REDIS_TLS", "true"),
        ("REDIS_CLUSTER", " true "),
        ("REDIS_CA_CERT", "/etc/versus/ca.pem"),
    ]);
    assert!(settings.alert.slack.enable);
    assert!(settings.oncall.enable);
    assert_eq!(settings.oncall.provider, "aws_incident_manager");
    assert!(settings.alert.debug_body);
    assert!(settings.redis.tls);
    assert!(settings.redis.cluster);
    assert_eq!(
        settings.redis.ca_cert.as_deref(),
        Some(std::path::Path::new("/etc/versus/ca.pem"))
    );
    assert!(settings.env_switches.problems.is_empty());
    assert!(settings.env_switches.ignored.is_empty());
    let overridden: Vec<&str> = settings
        .env_switches
        .overrides
        .iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(
        overridden,
        [
            "alert.slack.enable",
            "oncall.enable",
            "alert.debug_body",
            "redis.tls",
            "redis.cluster"
        ]
    );

    let off = ConfigFile::new("alert:\n  slack:\n    enable: true\n").parse(&[
        ("SLACK_ENABLE", "false"),
        ("ONCALL_ENABLE", ""), // empty counts as unset, as in Versus Incident
    ]);
    assert!(!off.alert.slack.enable);
    assert!(!off.oncall.enable);
}

#[test]
fn a_switch_that_overrides_a_different_file_value_is_a_warning() {
    // A compose file's leftover SLACK_ENABLE=false against a file that turns Slack on.
    let settings = ConfigFile::new("alert:\n  slack:\n    enable: true\n")
        .load(&[("SLACK_ENABLE", "false")])
        .unwrap();
    assert_eq!(
        settings.versus_incident_warnings(),
        ["SLACK_ENABLE=false overrides alert.slack.enable (true in the file): Versus Incident's switches win over the file; unset the variable to use the file's value"]
    );
    // The shipped file reads the same variable: the switch agrees with it, and nothing is said.
    let shipped = ConfigFile::new("alert:\n  slack:\n    enable: ${SLACK_ENABLE:-false}\n")
        .parse(&[("SLACK_ENABLE", "true")]);
    assert!(shipped.alert.slack.enable);
    assert!(shipped.versus_incident_warnings().is_empty());
}

#[test]
fn switches_set_keys_of_sections_the_file_lacks_or_leaves_empty() {
    let settings = ConfigFile::new("alert:\nname: versus\n")
        .parse(&[("SLACK_ENABLE", "true"), ("REDIS_CLUSTER", "true")]);
    assert!(settings.alert.slack.enable);
    assert!(settings.redis.cluster);
    assert_eq!(settings.unread_keys, UnreadKeys::default());
}

#[test]
fn versus_overrides_win_over_switches() {
    let settings = ConfigFile::new(FILE).parse(&[
        ("SLACK_ENABLE", "true"),
        ("VERSUS__ALERT__SLACK__ENABLE", "false"),
        ("REDIS_CLUSTER", "true"),
        ("VERSUS__REDIS__CLUSTER", "false"),
    ]);
    assert!(!settings.alert.slack.enable);
    assert!(!settings.redis.cluster);
}

#[test]
fn a_bad_switch_value_is_a_start_up_error_naming_the_variable() {
    let error = ConfigFile::new(FILE)
        .load(&[
            ("SLACK_ENABLE", "maybe"),
            ("REDIS_TLS", "1"),
            ("ONCALL_PROVIDER", "pagerduty"),
        ])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("SLACK_ENABLE: (environment, sets alert.slack.enable) is \"maybe\"; write true or false"),
        "{error}"
    );
    assert!(error.contains("REDIS_TLS: (environment"), "{error}");
    assert!(
        error.contains("ONCALL_PROVIDER: (environment, sets oncall.provider) is \"pagerduty\"; this release pages through aws_incident_manager only"),
        "{error}"
    );
}

#[test]
fn a_bad_switch_the_file_also_substitutes_is_still_named() {
    let error = ConfigFile::new("alert:\n  slack:\n    enable: ${SLACK_ENABLE:-false}\n")
        .load(&[("SLACK_ENABLE", "maybe")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("SLACK_ENABLE: (environment"), "{error}");
    assert!(!error.contains("invalid type"), "{error}");
}

#[test]
fn switches_for_channels_this_release_lacks_are_ignored_with_a_warning() {
    let settings = ConfigFile::new(FILE)
        .load(&[("TELEGRAM_ENABLE", "true"), ("MSTEAMS_ENABLE", "false")])
        .unwrap();
    let warnings = settings.versus_incident_warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("TELEGRAM_ENABLE: a Versus Incident switch for Telegram"),
        "{warnings:?}"
    );
    assert!(warnings[1].starts_with("MSTEAMS_ENABLE:"), "{warnings:?}");
}

#[test]
fn other_variables_are_read_only_where_the_file_references_them() {
    // Kubernetes sets these for a Service named `redis`; the file does not reference them.
    let injected = [
        ("REDIS_PORT", "tcp://10.0.0.1:6379"),
        ("REDIS_HOST", "10.0.0.1"),
        ("REDIS_PASSWORD", "from-the-environment"),
        ("SLACK_TOKEN", "xoxb-from-the-environment"),
    ];
    let settings = ConfigFile::new("redis:\n  host: redis.internal\n")
        .load(&injected)
        .unwrap();
    assert_eq!(settings.redis.port, 6379);
    assert_eq!(settings.redis.host, "redis.internal");
    assert!(settings.redis.password.is_none());
    assert!(settings.alert.slack.token.is_none());

    let referenced = ConfigFile::new("redis:\n  port: ${REDIS_PORT}\n")
        .load(&[("REDIS_PORT", "6380")])
        .unwrap();
    assert_eq!(referenced.redis.port, 6380);
}
