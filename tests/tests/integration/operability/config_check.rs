//! `--check` of both binaries: the shipped configuration passes (exit 0) and every template
//! renders; a template with a syntax error fails (non-zero) naming its file, line and column; an invalid
//! configuration fails naming the key, whether the bad value is in the file or in the environment; a
//! misspelt key fails naming the nearest known one, while Versus Incident's settings for features this release
//! lacks pass with a warning each. Both binaries answer `--version` and describe themselves in `--help`.
//! No Redis is needed: `--check` connects to nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use versus_tests::topology::CONFIG_PATH;
use versus_tests::{binary_path, API_BIN, WORKER_BIN};

/// Variables of the shipped config.yaml and overrides a developer's shell might have set.
const CLEARED: &[&str] = &[
    "VERSUS_CONFIG",
    "VERSUS_HOST",
    "VERSUS_PORT",
    "VERSUS_PUBLIC_HOST",
    "VERSUS_LOG_FORMAT",
    "VERSUS_WORKER_PORT",
    "VERSUS_ACK_SECRET",
    "SLACK_ENABLE",
    "SLACK_TOKEN",
    "SLACK_CHANNEL_ID",
    "SLACK_API_URL",
    "SLACK_SIGNING_SECRET",
    "ONCALL_ENABLE",
    "ONCALL_INITIALIZED_ONLY",
    "AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "REDIS_CLUSTER",
    "REDIS_TLS",
    "REDIS_CA_CERT",
    "ONCALL_PROVIDER",
    "DEBUG_BODY",
    "TELEGRAM_ENABLE",
];

/// Slack on, as in production: the template must then exist and render.
const SLACK_ON: &[(&str, &str)] = &[
    ("SLACK_ENABLE", "true"),
    ("SLACK_TOKEN", "xoxb-check"),
    ("SLACK_CHANNEL_ID", "C0CHECK"),
];

fn check(binary: &str, config: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(binary_path(binary));
    command.args(["--check", "--config"]).arg(config);
    for var in CLEARED {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    (
        status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A copy of the shipped config.yaml in a temporary directory, changed by `edit`.
fn config_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let shipped = std::fs::read_to_string(CONFIG_PATH).expect("config/config.yaml");
    let path = dir.join("config.yaml");
    std::fs::write(&path, edit(shipped)).unwrap();
    path
}

#[test]
fn the_shipped_configuration_passes() {
    for binary in [API_BIN, WORKER_BIN] {
        for env in [&[][..], SLACK_ON] {
            let (code, stdout, stderr) = check(binary, Path::new(CONFIG_PATH), env);
            assert_eq!(code, 0, "{binary} {env:?}:\n{stdout}\n{stderr}");
            assert!(
                stdout.contains("configuration is valid"),
                "{binary}:\n{stdout}"
            );
            let renders = stdout.lines().filter(|l| l.contains(" renders ")).count();
            assert_eq!(
                renders, 4,
                "{binary}: each sample, with and without an ack link:\n{stdout}"
            );
            assert!(!stderr.contains("error"), "{binary}:\n{stderr}");
            // Slack on, no channel list and open ingest: any request may pick any channel.
            assert_eq!(
                stderr.contains("warning: alert.slack.allowed_channel_ids is empty"),
                !env.is_empty(),
                "{binary} {env:?}:\n{stderr}"
            );
        }
    }
}

#[test]
fn a_template_with_a_syntax_error_fails_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("broken.tmpl");
    std::fs::write(
        &template,
        "{{ status }}\n*{{ commonLabels.alertname }}*\n{{ commonLabels.severity | upper }\n",
    )
    .unwrap();
    let config = config_copy(dir.path(), |text| {
        text.replace(
            "template_path: config/slack_message.tmpl",
            &format!("template_path: {}", template.display()),
        )
    });
    for binary in [API_BIN, WORKER_BIN] {
        let (code, stdout, stderr) = check(binary, &config, SLACK_ON);
        assert_ne!(code, 0, "{binary} accepted a broken template:\n{stdout}");
        // Line 3, column 34: the `}` that should have been `}}`.
        let location = format!("{}:3:34:", template.display());
        assert!(
            stderr.contains(&location),
            "{binary}: no {location:?} in:\n{stderr}"
        );
        assert!(stderr.contains("syntax error"), "{binary}:\n{stderr}");
        // The offending line is quoted.
        assert!(
            stderr.contains("{{ commonLabels.severity | upper }"),
            "{binary}:\n{stderr}"
        );
    }
}

/// A configuration file, environment overrides, and the key the error must name.
type Case<'a> = (&'a Path, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn an_invalid_configuration_fails_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad_port = config_copy(dir.path(), |text| {
        text.replace("port: ${VERSUS_PORT:-3000}", "port: three-thousand")
    });
    let other = tempfile::tempdir().unwrap();
    let bad_wait = config_copy(other.path(), |text| {
        text.replace("wait_minutes: 3", "wait_minutes: -4")
    });
    let shipped = Path::new(CONFIG_PATH);
    let cases: [Case; 5] = [
        (&bad_port, &[], "`port`"),
        (&bad_wait, &[], "oncall.wait_minutes"),
        (shipped, &[("VERSUS__REDIS__DB", "zero")], "redis.db"),
        (
            shipped,
            &[("SLACK_ENABLE", "maybe")],
            "SLACK_ENABLE: (environment",
        ),
        (
            shipped,
            &[("ONCALL_PROVIDER", "pagerduty")],
            "ONCALL_PROVIDER: (environment",
        ),
    ];
    for binary in [API_BIN, WORKER_BIN] {
        for (config, env, key) in cases {
            let (code, stdout, stderr) = check(binary, config, env);
            assert_ne!(code, 0, "{binary} accepted {config:?} {env:?}:\n{stdout}");
            assert!(
                stderr.contains(key),
                "{binary} {config:?} {env:?}: the error does not name {key}:\n{stderr}"
            );
            assert!(
                !stdout.contains("configuration is valid"),
                "{binary}:\n{stdout}"
            );
        }
    }
}

