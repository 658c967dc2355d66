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
//!
//! Its parts: `text_fit` (Slack's limits on text), `ack_button` (the acknowledge button), `noise_button` (the
//! noise button and line, in every state), `status` (the status line and colour once the alert is no longer
//! just firing) and `plain_fallback`.

mod ack_button;
mod noise_button;
#[cfg(test)]
mod noise_layout_tests;
mod plain_fallback;
mod status;
#[cfg(test)]
mod tests;
mod text_fit;

pub use ack_button::{
    AckControl, ButtonProps, ACK_ACTION_ID, ACK_BLOCK_ID, ACK_LINK_ACTION_ID, BUTTON_TEXT_MAX,
    BUTTON_URL_MAX, BUTTON_VALUE_MAX,
};
pub use noise_button::{
    NoiseMark, NOISE_ACTION_ID, NOISE_BLOCK_ID, NOISE_LINK_ACTION_ID, NOISE_STATUS_BLOCK_ID,
    UNMARK_NOISE_ACTION_ID,
};
pub use plain_fallback::{plain_fallback, PLAIN_FALLBACK_MAX};
pub use status::{colors, StatusBanner, STATUS_BLOCK_ID};

use ack_button::ack_blocks;
use noise_button::{noise_button, noise_line};
use serde_json::Value;
use slack_morphism::prelude::{
    SlackActionsBlock, SlackBlock, SlackBlockId, SlackBlockMarkDownText, SlackBlockText,
    SlackContextBlock, SlackContextBlockElement, SlackMessageAttachment, SlackMessageContent,
    SlackSectionBlock,
};
use status::{banner_color, banner_line, banner_prefix};
pub(crate) use text_fit::ellipsize;
use text_fit::split_sections;
use versus_shared::domain::mrkdwn::normalize_lines;

/// Slack's limit on a section block's text.
pub const SECTION_TEXT_MAX: usize = 3000;
/// Slack's limit on blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Our limit on the top-level `text` fallback (Slack truncates at 40,000 and advises staying under 4,000).
pub const FALLBACK_TEXT_MAX: usize = 3000;
/// Ends the text of a message that had to be cut to fit in [`MAX_BLOCKS`].
pub const TRUNCATION_NOTE: &str = "_… (message truncated)_";

const EMPTY_MESSAGE: &str = "_(the message template rendered no text)_";

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
    noise: &NoiseMark,
) -> SlackMessage {
    let body = normalize_lines(rendered);
    let body = if body.is_empty() {
        EMPTY_MESSAGE.to_string()
    } else {
        body
    };

    // Decide on the trailing blocks first, so the text knows how many blocks it may use.
    let mut tail: Vec<SlackBlock> = Vec::new();
    let status = banner_line(banner);
    if let Some(line) = &status {
        tail.push(context_block(STATUS_BLOCK_ID, line));
    }
    if let Some(line) = noise_line(noise) {
        tail.push(context_block(NOISE_STATUS_BLOCK_ID, &line));
    }
    if !button.disabled {
        let noise_button = noise_button(ack, noise);
        if status.is_none() {
            tail.extend(ack_blocks(ack, button, noise_button));
        } else if let Some(noise_button) = noise_button {
            // The acknowledge button is gone with the status line; a mark can still be set or taken off.
            tail.push(
                SlackActionsBlock::new(vec![noise_button.into()])
                    .with_block_id(SlackBlockId(NOISE_BLOCK_ID.to_string()))
                    .into(),
            );
        }
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
