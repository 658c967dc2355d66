//! The noise button and the noise line: people mark an incident as a false positive from its message, in
//! any state (often after the fact), so the button outlives the acknowledge button.
//!
//! The button goes where acknowledging goes: an interactive button carrying the same ack token, or a link to
//! the ack page, whose form marks and unmarks. Once marked, an interactive button unmarks instead.

use super::ack_button::{AckControl, BUTTON_URL_MAX, BUTTON_VALUE_MAX};
use super::text_fit::units;
use slack_morphism::prelude::{SlackActionId, SlackBlockButtonElement, SlackBlockPlainText};
use versus_shared::domain::mrkdwn;

/// `action_id` of the interactive noise button; the interactions endpoint marks the incident.
pub const NOISE_ACTION_ID: &str = versus_shared::domain::ack_token::SLACK_NOISE_ACTION_ID;
/// `action_id` of the interactive button that takes the mark off again.
pub const UNMARK_NOISE_ACTION_ID: &str =
    versus_shared::domain::ack_token::SLACK_UNMARK_NOISE_ACTION_ID;
/// `action_id` of the noise button that opens the ack page; the interactions endpoint ignores it.
pub const NOISE_LINK_ACTION_ID: &str = "versus_noise_link";
/// `block_id` of the actions block that holds only the noise button, once the acknowledge button is gone.
pub const NOISE_BLOCK_ID: &str = "versus_noise";
/// `block_id` of the line that says who marked the incident as noise.
pub const NOISE_STATUS_BLOCK_ID: &str = "versus_noise_status";

const MARK_TEXT: &str = "Noise";
const UNMARK_TEXT: &str = "Unmark noise";
/// The link button opens the page, where the form says which it does.
const LINK_MARKED_TEXT: &str = "Noise ✓";

/// Whether the incident is marked as a false positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoiseMark {
    Unmarked,
    /// `by` is as stored: `slack:{USER_ID}` for a Slack user (shown as a mention), else a typed name or
    /// "ack link" (escaped).
    Marked {
        by: String,
    },
}

/// The noise button for this incident, or `None` when the incident cannot be reached (no ack token, or a
/// link or token Slack would refuse in a button: the acknowledge block then says what to do instead).
pub(super) fn noise_button(ack: &AckControl, mark: &NoiseMark) -> Option<SlackBlockButtonElement> {
    let marked = matches!(mark, NoiseMark::Marked { .. });
    match ack {
        AckControl::None => None,
        AckControl::Link { url } => {
            let url = url.trim();
            let parsed = url.parse().ok().filter(|_| units(url) <= BUTTON_URL_MAX)?;
            let text = if marked { LINK_MARKED_TEXT } else { MARK_TEXT };
            Some(
                SlackBlockButtonElement::new(SlackBlockPlainText::new(text.into()).into())
                    .with_url(parsed)
                    .with_action_id(SlackActionId(NOISE_LINK_ACTION_ID.to_string())),
            )
        }
        AckControl::Interactive { action_value } => {
            if units(action_value) > BUTTON_VALUE_MAX {
                return None;
            }
            let (text, action) = if marked {
                (UNMARK_TEXT, UNMARK_NOISE_ACTION_ID)
            } else {
                (MARK_TEXT, NOISE_ACTION_ID)
            };
            Some(
                SlackBlockButtonElement::new(SlackBlockPlainText::new(text.into()).into())
                    .with_value(action_value.clone())
                    .with_action_id(SlackActionId(action.to_string())),
            )
        }
    }
}

/// "Marked as noise by …", safe as mrkdwn.
pub(super) fn noise_line(mark: &NoiseMark) -> Option<String> {
    match mark {
        NoiseMark::Unmarked => None,
        NoiseMark::Marked { by } => Some(format!("🔇 Marked as noise by {}", mrkdwn::person(by))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn marked(by: &str) -> NoiseMark {
        NoiseMark::Marked { by: by.into() }
    }

    #[test]
    fn the_line_mentions_a_slack_user_and_escapes_a_typed_name() {
        assert_eq!(noise_line(&NoiseMark::Unmarked), None);
        assert_eq!(
            noise_line(&marked("slack:U0ONCALL")).unwrap(),
            "🔇 Marked as noise by <@U0ONCALL>"
        );
        assert_eq!(
            noise_line(&marked("<b>& <!channel> @here")).unwrap(),
            "🔇 Marked as noise by &lt;b&gt;&amp; &lt;!channel&gt; @\u{2060}here"
        );
        assert_eq!(
            noise_line(&marked("slack:U1>|<!channel")).unwrap(),
            "🔇 Marked as noise by slack:U1&gt;|&lt;!channel",
            "not a user id, so not a mention"
        );
    }

    #[test]
    fn interactive_buttons_mark_and_then_unmark_with_the_ack_token() {
        let ack = AckControl::Interactive {
            action_value: "tok".into(),
        };
        let json = |mark: &NoiseMark| serde_json::to_value(noise_button(&ack, mark)).unwrap();
        assert_eq!(
            json(&NoiseMark::Unmarked),
            json!({"action_id": "versus_noise", "value": "tok",
                   "text": {"type": "plain_text", "text": "Noise"}})
        );
        assert_eq!(
            json(&marked("x")),
            json!({"action_id": "versus_noise_unmark", "value": "tok",
                   "text": {"type": "plain_text", "text": "Unmark noise"}})
        );
    }

    #[test]
    fn link_buttons_open_the_ack_page() {
        let ack = AckControl::Link {
            url: "https://versus.example.com/api/incidents/ack/tok".into(),
        };
        let button = serde_json::to_value(noise_button(&ack, &NoiseMark::Unmarked)).unwrap();
        assert_eq!(button["action_id"], "versus_noise_link");
        assert_eq!(
            button["url"],
            "https://versus.example.com/api/incidents/ack/tok"
        );
        let button = serde_json::to_value(noise_button(&ack, &marked("x"))).unwrap();
        assert_eq!(button["text"]["text"], "Noise ✓");
    }

    #[test]
    fn no_button_without_a_way_to_reach_the_incident() {
        assert!(noise_button(&AckControl::None, &NoiseMark::Unmarked).is_none());
        let bad = AckControl::Link {
            url: "not a url".into(),
        };
        assert!(noise_button(&bad, &NoiseMark::Unmarked).is_none());
        let long = AckControl::Interactive {
            action_value: "v".repeat(BUTTON_VALUE_MAX + 1),
        };
        assert!(noise_button(&long, &NoiseMark::Unmarked).is_none());
    }
}
