//! Noise marks and named acks against the real actix app and a real Redis: the ack page's "Your name" and
//! noise forms, the noise route (form and JSON, mark, unmark, repeats), the Slack Noise buttons, and what
//! each writes to the incident and to its report summary.

use actix_web::{test, App};
use redis::AsyncCommands;
use serde_json::{json, Value};
use std::collections::HashMap;
use versus_api::startup::{app_state, configure};
use versus_shared::domain::incident::decode_fields;
use versus_shared::infra::config::Settings;
use versus_tests::app_settings::oncall_app_settings;
use versus_tests::slack_click::SignedClick;
use versus_tests::RedisServer;

const SIGNING_SECRET: &str = "noise-signing-secret-0123456789";
const HOSTILE: &str = "<b>& <!channel>";

fn settings(redis: &RedisServer) -> Settings {
    oncall_app_settings(redis, Some(SIGNING_SECRET))
}

macro_rules! app {
    ($redis:expr) => {{
        let state = app_state(settings($redis)).unwrap();
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
        let ack_url = answer["ack_url"].as_str().expect("an ack_url").to_string();
        let token = ack_url.rsplit('/').next().unwrap().to_string();
        (answer["id"].as_str().unwrap().to_string(), token)
    }};
}

/// POSTs `body` of `content_type` to `uri`; answers (status, body text).
macro_rules! post {
    ($app:expr, $uri:expr, $content_type:expr, $body:expr) => {{
        let request = test::TestRequest::post()
            .uri(&$uri)
            .insert_header(("content-type", $content_type))
            .set_payload($body.to_string())
            .to_request();
        let response = test::call_service(&$app, request).await;
        let status = response.status().as_u16();
        let body = test::read_body(response).await;
        (status, String::from_utf8(body.to_vec()).unwrap())
    }};
}

macro_rules! page {
    ($app:expr, $token:expr) => {{
        let request = test::TestRequest::get()
            .uri(&format!("/api/incidents/ack/{}", $token))
            .insert_header(("accept", "text/html"))
            .to_request();
        let body = test::call_and_read_body(&$app, request).await;
        String::from_utf8(body.to_vec()).unwrap()
    }};
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn form(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

async fn hash(redis: &RedisServer, key: &str) -> HashMap<String, String> {
    let raw: HashMap<String, Vec<u8>> = redis.conn().await.hgetall(key).await.unwrap();
    decode_fields(raw)
}

async fn incident(redis: &RedisServer, id: &str) -> HashMap<String, String> {
    hash(redis, &format!("versus:incident:{id}")).await
}

async fn summary(redis: &RedisServer, id: &str) -> HashMap<String, String> {
    hash(redis, &format!("versus:report:incident:{id}")).await
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map(String::as_str).unwrap_or_default()
}

#[actix_web::test]
async fn a_name_typed_on_the_page_is_stored_and_shown_escaped() {
    let redis = RedisServer::start();
    let app = app!(&redis);
    let (id, token) = create_incident!(app);
    let page = page!(app, token);
    assert!(
        page.contains(r#"name="name" maxlength="64""#),
        "the ack form asks for a name: {page}"
    );

    let (status, answer) = post!(
        app,
        format!("/api/incidents/ack/{token}"),
        FORM,
        form(&[("name", &format!("  {HOSTILE}  "))])
    );
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("Acknowledged at"), "{answer}");
    let record = incident(&redis, &id).await;
    assert_eq!(
        field(&record, "acked_by"),
        HOSTILE,
        "trimmed, kept as typed"
    );
    assert_eq!(field(&record, "acked_via"), "link");
    let summary = summary(&redis, &id).await;
    assert_eq!(field(&summary, "b"), HOSTILE, "{summary:?}");
    assert_eq!(field(&summary, "w"), "link", "{summary:?}");

    let page = page!(app, token);
    assert!(
        page.contains("acknowledged by &lt;b&gt;&amp; &lt;!channel&gt;"),
        "{page}"
    );
    assert!(
        !page.contains(HOSTILE),
        "the name is never raw HTML: {page}"
    );
    let (_, again) = post!(
        app,
        format!("/api/ack/{token}"),
        JSON,
        json!({"name": "Bob"})
    );
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["result"], "already_acked");
    assert_eq!(again["acked_by"], HOSTILE);
}

#[actix_web::test]
async fn an_unnamed_ack_is_the_ack_link_with_no_person() {
    let redis = RedisServer::start();
    let app = app!(&redis);
    let (id, token) = create_incident!(app);
    let (status, answer) = post!(app, format!("/api/incidents/ack/{token}"), JSON, "");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(field(&incident(&redis, &id).await, "acked_by"), "ack link");
    let summary = summary(&redis, &id).await;
    assert_eq!(field(&summary, "b"), "", "{summary:?}");
    assert_eq!(field(&summary, "w"), "link", "{summary:?}");
}

#[actix_web::test]
async fn a_name_that_cannot_be_kept_refuses_a_noise_mark_but_never_holds_up_an_ack() {
    let redis = RedisServer::start();
    let app = app!(&redis);
    let (id, token) = create_incident!(app);
    let (status, answer) = post!(
        app,
        format!("/api/incidents/noise/{token}"),
        JSON,
        json!({"name": "Alice\nInjected: line"})
    );
    assert_eq!(status, 400);
    assert!(answer.contains("control characters"), "{answer}");
    assert_eq!(
        field(&summary(&redis, &id).await, "n"),
        "",
        "no mark was made"
    );

    // The ack is what keeps the page from being sent: it is made, unnamed, and the answer says why.
    let (status, answer) = post!(
        app,
        format!("/api/incidents/ack/{token}"),
        JSON,
        json!({"name": "Alice\nInjected: line"})
    );
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains("name_not_kept") && answer.contains("control characters"),
        "{answer}"
    );
    let record = incident(&redis, &id).await;
    assert_eq!(field(&record, "state"), "acked");
    assert_eq!(field(&record, "acked_by"), "ack link");
    assert_eq!(field(&summary(&redis, &id).await, "b"), "");
    let (status, page) = post!(
        app,
        format!("/api/incidents/ack/{token}"),
        FORM,
        form(&[("name", &"x".repeat(65))])
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"name-not-kept\"") && page.contains("at most 64"),
        "a page for the form: {page}"
    );
}

