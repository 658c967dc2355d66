//! `?slack_channel_id=` posts an incident to another channel, and every later message of it (the update, the
//! page-failed notice, thread replies) goes there too; `alert.slack.allowed_channel_ids` limits which channels
//! a request may name.

use std::time::Duration;

use serde_json::Value;
use versus_tests::alertmanager_webhook::checkout_group;
use versus_tests::alerts::created;
use versus_tests::slack_messages::wait_post;
use versus_tests::topology::CONFIG_PATH;
use versus_tests::{wait_until, SsmFailure, Topology};

const ALLOWED: &str = "C0ONCALL, C0DBTEAM";

/// The shipped configuration with an allow-list of channels and an absolute template path.
fn config_with_allowed_channels(dir: &std::path::Path) -> std::path::PathBuf {
    let shipped = std::fs::read_to_string(CONFIG_PATH).unwrap();
    let template = std::path::Path::new(CONFIG_PATH).with_file_name("slack_message.tmpl");
    let line = "    template_path: config/slack_message.tmpl\n";
    assert!(shipped.contains(line));
    let config = shipped.replace(
        line,
        &format!(
            "    template_path: {}\n    allowed_channel_ids: [{ALLOWED}]\n",
            template.display()
        ),
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, config).unwrap();
    path
}

fn channels_of(calls: &[versus_tests::SlackCall]) -> Vec<(String, String)> {
    calls
        .iter()
        .filter_map(|c| {
            Some((
                c.method.clone(),
                c.body.as_ref()?["channel"].as_str()?.to_string(),
            ))
        })
        .collect()
}

#[tokio::test]
async fn a_requested_channel_gets_every_message_of_the_incident_and_must_be_allowed() {
    let dir = std::env::temp_dir().join(format!("versus-channel-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let topo = Topology::builder()
        .oncall_enabled()
        .config(config_with_allowed_channels(&dir))
        .start()
        .await;
    topo.ssm.set_mode(SsmFailure::AccessDenied);

    let group = checkout_group("ChannelPick", &["db-1"]).to_json();
    created(
        &topo,
        "slack_channel_id=C0DBTEAM&oncall_wait_minutes=0",
        &group,
    )
    .await;
    let post = wait_post(&topo.slack, "ChannelPick", Duration::from_secs(10))
        .await
        .expect("the alert reached Slack");
    assert_eq!(post["channel"], "C0DBTEAM", "{post}");
    wait_post(
        &topo.slack,
        "Paging on-call FAILED",
        Duration::from_secs(15),
    )
    .await
    .unwrap_or_else(|| panic!("no page-failed notice: {:?}", topo.slack.calls()));

    // A re-send with another set of alerts names no channel: the incident keeps its own for the thread reply.
    let changed = checkout_group("ChannelPick", &["db-1", "db-2"]).to_json();
    created(&topo, "", &changed).await;
    wait_until(
        Duration::from_secs(10),
        || {
            format!(
                "a thread reply about the change; calls: {:?}",
                topo.slack.calls()
            )
        },
        async || {
            topo.slack
                .posts()
                .iter()
                .any(|p: &Value| p["thread_ts"].is_string() && p.to_string().contains("db-2"))
        },
    )
    .await;
    let channels = channels_of(&topo.slack.calls());
    assert!(
        channels.len() >= 4,
        "post, update, notice and reply expected: {channels:?}"
    );
    assert!(
        channels.iter().all(|(_, channel)| channel == "C0DBTEAM"),
        "every message of the incident goes to the requested channel: {channels:?}"
    );

    for (id, why) in [
        ("C0ELSEWHERE", "not in alert.slack.allowed_channel_ids"),
        ("c0dbteam", "Slack channel id"),
    ] {
        let (status, answer) = topo
            .post_alert(&format!("slack_channel_id={id}"), &group)
            .await;
        assert_eq!(status, 400, "{id}: {answer}");
        let text = answer.to_string();
        assert!(text.contains(why) && text.contains(ALLOWED), "{id}: {text}");
    }
    std::fs::remove_dir_all(dir).ok();
}
