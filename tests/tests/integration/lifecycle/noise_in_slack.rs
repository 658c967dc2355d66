//! Names and noise marks reach the incident's Slack message: a name typed on the ack page shows escaped in
//! the "Acknowledged by" and "Marked as noise by" lines; a Slack user's mark shows as a mention; the noise
//! button stays once the acknowledge button is gone, and turns into "Unmark noise" when interactive.

use serde_json::{json, Value};
use versus_tests::alertmanager_webhook::checkout_group;
use versus_tests::alerts::{created, id_of, post_link_json};
use versus_tests::slack_click::SignedClick;
use versus_tests::slack_messages::{
    button_ids, buttons, noise_line, shown_time, status_line, updates_of, wait_top_level,
    wait_update,
};
use versus_tests::topology::SETTLE;
use versus_tests::{wait_until, Topology};

const HOSTILE: &str = "<b>& <!channel>";
const HOSTILE_SHOWN: &str = "&lt;b&gt;&amp; &lt;!channel&gt;";

/// Waits for an update of `ts` whose noise line contains `needle`; returns it.
async fn wait_noise_update(topo: &Topology, ts: &str, needle: &str) -> Value {
    let awaited = || format!("an update of {ts} with a noise line containing {needle:?}");
    wait_until(SETTLE, awaited, async || {
        updates_of(&topo.slack, ts)
            .into_iter()
            .rev()
            .find(|u| noise_line(u).is_some_and(|line| line.contains(needle)))
    })
    .await
}

#[tokio::test]
async fn a_typed_name_shows_escaped_in_the_ack_and_noise_lines() {
    let topo = Topology::builder().oncall_enabled().start().await;
    let answer = created(
        &topo,
        "oncall_wait_minutes=60",
        &checkout_group("NamedAck", &["pod-a"]).to_json(),
    )
    .await;
    let id = id_of(&answer);
    let ack_url = answer["ack_url"].as_str().expect("an ack link").to_string();
    let message = wait_top_level(&topo.slack, "NamedAck").await;
    assert_eq!(
        button_ids(&message.body),
        ["versus_ack_link", "versus_noise_link"]
    );
    assert_eq!(buttons(&message.body)[1]["url"], ack_url.as_str());

    let acked = post_link_json(&topo, &ack_url, &json!({"name": HOSTILE})).await;
    assert_eq!(acked["result"], "acked", "{acked}");
    let incident = topo.incident(&id).await;
    let update = wait_update(&topo.slack, &message.ts, "Acknowledged").await;
    assert_eq!(
        status_line(&update).unwrap(),
        format!(
            "✅ Acknowledged by {HOSTILE_SHOWN} at {}",
            shown_time(&incident, "acked_ms")
        )
    );

    let noise_url = ack_url.replace("/ack/", "/noise/");
    let marked = post_link_json(&topo, &noise_url, &json!({"name": HOSTILE})).await;
    assert_eq!(marked["result"], "marked", "{marked}");
    let update = wait_noise_update(&topo, &message.ts, "Marked as noise").await;
    assert_eq!(
        noise_line(&update).unwrap(),
        format!("🔇 Marked as noise by {HOSTILE_SHOWN}")
    );
    assert_eq!(button_ids(&update), ["versus_noise_link"]);
    assert!(
        !update.to_string().contains("<!channel>"),
        "nothing typed reaches Slack as mrkdwn: {update}"
    );
}

const SECRET: &str = "noise-signing-secret-0123456789";

/// A correctly signed click of `action_id` with `token`, by Slack user `user`.
async fn click(topo: &Topology, action_id: &str, token: &str, user: &str) {
    let status = topo
        .click(SignedClick::new(SECRET, action_id, token, user))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_interactive_noise_button_marks_as_the_slack_user_and_then_unmarks() {
    let topo = Topology::builder()
        .oncall_enabled()
        .env("SLACK_SIGNING_SECRET", SECRET)
        .start()
        .await;
    let id = id_of(
        &created(
            &topo,
            "oncall_wait_minutes=60",
            &checkout_group("NoiseInSlack", &["pod-a"]).to_json(),
        )
        .await,
    );
    let message = wait_top_level(&topo.slack, "NoiseInSlack").await;
    assert_eq!(button_ids(&message.body), ["versus_ack", "versus_noise"]);
    let token = buttons(&message.body)[1]["value"]
        .as_str()
        .expect("the ack token")
        .to_string();

    click(&topo, "versus_noise", &token, "U0NOISE").await;
    let update = wait_noise_update(&topo, &message.ts, "<@U0NOISE>").await;
    assert_eq!(
        noise_line(&update).unwrap(),
        "🔇 Marked as noise by <@U0NOISE>"
    );
    assert_eq!(
        button_ids(&update),
        ["versus_ack", "versus_noise_unmark"],
        "still pending, and the mark can be taken off: {update}"
    );
    assert_eq!(topo.incident(&id).await["noise_by"], "slack:U0NOISE");

    click(&topo, "versus_noise_unmark", &token, "U0NOISE").await;
    let unmarked = wait_until(
        SETTLE,
        || "an update without the noise line".to_string(),
        async || {
            updates_of(&topo.slack, &message.ts)
                .into_iter()
                .last()
                .filter(|u| noise_line(u).is_none())
        },
    )
    .await;
    assert_eq!(button_ids(&unmarked), ["versus_ack", "versus_noise"]);
}
