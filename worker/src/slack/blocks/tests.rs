use super::text_fit::units;
use super::*;
use serde_json::json;

/// The message of an incident nobody marked as noise.
pub(super) fn unmarked(
    rendered: &str,
    ack: &AckControl,
    button: &ButtonProps,
    banner: &StatusBanner,
) -> SlackMessage {
    build_message(rendered, ack, button, banner, &NoiseMark::Unmarked)
}

pub(super) fn props() -> ButtonProps {
    ButtonProps {
        text: "Acknowledge Incident".into(),
        style: Some("primary".into()),
        disabled: false,
    }
}

pub(super) fn link() -> AckControl {
    AckControl::Link {
        url: "https://versus.example.com/api/incidents/ack/tok123".into(),
    }
}

fn section_texts(msg: &SlackMessage) -> Vec<String> {
    msg.blocks
        .iter()
        .filter_map(|b| match b {
            SlackBlock::Section(SlackSectionBlock {
                text: Some(SlackBlockText::MarkDown(t)),
                ..
            }) => Some(t.text.clone()),
            _ => None,
        })
        .collect()
}

fn buttons(msg: &SlackMessage) -> Vec<Value> {
    let json = to_json_blocks(msg);
    json.as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .collect()
}

pub(super) fn assert_within_limits(msg: &SlackMessage) {
    assert!(
        msg.blocks.len() <= MAX_BLOCKS,
        "{} blocks",
        msg.blocks.len()
    );
    for text in section_texts(msg) {
        assert!(
            units(&text) <= SECTION_TEXT_MAX,
            "section of {} units",
            units(&text)
        );
        assert!(!text.trim().is_empty(), "empty section");
    }
    assert!(units(&msg.text) <= FALLBACK_TEXT_MAX);
}

#[test]
fn short_message_is_one_section_plus_button() {
    let msg = unmarked(
        "🔥 *CRITICAL*\nline two",
        &link(),
        &props(),
        &StatusBanner::Firing,
    );
    assert_eq!(
        section_texts(&msg),
        vec!["🔥 *CRITICAL*\nline two".to_string()]
    );
    assert_eq!(msg.blocks.len(), 2);
    assert_eq!(msg.text, "🔥 *CRITICAL*\nline two");
    assert_eq!(msg.color, None);
}

#[test]
fn json_shape_is_what_slack_expects() {
    let msg = unmarked("hello *world*", &link(), &props(), &StatusBanner::Firing);
    let json = to_json_blocks(&msg);
    assert_eq!(
        json,
        json!([
            { "type": "section", "text": { "type": "mrkdwn", "text": "hello *world*" } },
            {
                "type": "actions",
                "block_id": "versus_ack",
                "elements": [{
                    "type": "button",
                    "action_id": "versus_ack_link",
                    "text": { "type": "plain_text", "text": "Acknowledge Incident" },
                    "url": "https://versus.example.com/api/incidents/ack/tok123",
                    "style": "primary"
                }, {
                    "type": "button",
                    "action_id": "versus_noise_link",
                    "text": { "type": "plain_text", "text": "Noise" },
                    "url": "https://versus.example.com/api/incidents/ack/tok123"
                }]
            }
        ])
    );
    let interactive = AckControl::Interactive {
        action_value: "incident-42".into(),
    };
    let msg = unmarked("x", &interactive, &props(), &StatusBanner::Firing);
    assert_eq!(
        buttons(&msg),
        vec![
            json!({
                "type": "button",
                "action_id": "versus_ack",
                "text": { "type": "plain_text", "text": "Acknowledge Incident" },
                "value": "incident-42",
                "style": "primary"
            }),
            json!({
                "type": "button",
                "action_id": "versus_noise",
                "text": { "type": "plain_text", "text": "Noise" },
                "value": "incident-42"
            })
        ]
    );
}

#[test]
fn message_content_carries_text_blocks_and_colour() {
    let msg = unmarked("x", &link(), &props(), &StatusBanner::Firing);
    let content = serde_json::to_value(to_message_content(&msg)).unwrap();
    assert_eq!(content["text"], "x");
    assert_eq!(content["blocks"], to_json_blocks(&msg));
    let resolved = StatusBanner::Resolved {
        at: "10:00".into(),
        was_escalated: false,
    };
    let msg = unmarked("x", &link(), &props(), &resolved);
    let content = serde_json::to_value(to_message_content(&msg)).unwrap();
    assert_eq!(content["attachments"][0]["color"], colors::RESOLVED);
    assert_eq!(content["attachments"][0]["blocks"], to_json_blocks(&msg));
    assert!(content.get("blocks").is_none());
}

