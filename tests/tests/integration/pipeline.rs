//! The path every alert takes: a webhook posted to the real `versus-api` is stored in Redis,
//! picked up by the real `versus-worker` and posted to (fake) Slack with the right wire format.
//! Rejections are in `rejects`, the bounds on what requests may hold in `limits`, Slack failures and
//! logging in `slack`, query parameters Versus does not know in `unknown_parameters`.

mod limits;
mod rejects;
mod slack;
mod unknown_parameters;

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::{json, Value};
use versus_tests::alertmanager_webhook::Notification;
use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::slack_messages::{action_blocks, wait_post};
use versus_tests::timing::percentiles;
use versus_tests::topology::{TEST_SLACK_CHANNEL, WORKER_STARTED_LOG};
use versus_tests::{wait_until, Topology, DEFAULT_SLACK_TOKEN};

/// Slack's own limits, checked here because FakeSlack checks the shape, not the sizes.
const SLACK_MAX_BLOCKS: usize = 50;
const SLACK_SECTION_MAX: usize = 3000;
const SLACK_TEXT_MAX: usize = 40_000;

#[tokio::test]
async fn a_free_form_alert_reaches_slack_within_a_second_with_token_channel_text_and_blocks() {
    let topo = Topology::start().await;
    // Let the worker go idle first: the guarantee is about an idle worker picking up a new job.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let mut latencies = Vec::new();
    for n in 0..10 {
        let marker = format!("latency-{n}");
        let answer = created(&topo, "", &freeform(&marker)).await;
        let accepted_at = Instant::now();
        let id = id_of(&answer);
        assert!(
            answer.get("ack_url").is_none(),
            "no on-call, so no ack link: {answer}"
        );
        assert!(
            wait_post(&topo.slack, &marker, Duration::from_secs(5))
                .await
                .is_some(),
            "alert {n} never reached Slack"
        );
        let call = topo
            .slack
            .calls()
            .into_iter()
            .find(|c| c.outcome.is_accepted() && c.raw_body.contains(&marker))
            .expect("the accepted call");
        let latency = call.received_at.saturating_duration_since(accepted_at);
        latencies.push(latency.as_secs_f64() * 1000.0);
        assert!(
            latency <= Duration::from_secs(1),
            "alert {n} ({id}) took {latency:?} from 201 to Slack; an idle worker must pick it up within 1 s"
        );

        // The wire format Slack requires.
        assert_eq!(
            call.authorization.as_deref(),
            Some(format!("Bearer {DEFAULT_SLACK_TOKEN}").as_str())
        );
        assert!(call
            .content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/json")));
        let body = call.body.expect("a JSON body");
        assert_eq!(body["channel"], TEST_SLACK_CHANNEL);
        let text = body["text"].as_str().expect("fallback text");
        assert!(text.contains(&format!("svc-{marker}")), "{text}");
        let blocks = body["blocks"].as_array().expect("Block Kit blocks");
        assert!(!blocks.is_empty());
        assert!(
            blocks[0]["type"] == "section" && blocks[0]["text"]["type"] == "mrkdwn",
            "{}",
            blocks[0]
        );
        let shown = blocks[0]["text"]["text"].as_str().unwrap_or_default();
        assert!(
            shown.contains("CRITICAL") && shown.contains(&format!("svc-{marker}")),
            "{shown}"
        );
        assert!(
            action_blocks(&body).is_empty(),
            "no ack link, so no button: {body}"
        );

        // Idle again before the next one (the worker sleeps between polls when there is no work).
        tokio::time::sleep(Duration::from_millis(300 + 150 * (n % 4))).await;
    }
    let (p50, _, max) = percentiles(&latencies);
    println!(
        "notify latency (201 -> FakeSlack) over {} alerts: p50 {p50:.1} ms, max {max:.1} ms",
        latencies.len()
    );
    assert_eq!(
        topo.slack.posts().len(),
        10,
        "each alert posted exactly once"
    );
    assert!(
        topo.slack.rejected().is_empty(),
        "{:?}",
        topo.slack.rejected()
    );
}

#[tokio::test]
async fn an_alertmanager_v4_webhook_is_posted_with_its_essentials() {
    let topo = Topology::start().await;
    let answer = created(&topo, "", &Notification::sample().to_json()).await;
    let id = id_of(&answer);
    let post = wait_post(&topo.slack, "HighErrorRate", Duration::from_secs(5))
        .await
        .expect("the Alertmanager alert reached Slack");
    let text = post["text"].as_str().unwrap();
    for needle in [
        "CRITICAL",
        "HighErrorRate",
        "payments",
        "checkout-7f9c6d5b8-2xkqp:8080",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {text}");
    }
    // The date filter renders the Go reference layout.
    assert!(text.contains("Jan 02, 2024 15:04:05 UTC"), "{text}");
    let incident = topo.incident(&id).await;
    assert_eq!(incident["source"], "alertmanager");
    assert_eq!(incident["title"], "[CRITICAL] HighErrorRate — checkout");
    assert_eq!(
        serde_json::from_str::<Value>(&incident["payload"]).unwrap(),
        Notification::sample().to_json()
    );
    // Redis holds it compressed (zstd frame), well under the size of the JSON.
    let stored: Vec<u8> = topo
        .redis_conn()
        .await
        .hget(topo.key(&format!("incident:{id}")), "payload")
        .await
        .unwrap();
    assert!(stored.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]), "{stored:?}");
    assert!(
        stored.len() * 2 < incident["payload"].len(),
        "{} bytes stored for {}",
        stored.len(),
        incident["payload"].len()
    );
}

