//! Where the noise mark and button sit in a whole message, in each state.

use super::tests::{link, props};
use super::*;
use serde_json::json;

fn block_ids(msg: &SlackMessage) -> Vec<String> {
    to_json_blocks(msg)
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["block_id"].as_str().unwrap_or("-").to_string())
        .collect()
}

fn marked(by: &str) -> NoiseMark {
    NoiseMark::Marked { by: by.into() }
}

#[test]
fn a_marked_firing_incident_says_who_marked_it_above_both_buttons() {
    let interactive = AckControl::Interactive {
        action_value: "tok".into(),
    };
    let msg = build_message(
        "x",
        &interactive,
        &props(),
        &StatusBanner::Firing,
        &marked("slack:U0ONCALL"),
    );
    assert_eq!(block_ids(&msg), ["-", NOISE_STATUS_BLOCK_ID, ACK_BLOCK_ID]);
    let json = to_json_blocks(&msg);
    assert_eq!(
        json[1]["elements"][0]["text"],
        "🔇 Marked as noise by <@U0ONCALL>"
    );
    assert_eq!(json[2]["elements"][1]["action_id"], UNMARK_NOISE_ACTION_ID);
    assert_eq!(msg.color, None, "a mark alone does not colour the message");
}

#[test]
fn after_a_resolve_the_noise_button_stays_below_the_status_and_the_mark() {
    let resolved = StatusBanner::Resolved {
        at: "10:00".into(),
        was_escalated: false,
    };
    let msg = build_message(
        "x",
        &link(),
        &props(),
        &resolved,
        &marked("<b>& <!channel>"),
    );
    assert_eq!(
        block_ids(&msg),
        ["-", STATUS_BLOCK_ID, NOISE_STATUS_BLOCK_ID, NOISE_BLOCK_ID]
    );
    let json = to_json_blocks(&msg);
    assert_eq!(
        json[2]["elements"][0]["text"],
        "🔇 Marked as noise by &lt;b&gt;&amp; &lt;!channel&gt;"
    );
    assert_eq!(
        json[3]["elements"],
        json!([{
            "type": "button",
            "action_id": NOISE_LINK_ACTION_ID,
            "text": { "type": "plain_text", "text": "Noise ✓" },
            "url": "https://versus.example.com/api/incidents/ack/tok123"
        }])
    );
}

#[test]
fn disabled_buttons_hide_the_noise_button_but_not_the_mark() {
    let disabled = ButtonProps {
        disabled: true,
        ..props()
    };
    let msg = build_message(
        "x",
        &link(),
        &disabled,
        &StatusBanner::Firing,
        &marked("Alice"),
    );
    assert_eq!(block_ids(&msg), ["-", NOISE_STATUS_BLOCK_ID]);
}

#[test]
fn without_an_ack_token_there_is_no_noise_button() {
    let resolved = StatusBanner::Resolved {
        at: "10:00".into(),
        was_escalated: false,
    };
    let msg = build_message(
        "x",
        &AckControl::None,
        &props(),
        &resolved,
        &NoiseMark::Unmarked,
    );
    assert_eq!(block_ids(&msg), ["-", STATUS_BLOCK_ID]);
}

#[test]
fn the_blocks_a_long_text_may_use_leave_room_for_the_noise_blocks() {
    let resolved = StatusBanner::Resolved {
        at: "10:00".into(),
        was_escalated: false,
    };
    let text = "line\n".repeat(100_000);
    let msg = build_message(&text, &link(), &props(), &resolved, &marked("Alice"));
    assert_eq!(msg.blocks.len(), MAX_BLOCKS);
    assert_eq!(
        block_ids(&msg)[MAX_BLOCKS - 3..],
        [STATUS_BLOCK_ID, NOISE_STATUS_BLOCK_ID, NOISE_BLOCK_ID]
    );
}
