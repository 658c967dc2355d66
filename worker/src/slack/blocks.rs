//! The Slack message for an alert, as Block Kit blocks built with slack-morphism's models.
//!
//! [`build_message`] turns a rendered template into `mrkdwn` section blocks, adds the acknowledge button or a status
//! line, and keeps within Slack's limits so that a long alert is cut cleanly instead of being rejected by
//! `chat.postMessage`:
//!
//! * a section's text is at most [`SECTION_TEXT_MAX`] characters: longer text is split over several sections,
//!   at a line break where there is one (else at a space, else anywhere), never inside a UTF-8 character; a
//!   ```` ``` ```` code block that is split is closed and reopened so that both halves still render as code;
//! * a message has at most [`MAX_BLOCKS`] blocks: past that the text ends with [`TRUNCATION_NOTE`];
//! * the top-level `text` (notifications, screen readers, clients without blocks) is at most
//!   [`FALLBACK_TEXT_MAX`] characters, well under Slack's 40,000.
//!
//! Lengths are counted in UTF-16 code units, which is never less than the number of characters, so whichever way
//! Slack counts, the limits hold.
//!
//! [`plain_fallback`] writes the essentials of an alert for the case where the template fails, so that an alert is
//! never dropped for a template bug.

use serde_json::Value;
use slack_morphism::blocks::{
    SlackActionsBlock, SlackBlock, SlackBlockButtonElement, SlackBlockButtonStyle, SlackBlockId,
    SlackBlockMarkDownText, SlackBlockPlainText, SlackBlockText, SlackContextBlock,
    SlackContextBlockElement, SlackSectionBlock,
};
use slack_morphism::{SlackActionId, SlackMessageAttachment, SlackMessageContent};

/// Slack's limit on a section block's text.
pub const SECTION_TEXT_MAX: usize = 3000;
/// Slack's limit on blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Our limit on the top-level `text` fallback (Slack truncates at 40,000 and advises staying under 4,000).
pub const FALLBACK_TEXT_MAX: usize = 3000;
/// Slack's limit on a button's text.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Slack's limit on a button's `url`.
pub const BUTTON_URL_MAX: usize = 3000;
/// Slack's limit on a button's `value`.
pub const BUTTON_VALUE_MAX: usize = 2000;
/// Bound on [`plain_fallback`]'s output.
pub const PLAIN_FALLBACK_MAX: usize = 3000;

/// `action_id` of the interactive acknowledge button; the interactions endpoint acts on it.
pub const ACK_ACTION_ID: &str = versus_shared::domain::ack_token::SLACK_ACK_ACTION_ID;
/// `action_id` of the link acknowledge button. Slack also sends a callback for link buttons when interactivity
/// is on; the acknowledgement itself happens on the ack page, so the interactions endpoint can ignore this one.
pub const ACK_LINK_ACTION_ID: &str = "versus_ack_link";
/// `block_id` of the block holding the acknowledge button.
pub const ACK_BLOCK_ID: &str = "versus_ack";
/// `block_id` of the status line that replaces the button once the alert is acknowledged, escalated or resolved.
pub const STATUS_BLOCK_ID: &str = "versus_status";
/// Ends the text of a message that had to be cut to fit in [`MAX_BLOCKS`].
pub const TRUNCATION_NOTE: &str = "_… (message truncated)_";

/// Colours for [`SlackMessage::color`] (a Slack attachment's side bar).
pub mod colors {
    pub const ACKNOWLEDGED: &str = "#439fe0";
    pub const ESCALATED: &str = "#e01e5a";
    pub const PAGING_FAILED: &str = "#a30200";
    pub const RESOLVED: &str = "#2eb886";
}

const DEFAULT_BUTTON_TEXT: &str = "Acknowledge";
const FENCE: &str = "```";
const FENCE_OPEN: &str = "```\n";
const FENCE_CLOSE: &str = "\n```";
const EMPTY_MESSAGE: &str = "_(the message template rendered no text)_";