#[test]
fn button_presence_rules() {
    let firing = StatusBanner::Firing;
    assert_eq!(
        buttons(&unmarked("x", &AckControl::None, &props(), &firing)).len(),
        0
    );
    assert_eq!(
        buttons(&unmarked("x", &link(), &props(), &firing)).len(),
        2,
        "Acknowledge and Noise"
    );
    let disabled = ButtonProps {
        disabled: true,
        ..props()
    };
    assert_eq!(
        buttons(&unmarked("x", &link(), &disabled, &firing)).len(),
        0
    );
    let msg = unmarked("x", &link(), &disabled, &firing);
    assert_eq!(msg.blocks.len(), 1);
    // Any status but firing replaces the acknowledge button with a status line; the noise button stays.
    let acked = StatusBanner::Acknowledged {
        by: "<@U012ABC>".into(),
        at: "Jan 02, 2024 15:10:00 UTC".into(),
        by_link: false,
    };
    let msg = unmarked("x", &link(), &props(), &acked);
    let left: Vec<Value> = buttons(&msg)
        .iter()
        .map(|b| b["action_id"].clone())
        .collect();
    assert_eq!(left, vec![json!("versus_noise_link")]);
    let json = to_json_blocks(&msg);
    let status = &json.as_array().unwrap()[1];
    assert_eq!(
        status,
        &json!({
            "type": "context",
            "block_id": "versus_status",
            "elements": [{ "type": "mrkdwn", "text": "✅ Acknowledged by <@U012ABC> at Jan 02, 2024 15:10:00 UTC" }]
        })
    );
}

#[test]
fn button_styles_and_text() {
    let style_of = |style: Option<&str>| {
        let p = ButtonProps {
            style: style.map(str::to_string),
            ..props()
        };
        buttons(&unmarked("x", &link(), &p, &StatusBanner::Firing))[0]
            .get("style")
            .cloned()
    };
    assert_eq!(style_of(Some("primary")), Some(json!("primary")));
    assert_eq!(style_of(Some("Danger")), Some(json!("danger")));
    assert_eq!(style_of(Some("default")), None);
    assert_eq!(style_of(Some("")), None);
    assert_eq!(style_of(None), None);

    let long = ButtonProps {
        text: "A".repeat(200),
        ..props()
    };
    let b = &buttons(&unmarked("x", &link(), &long, &StatusBanner::Firing))[0];
    assert_eq!(
        b["text"]["text"].as_str().unwrap().chars().count(),
        BUTTON_TEXT_MAX
    );
    let empty = ButtonProps {
        text: "  ".into(),
        ..props()
    };
    let b = &buttons(&unmarked("x", &link(), &empty, &StatusBanner::Firing))[0];
    assert_eq!(b["text"]["text"], "Acknowledge");
}

#[test]
fn invalid_or_overlong_ack_links_are_written_out_instead() {
    let bad = AckControl::Link {
        url: "versus.local/ack/1".into(),
    };
    let msg = unmarked("x", &bad, &props(), &StatusBanner::Firing);
    assert!(buttons(&msg).is_empty());
    assert_eq!(
        section_texts(&msg)[1],
        "*Acknowledge Incident*: versus.local/ack/1"
    );
    let long = AckControl::Interactive {
        action_value: "v".repeat(BUTTON_VALUE_MAX + 1),
    };
    let msg = unmarked("x", &long, &props(), &StatusBanner::Firing);
    assert!(buttons(&msg).is_empty());
    assert_eq!(msg.blocks.len(), 2);
}

#[test]
fn banners_and_colours() {
    let cases = [
        (
            StatusBanner::Escalated {
                incident_arn: "arn:aws:ssm-incidents::123456789012:incident-record/Plan/abc".into(),
                at: "15:07".into(),
            },
            "🚨 Escalated to on-call at 15:07: `arn:aws:ssm-incidents::123456789012:incident-record/Plan/abc`",
            colors::ESCALATED,
        ),
        (
            StatusBanner::PagingFailed {
                reason: "AccessDenied <no perms> & more".into(),
            },
            "⚠️ Paging FAILED: AccessDenied &lt;no perms&gt; &amp; more — nobody has been paged; page the on-call engineer by hand",
            colors::PAGING_FAILED,
        ),
        (
            StatusBanner::Resolved {
                at: "15:30".into(),
                was_escalated: true,
            },
            "🟢 Resolved at 15:30 (was escalated)",
            colors::RESOLVED,
        ),
        (
            StatusBanner::Resolved {
                at: "15:30".into(),
                was_escalated: false,
            },
            "🟢 Resolved at 15:30",
            colors::RESOLVED,
        ),
    ];
    for (banner, line, color) in cases {
        let msg = unmarked("body", &link(), &props(), &banner);
        let json = to_json_blocks(&msg);
        assert_eq!(json[1]["type"], "context");
        assert_eq!(json[1]["elements"][0]["text"], line);
        assert_eq!(msg.color.as_deref(), Some(color));
        let left: Vec<Value> = buttons(&msg)
            .iter()
            .map(|b| b["action_id"].clone())
            .collect();
        assert_eq!(left, vec![json!("versus_noise_link")], "only Noise stays");
        assert!(msg.text.ends_with(" — body"), "{}", msg.text);
    }
}