#[actix_web::test]
async fn the_page_marks_and_unmarks_noise_and_repeats_change_nothing() {
    let redis = RedisServer::start();
    let app = app!(&redis);
    let (id, token) = create_incident!(app);
    let page = page!(app, token);
    assert!(
        page.contains(&format!(r#"action="/api/incidents/noise/{token}""#))
            && page.contains(r#"name="noise" value="1""#)
            && page.contains("Mark as noise"),
        "{page}"
    );

    let noise_uri = format!("/api/incidents/noise/{token}");
    let mark = form(&[("noise", "1"), ("name", HOSTILE)]);
    let (status, answer) = post!(app, noise_uri, FORM, mark);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("Marked as noise."), "{answer}");
    assert!(answer.contains(&format!(r#"href="/api/incidents/ack/{token}""#)));
    assert_eq!(field(&incident(&redis, &id).await, "noise_by"), HOSTILE);
    let marked = summary(&redis, &id).await;
    assert_eq!((field(&marked, "n"), field(&marked, "nb")), ("1", HOSTILE));

    let page = page!(app, token);
    assert!(
        page.contains("Marked as noise by &lt;b&gt;&amp; &lt;!channel&gt;.")
            && page.contains(r#"name="noise" value="0""#)
            && page.contains("Unmark noise"),
        "{page}"
    );

    let (_, again) = post!(app, noise_uri, FORM, form(&[("noise", "1")]));
    assert!(again.contains("already marked"), "{again}");
    assert_eq!(
        field(&incident(&redis, &id).await, "noise_by"),
        HOSTILE,
        "a repeat keeps who marked it"
    );

    let (_, unmarked) = post!(app, noise_uri, FORM, form(&[("noise", "0")]));
    assert!(unmarked.contains("noise mark is off"), "{unmarked}");
    assert_eq!(field(&incident(&redis, &id).await, "noise_by"), "");
    assert_eq!(field(&summary(&redis, &id).await, "n"), "");
    assert!(page!(app, token).contains("Mark as noise"));
}

#[actix_web::test]
async fn the_noise_route_answers_json_on_both_paths() {
    let redis = RedisServer::start();
    let app = app!(&redis);
    let (id, token) = create_incident!(app);
    let mut results = Vec::new();
    for (path, body) in [
        ("/api/noise", json!({})),
        (
            "/api/incidents/noise",
            json!({"noise": true, "name": "Alice"}),
        ),
        ("/api/noise", json!({"noise": false})),
        ("/api/incidents/noise", json!({"noise": "0"})),
    ] {
        let (status, answer) = post!(app, format!("{path}/{token}"), JSON, body);
        assert_eq!(status, 200, "{answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["id"], id.as_str());
        results.push((answer["result"].clone(), answer["noise"].clone()));
    }
    assert_eq!(
        results,
        [
            (json!("marked"), json!(true)),
            (json!("already_marked"), json!(true)),
            (json!("unmarked"), json!(false)),
            (json!("not_marked"), json!(false)),
        ]
    );
    let (status, _) = post!(app, format!("/api/noise/{token}"), JSON, "");
    assert_eq!(status, 200, "no body marks");
    assert_eq!(field(&incident(&redis, &id).await, "noise_by"), "ack link");
    let (status, answer) = post!(
        app,
        format!("/api/noise/{token}"),
        JSON,
        r#"{"noise":"maybe"}"#
    );
    assert_eq!(status, 400, "{answer}");
}

#[actix_web::test]
async fn a_bad_token_is_404_and_a_get_changes_nothing() {
    let redis = RedisServer::start();
    let app = app!(&redis);
    let (id, token) = create_incident!(app);
    let forged = token.replacen(&id[..4], "ffff", 1);
    for path in ["/api/incidents/noise", "/api/noise"] {
        let (status, _) = post!(app, format!("{path}/{forged}"), JSON, "{}");
        assert_eq!(status, 404, "{path}");
        let (status, page) = post!(app, format!("{path}/nonsense"), FORM, "noise=1");
        assert_eq!(status, 404);
        assert!(page.contains("Not found"), "{page}");
    }
    let get = test::TestRequest::get()
        .uri(&format!("/api/incidents/noise/{token}"))
        .to_request();
    let status = test::call_service(&app, get).await.status();
    assert!(status.is_client_error(), "{status}");
    assert_eq!(field(&incident(&redis, &id).await, "noise_by"), "");
}

/// A correctly signed click of the button `action_id` carrying `token`, by Slack user `user`.
macro_rules! click {
    ($app:expr, $action_id:expr, $token:expr, $user:expr) => {{
        let click = SignedClick::new(SIGNING_SECRET, $action_id, $token, $user);
        let request = test::TestRequest::post()
            .uri("/api/slack/interactions")
            .insert_header(("content-type", FORM))
            .insert_header(("x-slack-signature", click.signature))
            .insert_header(("x-slack-request-timestamp", click.timestamp.to_string()))
            .set_payload(click.body)
            .to_request();
        test::call_service(&$app, request).await.status().as_u16()
    }};
}

#[actix_web::test]
async fn the_slack_buttons_mark_and_unmark_as_the_slack_user_and_acks_carry_the_user() {
    let redis = RedisServer::start();
    let app = app!(&redis);
    let (id, token) = create_incident!(app);
    assert_eq!(click!(app, "versus_noise", &token, "U0NOISE"), 200);
    assert_eq!(
        field(&incident(&redis, &id).await, "noise_by"),
        "slack:U0NOISE"
    );
    let marked = summary(&redis, &id).await;
    assert_eq!(
        (field(&marked, "n"), field(&marked, "nb")),
        ("1", "slack:U0NOISE")
    );
    let queued: Vec<String> = redis
        .conn()
        .await
        .zrange("versus:queue:slack_update:due", 0, -1)
        .await
        .unwrap();
    assert!(
        queued.iter().any(|job| job.starts_with(&id)),
        "the message update is queued: {queued:?}"
    );

    assert_eq!(click!(app, "versus_ack", &token, "U0ACKER"), 200);
    let record = incident(&redis, &id).await;
    assert_eq!(field(&record, "acked_by"), "<@U0ACKER>");
    let acked = summary(&redis, &id).await;
    assert_eq!(
        (field(&acked, "b"), field(&acked, "w")),
        ("slack:U0ACKER", "slack")
    );

    assert_eq!(click!(app, "versus_noise_unmark", &token, "U0NOISE"), 200);
    assert_eq!(field(&incident(&redis, &id).await, "noise_by"), "");

    // Not a Slack user id: marked, but never written as one.
    assert_eq!(click!(app, "versus_noise", &token, "U1> <!channel"), 200);
    assert_eq!(
        field(&incident(&redis, &id).await, "noise_by"),
        "a Slack user"
    );
}