/// How the acknowledge button looks (`alert.slack.message_properties`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonProps {
    pub text: String,
    /// `"primary"` or `"danger"`; anything else gives Slack's default style.
    pub style: Option<String>,
    pub disabled: bool,
}

/// What acknowledging the alert takes, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckControl {
    /// On-call does not apply: no button.
    None,
    /// A button that opens the ack page.
    Link { url: String },
    /// A button handled by Slack's interactivity callback; Slack sends `action_value` back with action_id
    /// [`ACK_ACTION_ID`].
    Interactive { action_value: String },
}

/// Where the alert stands. Anything but `Firing` replaces the button with a status line and colours the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusBanner {
    Firing,
    /// `by` is written as mrkdwn as it is, so `<@U012ABC>` mentions the user; `at` is a display time.
    Acknowledged {
        by: String,
        at: String,
    },
    Escalated {
        incident_arn: String,
        at: String,
    },
    PagingFailed {
        reason: String,
    },
    Resolved {
        at: String,
        was_escalated: bool,
    },
}

/// A message ready for `chat.postMessage` / `chat.update`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackMessage {
    /// Fallback text, at most [`FALLBACK_TEXT_MAX`] characters.
    pub text: String,
    /// At most [`MAX_BLOCKS`] blocks.
    pub blocks: Vec<SlackBlock>,
    /// Side-bar colour (`#rrggbb`) for the status, `None` while firing.
    pub color: Option<String>,
}

/// Builds the message for a rendered template.
pub fn build_message(
    rendered: &str,
    ack: &AckControl,
    button: &ButtonProps,
    banner: &StatusBanner,
) -> SlackMessage {
    let body = normalize(rendered);
    let body = if body.is_empty() {
        EMPTY_MESSAGE.to_string()
    } else {
        body
    };

    // Decide on the trailing blocks first, so the text knows how many blocks it may use.
    let mut tail: Vec<SlackBlock> = Vec::new();
    if let Some(line) = banner_line(banner) {
        tail.push(context_block(STATUS_BLOCK_ID, &line));
    } else if !button.disabled {
        tail.extend(ack_blocks(ack, button));
    }

    let max_sections = MAX_BLOCKS - tail.len();
    let mut blocks: Vec<SlackBlock> = split_sections(&body, SECTION_TEXT_MAX, max_sections)
        .into_iter()
        .map(section_block)
        .collect();
    blocks.extend(tail);

    let text = match banner_prefix(banner) {
        Some(prefix) => ellipsize(&format!("{prefix} — {body}"), FALLBACK_TEXT_MAX),
        None => ellipsize(&body, FALLBACK_TEXT_MAX),
    };
    SlackMessage {
        text,
        blocks,
        color: banner_color(banner).map(str::to_string),
    }
}

/// The blocks as the JSON array `chat.postMessage` takes in `blocks`.
pub fn to_json_blocks(message: &SlackMessage) -> Value {
    serde_json::to_value(&message.blocks).unwrap_or_else(|_| Value::Array(Vec::new()))
}

/// The message as slack-morphism's message content, for `chat.postMessage` / `chat.update` requests: `text` and
/// `blocks`, or, when the message has a colour, `text` and one attachment with the colour and the blocks (Slack
/// shows colours only on attachments).
pub fn to_message_content(message: &SlackMessage) -> SlackMessageContent {
    let content = SlackMessageContent::new().with_text(message.text.clone());
    match &message.color {
        None => content.with_blocks(message.blocks.clone()),
        Some(color) => content.with_attachments(vec![SlackMessageAttachment::new()
            .with_color(color.clone())
            .with_blocks(message.blocks.clone())]),
    }
}

fn section_block(text: String) -> SlackBlock {
    SlackSectionBlock::new()
        .with_text(SlackBlockText::MarkDown(SlackBlockMarkDownText::new(text)))
        .into()
}