#[test]
fn a_misspelt_key_fails_naming_it_and_the_nearest_known_key() {
    let dir = tempfile::tempdir().unwrap();
    let misspelt = config_copy(dir.path(), |text| {
        text.replace("wait_minutes: 3", "wait_minute: 30")
    });
    for binary in [API_BIN, WORKER_BIN] {
        let (code, stdout, stderr) = check(binary, &misspelt, &[]);
        assert_ne!(code, 0, "{binary} accepted a misspelt key:\n{stdout}");
        assert!(
            stderr.contains(
                "oncall.wait_minute: is not a Versus setting; did you mean oncall.wait_minutes?"
            ),
            "{binary}:\n{stderr}"
        );
    }
}

#[test]
fn heartbeats_without_ingest_auth_pass_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_copy(dir.path(), |text| {
        format!("{text}\nheartbeats:\n  - {{ name: alertmanager, interval_minutes: 5 }}\n")
    });
    for binary in [API_BIN, WORKER_BIN] {
        let (code, stdout, stderr) = check(binary, &config, &[]);
        assert_eq!(code, 0, "{binary}:\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("warning: heartbeats are configured and ingest_auth is not set"),
            "{binary}:\n{stderr}"
        );
        let (_, _, quiet) = check(binary, Path::new(CONFIG_PATH), &[]);
        assert!(!quiet.contains("heartbeats are configured"), "{quiet}");
    }
}

#[test]
fn versus_incident_settings_for_missing_features_pass_with_a_warning_each() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_copy(dir.path(), |text| {
        format!("{text}\nproxy:\n  url: http://proxy.example:8080\nstorage:\n  type: file\n")
    });
    for binary in [API_BIN, WORKER_BIN] {
        let (code, stdout, stderr) = check(binary, &config, &[("TELEGRAM_ENABLE", "true")]);
        assert_eq!(code, 0, "{binary}:\n{stdout}\n{stderr}");
        for key in ["proxy", "storage"] {
            assert!(
                stderr.contains(&format!("warning: {key}: a Versus Incident setting for")),
                "{binary}: no warning for {key}:\n{stderr}"
            );
        }
        assert!(
            stderr.contains("warning: TELEGRAM_ENABLE: a Versus Incident switch for Telegram"),
            "{binary}:\n{stderr}"
        );
    }
}

#[test]
fn redis_mistakes_are_reported_by_check_naming_the_key() {
    let shipped = Path::new(CONFIG_PATH);
    let sentinel = [
        ("VERSUS__REDIS__SENTINEL__MASTER_NAME", "versus"),
        ("VERSUS__REDIS__SENTINEL__NODES", "10.0.0.1:26379"),
    ];
    let both = [sentinel[0], sentinel[1], ("REDIS_CLUSTER", "true")];
    let empty_entry = [
        sentinel[0],
        ("VERSUS__REDIS__SENTINEL__NODES", "10.0.0.1:26379,,h:1"),
    ];
    let malformed = [sentinel[0], ("VERSUS__REDIS__SENTINEL__NODES", "10.0.0.1")];
    let missing_ca = [
        ("VERSUS__REDIS__TLS", "true"),
        ("VERSUS__REDIS__CA_CERT", "/nonexistent/versus-redis-ca.pem"),
    ];
    let cases: [Case; 4] = [
        (
            shipped,
            &both,
            "redis.sentinel: cannot be used together with redis.cluster",
        ),
        (shipped, &empty_entry, "redis.sentinel.nodes[1]: is empty"),
        (
            shipped,
            &malformed,
            "redis.sentinel.nodes[0]: \"10.0.0.1\" has no port",
        ),
        (
            shipped,
            &missing_ca,
            "redis.ca_cert: file /nonexistent/versus-redis-ca.pem does not exist",
        ),
    ];
    for binary in [API_BIN, WORKER_BIN] {
        for (config, env, key) in cases {
            let (code, stdout, stderr) = check(binary, config, env);
            assert_eq!(code, 2, "{binary} {env:?}:\n{stdout}\n{stderr}");
            assert!(
                stderr.contains(key),
                "{binary} {env:?}: no {key:?} in:\n{stderr}"
            );
        }
    }
}

#[test]
fn both_binaries_answer_version_and_describe_themselves_in_help() {
    for binary in [API_BIN, WORKER_BIN] {
        let run = |arg: &str| {
            let output = Command::new(binary_path(binary))
                .arg(arg)
                .output()
                .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
            assert!(output.status.success(), "{binary} {arg}: {output:?}");
            String::from_utf8_lossy(&output.stdout).into_owned()
        };
        let version = run("--version");
        assert_eq!(
            version.trim(),
            format!("{binary} {}", env!("CARGO_PKG_VERSION")),
            "{binary}"
        );
        let help = run("--help");
        let description = help.lines().next().unwrap_or_default();
        assert!(
            description.starts_with("Versus ") && !description.starts_with("Usage"),
            "{binary}: no description first in --help:\n{help}"
        );
        assert!(help.contains("--version"), "{binary}:\n{help}");
    }
}