/// `redis.compress_payloads: false` (for an upgrade from a release that cannot read compressed records):
/// the payload is stored as the JSON text received, and everything else works as usual.
#[tokio::test]
async fn with_compression_off_the_payload_is_stored_as_received() {
    let topo = Topology::builder()
        .env("VERSUS__REDIS__COMPRESS_PAYLOADS", "false")
        .start()
        .await;
    let body = freeform("uncompressed");
    let id = id_of(&created(&topo, "", &body).await);
    assert!(
        wait_post(&topo.slack, "uncompressed", Duration::from_secs(5))
            .await
            .is_some(),
        "the alert reached Slack"
    );
    let stored: String = topo
        .redis_conn()
        .await
        .hget(topo.key(&format!("incident:{id}")), "payload")
        .await
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&stored).unwrap(), body);
}

/// Redis memory per open incident: a hash of more than 16 fields doubles its table (about 400 bytes more
/// per incident with the extra field), so a paging, posted incident must stay within 16.
#[tokio::test]
async fn a_posted_incident_that_will_page_keeps_at_most_16_fields() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=60",
            &Notification::sample().to_json(),
        )
        .await,
    );
    let (posted, fields) = topo
        .wait_incident(&id, Duration::from_secs(5), |f| f.contains_key("slack_ts"))
        .await;
    assert!(posted, "never posted: {fields:?}");
    for field in ["due_ms", "plan_arn", "occurrences", "payload"] {
        assert!(fields.contains_key(field), "{field} missing: {fields:?}");
    }
    assert!(
        fields.len() <= 16,
        "{} fields: {:?}",
        fields.len(),
        fields.keys()
    );
}

#[tokio::test]
async fn a_json_array_gives_one_incident_each_with_the_ids_in_the_answer() {
    let topo = Topology::start().await;
    let body = json!([
        freeform("array-a"),
        freeform("array-b"),
        freeform("array-c")
    ]);
    let answer = created(&topo, "", &body).await;
    let ids: Vec<String> = answer
        .as_array()
        .unwrap_or_else(|| panic!("an array answers an array: {answer}"))
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids.len(), 3);
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{ids:?}");
    for (id, marker) in ids.iter().zip(["array-a", "array-b", "array-c"]) {
        let incident = topo.incident(id).await;
        assert!(incident["payload"].contains(marker), "{incident:?}");
        assert!(
            wait_post(
                &topo.slack,
                &format!("svc-{marker}"),
                Duration::from_secs(5)
            )
            .await
            .is_some(),
            "{marker} not posted"
        );
    }
    assert!(topo.slack.wait_for_posts(3, Duration::from_secs(2)).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(topo.slack.posts().len(), 3, "one message per element");
}

#[tokio::test]
async fn created_means_the_incident_and_its_notify_job_are_already_in_redis() {
    // No worker: whatever a 201 promises must be sitting in Redis.
    let topo = Topology::builder().workers(0).start().await;
    let single = created(&topo, "", &freeform("durable-1")).await;
    let array = created(
        &topo,
        "",
        &json!([freeform("durable-2"), freeform("durable-3")]),
    )
    .await;
    let mut ids = vec![id_of(&single)];
    ids.extend(array.as_array().unwrap().iter().map(id_of));

    let mut conn = topo.redis_conn().await;
    for id in &ids {
        let incident = topo.incident(id).await;
        assert_eq!(
            incident.get("id"),
            Some(id),
            "incident hash of {id}: {incident:?}"
        );
        assert_eq!(incident["state"], "pending");
        assert!(incident["payload"].contains("durable-"), "{incident:?}");
        let job = topo.job("notify", id).await;
        assert_eq!(
            job.get("state").map(String::as_str),
            Some("due"),
            "notify job of {id}: {job:?}"
        );
        let due: Option<f64> = conn.zscore(topo.key("queue:notify:due"), id).await.unwrap();
        assert!(due.is_some(), "notify job {id} is not in the due set");
    }
    assert!(topo.slack.calls().is_empty());

    // A worker started now finds them all.
    let worker = topo.spawn_unchecked(versus_tests::Role::Worker, &[]);
    wait_until(
        Duration::from_secs(20),
        "the late worker to start",
        async || worker.log_contents().contains(WORKER_STARTED_LOG),
    )
    .await;
    assert!(
        topo.slack.wait_for_posts(3, Duration::from_secs(5)).await,
        "a late worker posts what was stored: {:?}",
        topo.slack.calls()
    );
}