fn context_block(block_id: &str, mrkdwn: &str) -> SlackBlock {
    let text = ellipsize(mrkdwn, SECTION_TEXT_MAX);
    SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
        SlackBlockMarkDownText::new(text),
    )])
    .with_block_id(SlackBlockId(block_id.to_string()))
    .into()
}

/// The acknowledge button in an actions block, or, when the link cannot be a button (not a valid URL, or too
/// long for one), a section with the link written out so that a person can still acknowledge.
fn ack_blocks(ack: &AckControl, props: &ButtonProps) -> Option<SlackBlock> {
    let label = {
        let trimmed = props.text.trim();
        ellipsize(
            if trimmed.is_empty() {
                DEFAULT_BUTTON_TEXT
            } else {
                trimmed
            },
            BUTTON_TEXT_MAX,
        )
    };
    let button = SlackBlockButtonElement::new(SlackBlockPlainText::new(label.clone()).into())
        .opt_style(button_style(props.style.as_deref()));
    let button = match ack {
        AckControl::None => return None,
        AckControl::Link { url } => {
            // The button's `url` is a `url::Url`; parsing into the field's type checks the link.
            match url.trim().parse() {
                Ok(parsed) if units(url.trim()) <= BUTTON_URL_MAX => button
                    .with_url(parsed)
                    .with_action_id(SlackActionId(ACK_LINK_ACTION_ID.to_string())),
                _ => {
                    let line =
                        format!("*{}*: {}", escape_mrkdwn(&label), escape_mrkdwn(url.trim()));
                    return Some(section_block(ellipsize(&line, SECTION_TEXT_MAX)));
                }
            }
        }
        AckControl::Interactive { action_value } => {
            if units(action_value) > BUTTON_VALUE_MAX {
                // A cut value would not identify the incident; say so instead of sending a broken button.
                return Some(context_block(
                    ACK_BLOCK_ID,
                    "⚠️ The acknowledge button is unavailable for this alert; acknowledge it through Versus.",
                ));
            }
            button
                .with_value(action_value.clone())
                .with_action_id(SlackActionId(ACK_ACTION_ID.to_string()))
        }
    };
    Some(
        SlackActionsBlock::new(vec![button.into()])
            .with_block_id(SlackBlockId(ACK_BLOCK_ID.to_string()))
            .into(),
    )
}

fn button_style(style: Option<&str>) -> Option<SlackBlockButtonStyle> {
    match style.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("primary") => Some(SlackBlockButtonStyle::Primary),
        Some("danger") => Some(SlackBlockButtonStyle::Danger),
        _ => None,
    }
}

fn banner_line(banner: &StatusBanner) -> Option<String> {
    Some(match banner {
        StatusBanner::Firing => return None,
        StatusBanner::Acknowledged { by, at } => {
            format!("✅ Acknowledged by {} at {}", by.trim(), escape_mrkdwn(at))
        }
        StatusBanner::Escalated { incident_arn, at } => format!(
            "🚨 Escalated to on-call at {}: `{}`",
            escape_mrkdwn(at),
            escape_mrkdwn(incident_arn)
        ),
        StatusBanner::PagingFailed { reason } => format!(
            "⚠️ Paging FAILED: {} — nobody has been paged; page the on-call engineer by hand",
            escape_mrkdwn(&ellipsize(reason, 1000))
        ),
        StatusBanner::Resolved { at, was_escalated } => format!(
            "🟢 Resolved at {}{}",
            escape_mrkdwn(at),
            if *was_escalated {
                " (was escalated)"
            } else {
                ""
            }
        ),
    })
}

