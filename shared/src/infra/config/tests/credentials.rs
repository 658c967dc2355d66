//! `ingest_auth` and `oncall.previous_ack_secrets`: loaded with substitution, refused when empty.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const INGEST_AUTH: &str = "ingest_auth:\n  bearer_tokens: [\"${VERSUS_INGEST_TOKEN}\", \"${VERSUS_INGEST_TOKEN_NEXT:-}\"]\n  basic_auth: {username: alertmanager, password: \"${VERSUS_INGEST_PASSWORD}\"}\n";

#[test]
fn ingest_auth_loads_with_environment_substitution() {
    let (_dir, path) = write_config(INGEST_AUTH);
    let settings = load_with_env(
        &path,
        &env(&[
            ("VERSUS_INGEST_TOKEN", "tok-one-0123456789"),
            ("VERSUS_INGEST_TOKEN_NEXT", "tok-two-0123456789"),
            ("VERSUS_INGEST_PASSWORD", "pass: #word"),
        ]),
    )
    .unwrap();
    let auth = settings.ingest_auth.expect("ingest_auth is set");
    let tokens: Vec<&str> = auth.bearer_tokens.iter().map(|t| t.expose()).collect();
    assert_eq!(tokens, ["tok-one-0123456789", "tok-two-0123456789"]);
    let basic = auth.basic_auth.expect("basic_auth");
    assert_eq!(basic.username, "alertmanager");
    assert_eq!(basic.password.expose(), "pass: #word");
    assert!(!format!("{basic:?}").contains("#word"), "never printed");
}

#[test]
fn without_ingest_auth_ingest_stays_open() {
    let (_dir, path) = write_config("{}\n");
    assert!(load_with_env(&path, &HashMap::new())
        .unwrap()
        .ingest_auth
        .is_none());
}

#[test]
fn ingest_auth_with_every_child_commented_out_is_refused_not_read_as_open() {
    let (_dir, path) = write_config(
        "ingest_auth:\n  # bearer_tokens: [\"${VERSUS_INGEST_TOKEN}\"]\n  # basic_auth: {username: am, password: x}\n",
    );
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("ingest_auth: names no credentials"), "{text}");
}

#[test]
fn an_empty_ingest_token_or_password_is_a_startup_error() {
    let (_dir, path) = write_config(INGEST_AUTH);
    let text = load_with_env(
        &path,
        &env(&[
            ("VERSUS_INGEST_TOKEN", "tok-one-0123456789"),
            ("VERSUS_INGEST_PASSWORD", ""),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        text.contains("ingest_auth.bearer_tokens[1]: is empty"),
        "{text}"
    );
    assert!(
        text.contains("ingest_auth.basic_auth.password: is empty"),
        "{text}"
    );
    assert!(!text.contains("ingest_auth.bearer_tokens[0]"), "{text}");

    let (_dir, path) = write_config("ingest_auth: {bearer_tokens: []}\n");
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("ingest_auth: names no credentials"), "{text}");

    let (_dir, path) = write_config(
        "ingest_auth:\n  bearer_tokens: [\"two words\"]\n  basic_auth: {username: \"a:b\", password: x}\n",
    );
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("ingest_auth.bearer_tokens[0]: contains a space"),
        "{text}"
    );
    assert!(
        text.contains("ingest_auth.basic_auth.username: must be non-empty, without ':'"),
        "{text}"
    );
}

#[test]
fn previous_ack_secrets_load_and_are_checked_like_the_ack_secret() {
    let (_dir, path) = write_config(
        "oncall:\n  previous_ack_secrets: [\"${OLD_ACK_SECRET}\", \"${OLDER_ACK_SECRET:-}\"]\n",
    );
    let settings = load_with_env(
        &path,
        &env(&[
            ("OLD_ACK_SECRET", "old-secret-0123456789"),
            ("OLDER_ACK_SECRET", "older-secret-0123456789"),
        ]),
    )
    .unwrap();
    let previous: Vec<&str> = settings
        .oncall
        .previous_ack_secrets
        .iter()
        .map(|s| s.expose())
        .collect();
    assert_eq!(
        previous,
        ["old-secret-0123456789", "older-secret-0123456789"]
    );

    let text = load_with_env(&path, &env(&[("OLD_ACK_SECRET", "short")]))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("oncall.previous_ack_secrets[0]: must be at least 16 characters"),
        "{text}"
    );
    assert!(
        text.contains("oncall.previous_ack_secrets[1]: must be at least 16 characters"),
        "{text}"
    );
}

#[test]
fn new_secrets_are_redacted_from_logs() {
    let (_dir, path) = write_config(
        "ingest_auth:\n  bearer_tokens: [tok-one-0123456789]\n  basic_auth: {username: am, password: pass-0123456789}\noncall:\n  previous_ack_secrets: [old-secret-0123456789]\n",
    );
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    let redactor = crate::infra::telemetry::Redactor::from_settings(&settings);
    let line = redactor.redact("tok-one-0123456789 pass-0123456789 old-secret-0123456789");
    assert!(
        !line.contains("0123456789"),
        "every new secret is redacted: {line}"
    );
}