#[tokio::test]
async fn the_ack_button_shows_only_with_an_ack_url_and_follows_the_default_message_properties() {
    let topo = Topology::builder().oncall_initialized_only().start().await;

    // initialized_only without ?oncall_enable=true: no on-call, no AckURL, no button.
    let plain = created(&topo, "", &freeform("no-button")).await;
    assert!(plain.get("ack_url").is_none(), "{plain}");
    let post = wait_post(&topo.slack, "svc-no-button", Duration::from_secs(5))
        .await
        .unwrap();
    assert!(action_blocks(&post).is_empty(), "{post}");

    let paged = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=60",
        &freeform("with-button"),
    )
    .await;
    let ack_url = paged["ack_url"].as_str().expect("an ack_url").to_string();
    assert!(
        ack_url.starts_with(&format!("{}/api/incidents/ack/", topo.api_url(0))),
        "{ack_url}"
    );
    let post = wait_post(&topo.slack, "svc-with-button", Duration::from_secs(5))
        .await
        .unwrap();
    let actions = action_blocks(&post);
    assert_eq!(actions.len(), 1, "{post}");
    let button = &actions[0]["elements"][0];
    assert_eq!(button["type"], "button");
    assert_eq!(button["text"]["text"], "Acknowledge Incident");
    assert_eq!(button["style"], "primary");
    assert_eq!(button["url"], ack_url.as_str());
}

#[tokio::test]
async fn configured_message_properties_change_the_button_or_remove_it() {
    let topo = Topology::builder()
        .oncall_enabled()
        .env(
            "VERSUS__ALERT__SLACK__MESSAGE_PROPERTIES__BUTTON_TEXT",
            "I am on it",
        )
        .env(
            "VERSUS__ALERT__SLACK__MESSAGE_PROPERTIES__BUTTON_STYLE",
            "danger",
        )
        .start()
        .await;
    let answer = created(&topo, "oncall_wait_minutes=60", &freeform("styled")).await;
    let post = wait_post(&topo.slack, "svc-styled", Duration::from_secs(5))
        .await
        .unwrap();
    let actions = action_blocks(&post);
    assert_eq!(actions.len(), 1, "{post}");
    let button = &actions[0]["elements"][0];
    assert_eq!(button["text"]["text"], "I am on it");
    assert_eq!(button["style"], "danger");
    assert_eq!(button["url"], answer["ack_url"]);
    drop(topo);

    let topo = Topology::builder()
        .oncall_enabled()
        .env(
            "VERSUS__ALERT__SLACK__MESSAGE_PROPERTIES__DISABLE_BUTTON",
            "true",
        )
        .start()
        .await;
    let answer = created(&topo, "oncall_wait_minutes=60", &freeform("disabled")).await;
    assert!(
        answer["ack_url"].is_string(),
        "on-call still applies: {answer}"
    );
    let post = wait_post(&topo.slack, "svc-disabled", Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        action_blocks(&post).is_empty(),
        "disable_button: true: {post}"
    );
}

#[tokio::test]
async fn a_very_long_message_is_cut_to_slacks_limits_and_still_accepted() {
    let topo = Topology::start().await;
    // ~400 KB of log lines with multi-byte characters, far past 50 sections of 3000 characters.
    let line = "🔥 ERROR checkout: payment provider timed out — retrying ünïcødé ".repeat(4);
    let logs: String = (0..1500).map(|i| format!("{i:05} {line}\n")).collect();
    let body = json!({"Logs": logs, "ServiceName": "svc-long", "Severity": "critical"});
    created(&topo, "", &body).await;
    let post = wait_post(&topo.slack, "svc-long", Duration::from_secs(10))
        .await
        .expect("the long alert was accepted by Slack");
    assert!(
        topo.slack.rejected().is_empty(),
        "{:?}",
        topo.slack.rejected()
    );
    let blocks = post["blocks"].as_array().unwrap();
    assert!(
        blocks.len() <= SLACK_MAX_BLOCKS,
        "{} blocks, Slack allows {SLACK_MAX_BLOCKS}",
        blocks.len()
    );
    let mut shown = String::new();
    for block in blocks.iter().filter(|b| b["type"] == "section") {
        let text = block["text"]["text"].as_str().unwrap();
        let units = text.encode_utf16().count();
        assert!(
            units <= SLACK_SECTION_MAX,
            "a section of {units} UTF-16 units"
        );
        shown.push_str(text);
    }
    assert!(
        shown.contains("00000 🔥 ERROR checkout"),
        "the start is kept"
    );
    assert!(shown.contains("truncated"), "the cut is marked");
    let text = post["text"].as_str().unwrap();
    assert!(text.encode_utf16().count() <= SLACK_TEXT_MAX);
}