fn banner_prefix(banner: &StatusBanner) -> Option<&'static str> {
    match banner {
        StatusBanner::Firing => None,
        StatusBanner::Acknowledged { .. } => Some("✅ Acknowledged"),
        StatusBanner::Escalated { .. } => Some("🚨 Escalated"),
        StatusBanner::PagingFailed { .. } => Some("⚠️ Paging FAILED"),
        StatusBanner::Resolved { .. } => Some("🟢 Resolved"),
    }
}

fn banner_color(banner: &StatusBanner) -> Option<&'static str> {
    match banner {
        StatusBanner::Firing => None,
        StatusBanner::Acknowledged { .. } => Some(colors::ACKNOWLEDGED),
        StatusBanner::Escalated { .. } => Some(colors::ESCALATED),
        StatusBanner::PagingFailed { .. } => Some(colors::PAGING_FAILED),
        StatusBanner::Resolved { .. } => Some(colors::RESOLVED),
    }
}

/// Line endings to `\n`, trailing spaces off every line, runs of blank lines down to one, and no blank lines at
/// either end. Templates written for Go produce many blank lines; Slack shows them all.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// Splits `text` into at most `max_sections` pieces of at most `max` UTF-16 units each. When the text does not
/// fit, the last piece ends with [`TRUNCATION_NOTE`].
fn split_sections(text: &str, max: usize, max_sections: usize) -> Vec<String> {
    let max_sections = max_sections.max(1);
    let mut chunks = Vec::new();
    let mut rest = text;
    let mut fence_open = false;
    while !rest.trim().is_empty() {
        let opening = if fence_open { FENCE_OPEN } else { "" };
        let room = max - units(opening);
        if fits(rest, room) {
            chunks.push(format!("{opening}{rest}"));
            break;
        }
        let last = chunks.len() + 1 >= max_sections;
        let room = room - if last { units(TRUNCATION_NOTE) + 1 } else { 0 };
        let odd_fences =
            |piece: &str| (opening.matches(FENCE).count() + piece.matches(FENCE).count()) % 2 == 1;
        let (mut piece, mut remainder) = cut(rest, room);
        if odd_fences(piece) {
            // The cut falls inside a code block: make room to close it here and reopen it in the next section.
            (piece, remainder) = cut(rest, room - units(FENCE_CLOSE));
        }
        let mut chunk = format!("{opening}{piece}");
        fence_open = odd_fences(piece);
        if fence_open {
            chunk.push_str(FENCE_CLOSE);
        }
        if last {
            chunk.push('\n');
            chunk.push_str(TRUNCATION_NOTE);
            chunks.push(chunk);
            break;
        }
        if !piece.trim().is_empty() {
            chunks.push(chunk);
        }
        rest = remainder;
    }
    chunks
}

/// Cuts `text` (longer than `room`) into a first piece of at most `room` units and the rest: at the last line
/// break in the second half of the window, else the last space there, else the last line break at all, else at
/// the window's end (a character boundary).
fn cut(text: &str, room: usize) -> (&str, &str) {
    let limit = prefix_len(text, room.max(1));
    let window = &text[..limit];
    let half = limit / 2;
    let at = |i: usize, sep_len: usize| (text[..i].trim_end(), &text[i + sep_len..]);
    if let Some(i) = window.rfind('\n').filter(|&i| i >= half) {
        return at(i, 1);
    }
    if let Some(i) = window.rfind(' ').filter(|&i| i >= half) {
        return at(i, 1);
    }
    if let Some(i) = window.rfind('\n').filter(|&i| i > 0) {
        return at(i, 1);
    }
    (window, &text[limit..])
}

/// The byte length of the longest prefix of `text` within `max` UTF-16 units, on a character boundary. At
/// least one character when `text` is not empty, so that splitting always makes progress.
fn prefix_len(text: &str, max: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.len_utf16();
        if used > max {
            return if i == 0 { c.len_utf8() } else { i };
        }
    }
    text.len()
}

