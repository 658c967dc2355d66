//! The acknowledge button: a link to the ack page or a Slack interactive button, within Slack's limits on
//! buttons, and a written-out link when the link cannot be a button.

use super::text_fit::{ellipsize, units};
use super::{context_block, section_block, SECTION_TEXT_MAX};
use slack_morphism::prelude::{
    SlackActionId, SlackActionsBlock, SlackBlock, SlackBlockButtonElement, SlackBlockButtonStyle,
    SlackBlockId, SlackBlockPlainText,
};
use versus_shared::domain::mrkdwn;

/// Slack's limit on a button's text.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Slack's limit on a button's `url`.
pub const BUTTON_URL_MAX: usize = 3000;
/// Slack's limit on a button's `value`.
pub const BUTTON_VALUE_MAX: usize = 2000;

/// `action_id` of the interactive acknowledge button; the interactions endpoint acts on it.
pub const ACK_ACTION_ID: &str = versus_shared::domain::ack_token::SLACK_ACK_ACTION_ID;
/// `action_id` of the link acknowledge button. Slack also sends a callback for link buttons when interactivity
/// is on; the acknowledgement itself happens on the ack page, so the interactions endpoint can ignore this one.
pub const ACK_LINK_ACTION_ID: &str = "versus_ack_link";
/// `block_id` of the block holding the acknowledge button.
pub const ACK_BLOCK_ID: &str = "versus_ack";

const DEFAULT_BUTTON_TEXT: &str = "Acknowledge";

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

/// The acknowledge button (then `beside`, if any) in an actions block, or, when the link cannot be a button
/// (not a valid URL, or too long for one), a section with the link written out so that a person can still
/// acknowledge.
pub(super) fn ack_blocks(
    ack: &AckControl,
    props: &ButtonProps,
    beside: Option<SlackBlockButtonElement>,
) -> Option<SlackBlock> {
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
                    let line = format!(
                        "*{}*: {}",
                        mrkdwn::escape(&label),
                        mrkdwn::escape(url.trim())
                    );
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
    let buttons = std::iter::once(button).chain(beside);
    Some(
        SlackActionsBlock::new(buttons.map(Into::into).collect())
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
