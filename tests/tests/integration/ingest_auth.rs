//! `ingest_auth` against the real actix app and a real Redis: without valid credentials `POST
//! /api/incidents` answers 401 with a challenge and stores nothing; each rotated token and the Basic
//! credentials get in; the ack link keeps its own check. And the binaries refuse an empty token at start-up
//! and in `--check`.

use actix_web::{test, App};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use redis::AsyncCommands;
use serde_json::Value;
use std::process::Command;
use versus_api::startup::{app_state, configure};
use versus_shared::infra::config::{BasicAuthSettings, IngestAuthSettings, Settings};
use versus_shared::infra::secret::Secret;
use versus_tests::config_file::shipped_config_with;
use versus_tests::{binary_path, RedisServer, API_BIN, WORKER_BIN};

const OLD_TOKEN: &str = "ingest-token-old-0123456789";
const NEW_TOKEN: &str = "ingest-token-new-0123456789";
const PASSWORD: &str = "ingest-password-0123456789";

fn settings(redis: &RedisServer, basic: bool) -> Settings {
    let mut settings = Settings::default();
    settings.redis.port = redis.port();
    settings.public_host = "https://versus.example.com".into();
    settings.oncall.enable = true;
    settings.oncall.ack_secret = Some(Secret::new("ack-secret-0123456789"));
    settings.oncall.aws_incident_manager.response_plan_arn =
        "arn:aws:ssm-incidents::123456789012:response-plan/P".into();
    settings.ingest_auth = Some(IngestAuthSettings {
        bearer_tokens: vec![Secret::new(OLD_TOKEN), Secret::new(NEW_TOKEN)],
        basic_auth: basic.then(|| BasicAuthSettings {
            username: "alertmanager".into(),
            password: Secret::new(PASSWORD),
        }),
    });
    settings
}

macro_rules! app {
    ($settings:expr) => {{
        let state = app_state($settings).unwrap();
        test::init_service(App::new().configure(move |cfg| configure(cfg, state.clone()))).await
    }};
}

fn alert(authorization: Option<&str>, marker: &str) -> actix_http::Request {
    let mut request = test::TestRequest::post()
        .uri("/api/incidents?oncall_wait_minutes=60")
        .insert_header(("content-type", "application/json"))
        .set_payload(format!(
            r#"{{"Logs":"[CRITICAL] {marker}","ServiceName":"{marker}","Severity":"critical"}}"#
        ));
    if let Some(value) = authorization {
        request = request.insert_header(("authorization", value.to_string()));
    }
    request.to_request()
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

async fn incident_keys(redis: &RedisServer) -> Vec<String> {
    redis.conn().await.keys("versus:incident:*").await.unwrap()
}

#[actix_web::test]
async fn without_valid_credentials_ingest_is_401_with_a_challenge_and_stores_nothing() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, true));
    let wrong_basic = basic("alertmanager", "not-the-password");
    let wrong_user = basic("someone", PASSWORD);
    for authorization in [
        None,
        Some("Bearer not-a-configured-token"),
        Some("Bearer "),
        Some(&format!("Bearer {OLD_TOKEN}x")),
        Some(wrong_basic.as_str()),
        Some(wrong_user.as_str()),
        Some("Digest username=\"alertmanager\""),
    ] {
        let response = test::call_service(&app, alert(authorization, "refused")).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        let challenges: Vec<&str> = response
            .headers()
            .get_all("www-authenticate")
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(
            challenges,
            [
                "Bearer realm=\"versus\"",
                "Basic realm=\"versus\", charset=\"UTF-8\""
            ],
            "{authorization:?}"
        );
        let body: Value = test::read_body_json(response).await;
        assert!(
            body["error"].as_str().unwrap().contains("ingest_auth"),
            "{body}"
        );
    }
    assert!(
        incident_keys(&redis).await.is_empty(),
        "a refused request stored an incident"
    );
}

#[actix_web::test]
async fn each_rotated_token_and_the_basic_credentials_are_accepted() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, true));
    let good_basic = basic("alertmanager", PASSWORD);
    for (authorization, marker) in [
        (format!("Bearer {OLD_TOKEN}"), "old-token"),
        (format!("Bearer {NEW_TOKEN}"), "new-token"),
        (good_basic, "basic"),
    ] {
        let response = test::call_service(&app, alert(Some(&authorization), marker)).await;
        assert_eq!(response.status(), 201, "{marker}");
    }
    assert_eq!(incident_keys(&redis).await.len(), 3);
}

#[actix_web::test]
async fn the_ack_link_keeps_its_own_check_and_needs_no_ingest_credentials() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, false));
    let answer: Value =
        test::call_and_read_body_json(&app, alert(Some(&format!("Bearer {NEW_TOKEN}")), "ack-me"))
            .await;
    let path = answer["ack_url"]
        .as_str()
        .expect("an ack_url")
        .trim_start_matches("https://versus.example.com")
        .to_string();
    let ack = test::TestRequest::post()
        .uri(&path)
        .insert_header(("accept", "application/json"))
        .to_request();
    let acked: Value = test::call_and_read_body_json(&app, ack).await;
    assert_eq!(acked["result"], "acked", "{acked}");
    // Only a basic_auth-less installation: a Basic challenge would advertise a scheme that cannot work.
    let refused = test::call_service(&app, alert(None, "no-basic")).await;
    assert_eq!(
        refused
            .headers()
            .get_all("www-authenticate")
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>(),
        ["Bearer realm=\"versus\""]
    );
}

// `test` here is actix's module; this is the standard attribute.
#[core::prelude::v1::test]
fn an_empty_ingest_token_is_a_start_up_and_check_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config_with(
        dir.path(),
        "ingest_auth:\n  bearer_tokens: [\"${VERSUS_INGEST_TOKEN:-}\"]\n",
    );
    for binary in [API_BIN, WORKER_BIN] {
        for check in [true, false] {
            let mut command = Command::new(binary_path(binary));
            if check {
                command.arg("--check");
            }
            let child = command
                .arg("--config")
                .arg(&config)
                .env_remove("VERSUS_INGEST_TOKEN")
                .env("VERSUS_PORT", "1")
                .env("VERSUS_WORKER_PORT", "1")
                .env("REDIS_PORT", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let output = exits_within(child, std::time::Duration::from_secs(20));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{binary} check={check}: {stderr}"
            );
            assert!(
                stderr.contains("ingest_auth.bearer_tokens[0]: is empty"),
                "{binary} check={check}: {stderr}"
            );
        }
    }
}

/// The output of a process that must exit by itself; killed (and the test failed) if it does not.
fn exits_within(
    mut child: std::process::Child,
    limit: std::time::Duration,
) -> std::process::Output {
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}
