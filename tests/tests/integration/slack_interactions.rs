//! The Slack interactive button against the real actix app and a real Redis: a signed click acknowledges;
//! a bad signature, a stale timestamp or a replayed body is refused with 401 and changes nothing; the replay
//! guard is one `SET NX EX`.

use actix_web::{test, App};
use hmac::{Hmac, KeyInit, Mac};
use redis::AsyncCommands;
use serde_json::{json, Value};
use sha2::Sha256;
use versus_api::startup::{app_state, configure};
use versus_shared::infra::config::Settings;
use versus_tests::app_settings::oncall_app_settings;
use versus_tests::RedisServer;

const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn settings(redis: &RedisServer, signing_secret: Option<&str>) -> Settings {
    oncall_app_settings(redis, signing_secret)
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
async fn a_replayed_body_is_refused_by_a_guard_written_with_its_expiry_in_one_command() {
    let redis = RedisServer::start();
    let app = app!(settings(&redis, Some(SIGNING_SECRET)));
    let (id, token) = create_incident!(app);
    let commands = monitor(&redis).await;
    let body = click_body(&token, "U1");
    let ts = now();
    let signature = sign(SIGNING_SECRET, ts, &body);
    assert_eq!(
        test::call_service(&app, callback(&body, &signature, ts))
            .await
            .status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let guard_commands: Vec<String> = commands
        .lock()
        .unwrap()
        .lines()
        .filter(|line| line.contains("slack:seen:"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        guard_commands.len(),
        1,
        "the guard key must be set with its expiry atomically: {guard_commands:#?}"
    );
    let command = guard_commands[0].to_ascii_uppercase();
    assert!(
        command.contains("\"SET\"") && command.contains("\"NX\"") && command.contains("\"EX\""),
        "{command}"
    );
    let keys: Vec<String> = redis
        .conn()
        .await
        .keys("versus:slack:seen:*")
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let ttl: i64 = redis.conn().await.ttl(&keys[0]).await.unwrap();
    assert!((1..=600).contains(&ttl), "TTL {ttl}");
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

/// Every command the server runs from now on, as `MONITOR` prints them, collected in the background.
async fn monitor(redis: &RedisServer) -> std::sync::Arc<std::sync::Mutex<String>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", redis.port()))
        .await
        .unwrap();
    stream.write_all(b"MONITOR\r\n").await.unwrap();
    let mut ok = [0u8; 5];
    stream.read_exact(&mut ok).await.unwrap();
    assert_eq!(&ok, b"+OK\r\n");
    let sink = seen.clone();
    tokio::spawn(async move {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    seen
}