#[test]
fn a_100_kb_message_is_cut_to_slack_limits() {
    let line = "📝 *Description*: checkout has an error rate above 0.5 for 5 minutes — ünïcödé 日本語 text\n";
    let rendered = line.repeat(100_000 / line.len() + 1);
    assert!(rendered.len() > 100_000);
    let msg = unmarked(&rendered, &link(), &props(), &StatusBanner::Firing);
    assert_within_limits(&msg);
    let texts = section_texts(&msg);
    // Cut at line boundaries, and nothing lost: the sections are the lines again.
    assert_eq!(texts.join("\n"), rendered.trim_end());
    assert_eq!(buttons(&msg).len(), 2, "the buttons survive the split");
}

#[test]
fn text_over_the_block_budget_ends_with_a_truncation_note() {
    let line = "📝 *Description*: checkout has an error rate above 0.5 for 5 minutes — ünïcödé 日本語 text\n";
    let rendered = line.repeat(400_000 / line.len());
    for (banner, tail) in [
        (StatusBanner::Firing, 1),
        (
            StatusBanner::PagingFailed {
                reason: "x".repeat(5000),
            },
            2,
        ),
    ] {
        let msg = unmarked(&rendered, &link(), &props(), &banner);
        assert_within_limits(&msg);
        assert_eq!(msg.blocks.len(), MAX_BLOCKS);
        let texts = section_texts(&msg);
        assert_eq!(
            texts.len(),
            MAX_BLOCKS - tail,
            "the buttons, or the status line and the noise button, keep their blocks"
        );
        assert!(texts
            .last()
            .unwrap()
            .ends_with(&format!("text\n{TRUNCATION_NOTE}")));
        for t in &texts[..texts.len() - 1] {
            assert!(t.starts_with("📝") && t.ends_with("text"), "{t:?}");
        }
    }
}

#[test]
fn text_that_fits_in_the_block_budget_is_not_truncated() {
    let rendered = "y".repeat(SECTION_TEXT_MAX * 3);
    let msg = unmarked(
        &rendered,
        &AckControl::None,
        &props(),
        &StatusBanner::Firing,
    );
    assert_within_limits(&msg);
    let texts = section_texts(&msg);
    assert_eq!(texts.len(), 3);
    assert_eq!(texts.concat(), rendered);
}

#[test]
fn multibyte_text_is_cut_on_char_boundaries() {
    // No line breaks or spaces: the cut has to fall between characters. 🔥 is 2 UTF-16 units, 4 bytes.
    let rendered = "日🔥é".repeat(5000);
    let msg = unmarked(
        &rendered,
        &AckControl::None,
        &props(),
        &StatusBanner::Firing,
    );
    assert_within_limits(&msg);
    let texts = section_texts(&msg);
    assert!(texts.len() > 1);
    assert_eq!(texts.concat(), rendered, "nothing lost or mangled");
    assert!(msg.text.ends_with('…'));
    assert!(rendered.starts_with(msg.text.trim_end_matches('…')));
}

#[test]
fn long_lines_split_at_spaces() {
    let rendered = "word ".repeat(2000);
    let msg = unmarked(
        &rendered,
        &AckControl::None,
        &props(),
        &StatusBanner::Firing,
    );
    assert_within_limits(&msg);
    for t in section_texts(&msg) {
        assert!(t.starts_with("word") && t.ends_with("word"), "{t:?}");
    }
}

#[test]
fn split_code_blocks_are_closed_and_reopened() {
    let log: String = (0..400)
        .map(|i| format!("log line {i:04} something happened\n"))
        .collect();
    let rendered = format!("*Logs*:\n```\n{log}```\nafter");
    let msg = unmarked(
        &rendered,
        &AckControl::None,
        &props(),
        &StatusBanner::Firing,
    );
    assert_within_limits(&msg);
    let texts = section_texts(&msg);
    assert!(texts.len() >= 2);
    for t in &texts {
        assert_eq!(t.matches("```").count() % 2, 0, "unbalanced fence in {t:?}");
    }
    assert!(texts[1].starts_with("```\n"));
}

#[test]
fn blank_lines_are_collapsed_and_empty_text_still_sends() {
    let msg = unmarked(
        "\n\n a  \r\n\r\n\r\n\nb \n\n\n",
        &AckControl::None,
        &props(),
        &StatusBanner::Firing,
    );
    assert_eq!(section_texts(&msg), vec![" a\n\nb".to_string()]);
    let msg = unmarked(" \n\n ", &AckControl::None, &props(), &StatusBanner::Firing);
    assert_eq!(section_texts(&msg), vec![EMPTY_MESSAGE.to_string()]);
}