/// Whether `text` is at most `max` UTF-16 units; stops counting as soon as it is not.
fn fits(text: &str, max: usize) -> bool {
    let mut used = 0;
    text.chars().all(|c| {
        used += c.len_utf16();
        used <= max
    })
}

fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` cut to at most `max` UTF-16 units, ending with `…` when cut.
fn ellipsize(text: &str, max: usize) -> String {
    if fits(text, max) {
        return text.to_string();
    }
    let keep = prefix_len(text, max.saturating_sub(1));
    format!("{}…", text[..keep].trim_end())
}

fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The essentials of an alert as mrkdwn, for when the template fails: Alertmanager's alertname, severity,
/// status, instance, service, summary and description, or the top-level keys of free-form JSON. Values are
/// escaped (they cannot form Slack links or mentions) and the whole is at most [`PLAIN_FALLBACK_MAX`] characters.
pub fn plain_fallback(payload: &Value) -> String {
    const NOTE: &str = "_(the message template failed, so this shows the alert's essentials)_";
    let mut lines: Vec<String> = Vec::new();
    match payload {
        Value::Object(map)
            if map.get("alerts").is_some_and(Value::is_array)
                || map.contains_key("commonLabels") =>
        {
            alertmanager_lines(map, &mut lines)
        }
        Value::Object(map) => freeform_lines(map, &mut lines),
        other => lines.push(format!(
            "🔥 *Alert*: {}",
            escape_mrkdwn(&ellipsize(&scalar(other), 1500))
        )),
    }
    let budget = PLAIN_FALLBACK_MAX - units(NOTE) - 2;
    let mut out = String::new();
    for line in lines {
        let needed = units(&line) + 1;
        if units(&out) + needed > budget {
            let room = budget.saturating_sub(units(&out) + 1);
            if room > 20 {
                out.push_str(&ellipsize(&line, room));
                out.push('\n');
            }
            break;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(NOTE);
    out
}

fn alertmanager_lines(map: &serde_json::Map<String, Value>, lines: &mut Vec<String>) {
    let alerts: &[Value] = map
        .get("alerts")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let label = |key: &str| -> Option<String> {
        ["commonLabels", "groupLabels"]
            .iter()
            .find_map(|group| map.get(*group).and_then(|g| g.get(key)).map(scalar))
            .or_else(|| {
                alerts
                    .first()
                    .and_then(|a| a.get("labels"))
                    .and_then(|l| l.get(key))
                    .map(scalar)
            })
            .filter(|v| !v.is_empty())
    };
    let status = map
        .get("status")
        .map(scalar)
        .unwrap_or_else(|| "unknown".into());
    let alertname = label("alertname").unwrap_or_else(|| "alert".into());
    let icon = if status == "resolved" { "✅" } else { "🔥" };
    lines.push(format!(
        "{icon} *[{}:{}] {}*",
        escape_mrkdwn(&status.to_uppercase()),
        alerts.len(),
        escape_mrkdwn(&ellipsize(&alertname, 200))
    ));
    lines.push(format!("*Status*: {}", escape_mrkdwn(&status)));
    for (title, key) in [
        ("Severity", "severity"),
        ("Instance", "instance"),
        ("Service", "service"),
    ] {
        if let Some(value) = label(key) {
            lines.push(format!(
                "*{title}*: {}",
                escape_mrkdwn(&ellipsize(&value, 300))
            ));
        }
    }
    let common_annotation = |key: &str| {
        map.get("commonAnnotations")
            .and_then(|a| a.get(key))
            .map(scalar)
    };
    if alerts.is_empty() {
        for (title, key) in [("Summary", "summary"), ("Description", "description")] {
            if let Some(value) = common_annotation(key) {
                lines.push(format!(
                    "*{title}*: {}",
                    escape_mrkdwn(&ellipsize(&value, 1000))
                ));
            }
        }
    }
    const SHOWN: usize = 10;
    for alert in alerts.iter().take(SHOWN) {
        let field = |group: &str, key: &str| alert.get(group).and_then(|g| g.get(key)).map(scalar);
        let mut parts = Vec::new();
        if let Some(instance) = field("labels", "instance") {
            parts.push(format!("`{}`", escape_mrkdwn(&ellipsize(&instance, 200))));
        }
        for key in ["summary", "description"] {
            if let Some(text) = field("annotations", key).filter(|t| !t.is_empty()) {
                parts.push(escape_mrkdwn(&ellipsize(&text, 500)));
            }
        }
        if parts.is_empty() {
            parts.push(escape_mrkdwn(&ellipsize(&scalar(alert), 500)));
        }
        lines.push(format!("• {}", parts.join(" — ")));
    }
    if alerts.len() > SHOWN {
        lines.push(format!("… and {} more alerts", alerts.len() - SHOWN));
    }
}

fn freeform_lines(map: &serde_json::Map<String, Value>, lines: &mut Vec<String>) {
    const FIRST: &[&str] = &[
        "alertname",
        "title",
        "name",
        "summary",
        "message",
        "severity",
        "status",
        "servicename",
        "service",
        "instance",
        "host",
        "description",
        "logs",
    ];
    let rank = |key: &str| {
        let lower = key.to_ascii_lowercase();
        FIRST
            .iter()
            .position(|k| *k == lower)
            .unwrap_or(FIRST.len())
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| rank(k)); // stable: the rest keep their order
    let severity = map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("severity"))
        .map(|(_, v)| scalar(v));
    lines.push(match severity {
        Some(s) if !s.is_empty() => format!(
            "🔥 *{} Alert*",
            escape_mrkdwn(&ellipsize(&s.to_uppercase(), 100))
        ),
        _ => "🔥 *Alert*".to_string(),
    });
    const SHOWN: usize = 20;
    for key in keys.iter().take(SHOWN) {
        let value = scalar(&map[key.as_str()]);
        lines.push(format!(
            "*{}*: {}",
            escape_mrkdwn(&ellipsize(key, 100)),
            escape_mrkdwn(&ellipsize(&value, 1000))
        ));
    }
    if keys.len() > SHOWN {
        lines.push(format!("… and {} more fields", keys.len() - SHOWN));
    }
}

/// A JSON value as text: strings as they are, anything else as compact JSON.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props() -> ButtonProps {
        ButtonProps {
            text: "Acknowledge Incident".into(),
            style: Some("primary".into()),
            disabled: false,
        }
    }

    fn link() -> AckControl {
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

    fn assert_within_limits(msg: &SlackMessage) {
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
        let msg = build_message(
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
        let msg = build_message("hello *world*", &link(), &props(), &StatusBanner::Firing);
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
                    }]
                }
            ])
        );
        let interactive = AckControl::Interactive {
            action_value: "incident-42".into(),
        };
        let msg = build_message("x", &interactive, &props(), &StatusBanner::Firing);
        assert_eq!(
            buttons(&msg),
            vec![json!({
                "type": "button",
                "action_id": "versus_ack",
                "text": { "type": "plain_text", "text": "Acknowledge Incident" },
                "value": "incident-42",
                "style": "primary"
            })]
        );
    }

    #[test]
    fn message_content_carries_text_blocks_and_colour() {
        let msg = build_message("x", &link(), &props(), &StatusBanner::Firing);
        let content = serde_json::to_value(to_message_content(&msg)).unwrap();
        assert_eq!(content["text"], "x");
        assert_eq!(content["blocks"], to_json_blocks(&msg));
        let resolved = StatusBanner::Resolved {
            at: "10:00".into(),
            was_escalated: false,
        };
        let msg = build_message("x", &link(), &props(), &resolved);
        let content = serde_json::to_value(to_message_content(&msg)).unwrap();
        assert_eq!(content["attachments"][0]["color"], colors::RESOLVED);
        assert_eq!(content["attachments"][0]["blocks"], to_json_blocks(&msg));
        assert!(content.get("blocks").is_none());
    }

    #[test]
    fn button_presence_rules() {
        let firing = StatusBanner::Firing;
        assert_eq!(
            buttons(&build_message("x", &AckControl::None, &props(), &firing)).len(),
            0
        );
        assert_eq!(
            buttons(&build_message("x", &link(), &props(), &firing)).len(),
            1
        );
        let disabled = ButtonProps {
            disabled: true,
            ..props()
        };
        assert_eq!(
            buttons(&build_message("x", &link(), &disabled, &firing)).len(),
            0
        );
        let msg = build_message("x", &link(), &disabled, &firing);
        assert_eq!(msg.blocks.len(), 1);
        // Any status but firing replaces the button with a status line.
        let acked = StatusBanner::Acknowledged {
            by: "<@U012ABC>".into(),
            at: "Jan 02, 2024 15:10:00 UTC".into(),
        };
        let msg = build_message("x", &link(), &props(), &acked);
        assert_eq!(buttons(&msg).len(), 0);
        let json = to_json_blocks(&msg);
        let status = json.as_array().unwrap().last().unwrap();
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
            buttons(&build_message("x", &link(), &p, &StatusBanner::Firing))[0]
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
        let b = &buttons(&build_message("x", &link(), &long, &StatusBanner::Firing))[0];
        assert_eq!(
            b["text"]["text"].as_str().unwrap().chars().count(),
            BUTTON_TEXT_MAX
        );
        let empty = ButtonProps {
            text: "  ".into(),
            ..props()
        };
        let b = &buttons(&build_message("x", &link(), &empty, &StatusBanner::Firing))[0];
        assert_eq!(b["text"]["text"], "Acknowledge");
    }

    #[test]
    fn invalid_or_overlong_ack_links_are_written_out_instead() {
        let bad = AckControl::Link {
            url: "versus.local/ack/1".into(),
        };
        let msg = build_message("x", &bad, &props(), &StatusBanner::Firing);
        assert!(buttons(&msg).is_empty());
        assert_eq!(
            section_texts(&msg)[1],
            "*Acknowledge Incident*: versus.local/ack/1"
        );
        let long = AckControl::Interactive {
            action_value: "v".repeat(BUTTON_VALUE_MAX + 1),
        };
        let msg = build_message("x", &long, &props(), &StatusBanner::Firing);
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
            let msg = build_message("body", &link(), &props(), &banner);
            let json = to_json_blocks(&msg);
            assert_eq!(json[1]["type"], "context");
            assert_eq!(json[1]["elements"][0]["text"], line);
            assert_eq!(msg.color.as_deref(), Some(color));
            assert!(buttons(&msg).is_empty());
            assert!(msg.text.ends_with(" — body"), "{}", msg.text);
        }
    }

    #[test]
    fn a_100_kb_message_is_cut_to_slack_limits() {
        let line = "📝 *Description*: checkout has an error rate above 0.5 for 5 minutes — ünïcödé 日本語 text\n";
        let rendered = line.repeat(100_000 / line.len() + 1);
        assert!(rendered.len() > 100_000);
        let msg = build_message(&rendered, &link(), &props(), &StatusBanner::Firing);
        assert_within_limits(&msg);
        let texts = section_texts(&msg);
        // Cut at line boundaries, and nothing lost: the sections are the lines again.
        assert_eq!(texts.join("\n"), rendered.trim_end());
        assert_eq!(buttons(&msg).len(), 1, "the button survives the split");
    }

    #[test]
    fn text_over_the_block_budget_ends_with_a_truncation_note() {
        let line = "📝 *Description*: checkout has an error rate above 0.5 for 5 minutes — ünïcödé 日本語 text\n";
        let rendered = line.repeat(400_000 / line.len());
        for banner in [
            StatusBanner::Firing,
            StatusBanner::PagingFailed {
                reason: "x".repeat(5000),
            },
        ] {
            let msg = build_message(&rendered, &link(), &props(), &banner);
            assert_within_limits(&msg);
            assert_eq!(msg.blocks.len(), MAX_BLOCKS);
            let texts = section_texts(&msg);
            assert_eq!(
                texts.len(),
                MAX_BLOCKS - 1,
                "one block is the button or the status line"
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
        let msg = build_message(
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
        let msg = build_message(
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
        let msg = build_message(
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
        let msg = build_message(
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
        let msg = build_message(
            "\n\n a  \r\n\r\n\r\n\nb \n\n\n",
            &AckControl::None,
            &props(),
            &StatusBanner::Firing,
        );
        assert_eq!(section_texts(&msg), vec![" a\n\nb".to_string()]);
        let msg = build_message(" \n\n ", &AckControl::None, &props(), &StatusBanner::Firing);
        assert_eq!(section_texts(&msg), vec![EMPTY_MESSAGE.to_string()]);
    }

    #[test]
    fn plain_fallback_for_alertmanager() {
        let payload = json!({
            "status": "firing",
            "commonLabels": { "alertname": "HighErrorRate", "severity": "critical", "service": "checkout" },
            "alerts": [
                { "labels": { "instance": "a:8080" }, "annotations": { "summary": "High errors", "description": "rate > 0.5 <!channel>" } },
                { "labels": { "instance": "b:8080" }, "annotations": { "description": "rate 0.7" } }
            ]
        });
        let text = plain_fallback(&payload);
        assert!(
            text.starts_with("🔥 *[FIRING:2] HighErrorRate*\n"),
            "{text}"
        );
        for want in [
            "*Status*: firing",
            "*Severity*: critical",
            "*Service*: checkout",
            "*Instance*: a:8080",
            "• `a:8080` — High errors — rate &gt; 0.5 &lt;!channel&gt;",
            "• `b:8080` — rate 0.7",
        ] {
            assert!(text.contains(want), "missing {want:?} in {text}");
        }
        assert!(text.ends_with("essentials)_"));
    }

    #[test]
    fn plain_fallback_for_freeform_json() {
        let payload = json!({ "zeta": {"nested": [1, 2]}, "Logs": "[CRITICAL] disk full", "ServiceName": "test-service", "Severity": "critical" });
        let text = plain_fallback(&payload);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "🔥 *CRITICAL Alert*");
        assert_eq!(lines[1], "*Severity*: critical");
        assert_eq!(lines[2], "*ServiceName*: test-service");
        assert_eq!(lines[3], "*Logs*: [CRITICAL] disk full");
        assert_eq!(lines[4], r#"*zeta*: {"nested":[1,2]}"#);
    }

    #[test]
    fn plain_fallback_is_bounded_and_never_panics() {
        let huge = json!({ "Logs": "ß".repeat(1_000_000), "alerts": "not a list" });
        for payload in [
            huge,
            json!(null),
            json!("just text"),
            json!([1, 2, 3]),
            json!({}),
            json!({ "alerts": [] }),
            json!({ "alerts": [1, "x", null, {"labels": 5}] }),
            json!({ "commonLabels": "oops", "alerts": (0..500).map(|i| json!({"annotations": {"description": "d".repeat(i)}})).collect::<Vec<_>>() }),
            json!((0..100)
                .map(|i| (format!("k{i}"), json!("v".repeat(5000))))
                .collect::<serde_json::Map<_, _>>()),
        ] {
            let text = plain_fallback(&payload);
            assert!(units(&text) <= PLAIN_FALLBACK_MAX, "{} units", units(&text));
            assert!(!text.trim().is_empty());
            // The fallback itself must fit in a message.
            assert_within_limits(&build_message(
                &text,
                &link(),
                &props(),
                &StatusBanner::Firing,
            ));
        }
    }
}
