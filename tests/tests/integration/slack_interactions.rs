//! The Slack interactive button against the real actix app and a real Redis: a signed click acknowledges;
//! a bad signature, a stale timestamp or a replayed body is refused with 401 and changes nothing.

use actix_web::{test, App};
use hmac::{Hmac, KeyInit, Mac};
use redis::AsyncCommands;
use serde_json::{json, Value};
use sha2::Sha256;
use versus_api::startup::{app_state, configure};
use versus_shared::infra::config::Settings;
use versus_tests::RedisServer;

const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn settings(redis: &RedisServer, signing_secret: Option<&str>) -> Settings {
    let mut settings = Settings::default();
    settings.redis.port = redis.port();
    settings.public_host = "https://versus.example.com".into();
    settings.oncall.enable = true;
    settings.oncall.ack_secret = Some(versus_shared::infra::secret::Secret::new(
        "ack-secret-0123456789",
    ));
    settings.oncall.aws_incident_manager.response_plan_arn =
        "arn:aws:ssm-incidents::123456789012:response-plan/P".into();
    settings.alert.slack.signing_secret =
        signing_secret.map(versus_shared::infra::secret::Secret::new);
    settings
}

fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn click_body(token: &str, user: &str) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": user, "username": "oncall-person"},
        "actions": [{"action_id": "versus_ack", "block_id": "versus_ack", "value": token, "type": "button"}]
    });
    serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn incident_field(redis: &RedisServer, id: &str, field: &str) -> Option<String> {
    redis
        .conn()
        .await
        .hget(format!("versus:incident:{id}"), field)
        .await
        .unwrap()
}

macro_rules! app {
    ($settings:expr) => {{
        let state = app_state($settings).unwrap();
        test::init_service(App::new().configure(move |cfg| configure(cfg, state.clone()))).await
    }};
}

/// Creates an on-call incident through the ingest endpoint; returns (id, ack token).
macro_rules! create_incident {
    ($app:expr) => {{
        let request = test::TestRequest::post()
            .uri("/api/incidents")
            .insert_header(("content-type", "application/json"))
            .set_payload(
                r#"{"Logs":"[CRITICAL] disk full","ServiceName":"db","Severity":"critical"}"#,
            )
            .to_request();
        let answer: Value = test::call_and_read_body_json(&$app, request).await;
        let ack_url = answer["ack_url"]
            .as_str()
            .expect("on-call incident has an ack_url")
            .to_string();
        let token = ack_url.rsplit('/').next().unwrap().to_string();
        (answer["id"].as_str().unwrap().to_string(), token)
    }};
}

fn callback(body: &str, signature: &str, timestamp: i64) -> actix_http::Request {
    test::TestRequest::post()
        .uri("/api/slack/interactions")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .insert_header(("x-slack-signature", signature.to_string()))
        .insert_header(("x-slack-request-timestamp", timestamp.to_string()))
        .set_payload(body.to_string())
        .to_request()
}

#[actix_web::test]
async fn a_signed_click_acknowledges_and_queues_the_message_update() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, Some(SIGNING_SECRET)));
    let (id, token) = create_incident!(app);
    let body = click_body(&token, "U123ABC");
    let ts = now();
    let started = std::time::Instant::now();
    let response =
        test::call_service(&app, callback(&body, &sign(SIGNING_SECRET, ts, &body), ts)).await;
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "Slack wants an answer within 3 s"
    );
    assert_eq!(
        incident_field(&redis, &id, "state").await.as_deref(),
        Some("acked")
    );
    assert_eq!(
        incident_field(&redis, &id, "acked_by").await.as_deref(),
        Some("<@U123ABC>")
    );
    assert_eq!(
        incident_field(&redis, &id, "acked_via").await.as_deref(),
        Some("slack")
    );
    let queued: Vec<String> = redis
        .conn()
        .await
        .zrange("versus:queue:slack_update:due", 0, -1)
        .await
        .unwrap();
    assert!(
        queued.iter().any(|job| job.starts_with(&id)),
        "an update of the Slack message is queued: {queued:?}"
    );
}

#[actix_web::test]
async fn a_bad_signature_is_refused_and_changes_nothing() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, Some(SIGNING_SECRET)));
    let (id, token) = create_incident!(app);
    let body = click_body(&token, "U1");
    let ts = now();
    let wrong = sign("not-the-signing-secret", ts, &body);
    assert_eq!(
        test::call_service(&app, callback(&body, &wrong, ts))
            .await
            .status(),
        401
    );
    let tampered = click_body(&token, "U2");
    let signed_for_other_body = sign(SIGNING_SECRET, ts, &body);
    assert_eq!(
        test::call_service(&app, callback(&tampered, &signed_for_other_body, ts))
            .await
            .status(),
        401
    );
    let missing = test::TestRequest::post()
        .uri("/api/slack/interactions")
        .set_payload(body.clone())
        .to_request();
    assert_eq!(test::call_service(&app, missing).await.status(), 401);
    assert_eq!(
        incident_field(&redis, &id, "state").await.as_deref(),
        Some("pending")
    );
}

#[actix_web::test]
async fn a_stale_timestamp_is_refused_and_changes_nothing() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, Some(SIGNING_SECRET)));
    let (id, token) = create_incident!(app);
    let body = click_body(&token, "U1");
    let stale = now() - 6 * 60;
    let response = test::call_service(
        &app,
        callback(&body, &sign(SIGNING_SECRET, stale, &body), stale),
    )
    .await;
    assert_eq!(response.status(), 401);
    let answer: Value = test::read_body_json(response).await;
    assert!(
        answer["error"].as_str().unwrap().contains("timestamp"),
        "{answer}"
    );
    assert_eq!(
        incident_field(&redis, &id, "state").await.as_deref(),
        Some("pending")
    );
}

#[actix_web::test]
async fn a_replayed_body_is_refused() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, Some(SIGNING_SECRET)));
    let (id, token) = create_incident!(app);
    let body = click_body(&token, "U1");
    let ts = now();
    let signature = sign(SIGNING_SECRET, ts, &body);
    assert_eq!(
        test::call_service(&app, callback(&body, &signature, ts))
            .await
            .status(),
        200
    );
    let acked_ms = incident_field(&redis, &id, "acked_ms").await;
    assert_eq!(
        test::call_service(&app, callback(&body, &signature, ts))
            .await
            .status(),
        401
    );
    assert_eq!(
        incident_field(&redis, &id, "acked_ms").await,
        acked_ms,
        "the replay changed nothing"
    );
}

#[actix_web::test]
async fn without_a_signing_secret_the_callback_is_not_served() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, None));
    let (id, token) = create_incident!(app);
    let body = click_body(&token, "U1");
    let ts = now();
    let response =
        test::call_service(&app, callback(&body, &sign(SIGNING_SECRET, ts, &body), ts)).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        incident_field(&redis, &id, "state").await.as_deref(),
        Some("pending")
    );
}

#[actix_web::test]
async fn a_click_from_something_not_a_slack_user_id_acknowledges_without_writing_it() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, Some(SIGNING_SECRET)));
    let (id, token) = create_incident!(app);
    let body = click_body(&token, "U1> <!channel");
    let ts = now();
    let response =
        test::call_service(&app, callback(&body, &sign(SIGNING_SECRET, ts, &body), ts)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        incident_field(&redis, &id, "state").await.as_deref(),
        Some("acked")
    );
    assert_eq!(
        incident_field(&redis, &id, "acked_by").await.as_deref(),
        Some("a Slack user")
    );
}
