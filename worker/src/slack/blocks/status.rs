//! Where the alert stands once it is no longer just firing: the status line that replaces the acknowledge
//! button, the prefix of the message's fallback text, and the colour of its side bar.

use super::text_fit::ellipsize;
use versus_shared::domain::mrkdwn;

/// `block_id` of the status line that replaces the button once the alert is acknowledged, escalated or resolved.
pub const STATUS_BLOCK_ID: &str = "versus_status";

/// Colours for [`SlackMessage::color`](super::SlackMessage::color) (a Slack attachment's side bar).
pub mod colors {
    pub const ACKNOWLEDGED: &str = "#439fe0";
    pub const ESCALATED: &str = "#e01e5a";
    pub const PAGING_FAILED: &str = "#a30200";
    pub const RESOLVED: &str = "#2eb886";
}

/// Where the alert stands. Anything but `Firing` replaces the button with a status line and colours the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusBanner {
    Firing,
    /// `by` mentions the user when it is `<@U012ABC>` (a Slack user id) and is escaped otherwise; `at` is a
    /// display time. `by_link` is set for an ack through the ack link: `by` is then a name someone typed,
    /// always escaped, even when it looks like a mention.
    Acknowledged {
        by: String,
        at: String,
        by_link: bool,
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

pub(super) fn banner_line(banner: &StatusBanner) -> Option<String> {
    Some(match banner {
        StatusBanner::Firing => return None,
        StatusBanner::Acknowledged { by, at, by_link } => {
            format!(
                "✅ Acknowledged by {} at {}",
                if *by_link {
                    mrkdwn::escape(by)
                } else {
                    mrkdwn::acknowledger(by)
                },
                mrkdwn::escape(at)
            )
        }
        StatusBanner::Escalated { incident_arn, at } => format!(
            "🚨 Escalated to on-call at {}: `{}`",
            mrkdwn::escape(at),
            mrkdwn::escape(incident_arn)
        ),
        StatusBanner::PagingFailed { reason } => format!(
            "⚠️ Paging FAILED: {} — nobody has been paged; page the on-call engineer by hand",
            mrkdwn::escape(&ellipsize(reason, 1000))
        ),
        StatusBanner::Resolved { at, was_escalated } => format!(
            "🟢 Resolved at {}{}",
            mrkdwn::escape(at),
            if *was_escalated {
                " (was escalated)"
            } else {
                ""
            }
        ),
    })
}

pub(super) fn banner_prefix(banner: &StatusBanner) -> Option<&'static str> {
    match banner {
        StatusBanner::Firing => None,
        StatusBanner::Acknowledged { .. } => Some("✅ Acknowledged"),
        StatusBanner::Escalated { .. } => Some("🚨 Escalated"),
        StatusBanner::PagingFailed { .. } => Some("⚠️ Paging FAILED"),
        StatusBanner::Resolved { .. } => Some("🟢 Resolved"),
    }
}

pub(super) fn banner_color(banner: &StatusBanner) -> Option<&'static str> {
    match banner {
        StatusBanner::Firing => None,
        StatusBanner::Acknowledged { .. } => Some(colors::ACKNOWLEDGED),
        StatusBanner::Escalated { .. } => Some(colors::ESCALATED),
        StatusBanner::PagingFailed { .. } => Some(colors::PAGING_FAILED),
        StatusBanner::Resolved { .. } => Some(colors::RESOLVED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acked_by(by: &str) -> String {
        banner_line(&StatusBanner::Acknowledged {
            by: by.into(),
            at: "Jan 02, 2024 15:10:00 UTC".into(),
            by_link: false,
        })
        .unwrap()
    }

    #[test]
    fn a_name_typed_on_the_ack_page_is_escaped_even_when_it_looks_like_a_mention() {
        let line = banner_line(&StatusBanner::Acknowledged {
            by: "<@U012ABC> <b>&".into(),
            at: "now".into(),
            by_link: true,
        })
        .unwrap();
        assert_eq!(
            line,
            "✅ Acknowledged by &lt;@U012ABC&gt; &lt;b&gt;&amp; at now"
        );
    }

    #[test]
    fn acknowledged_by_mentions_only_a_real_slack_user() {
        assert_eq!(
            acked_by("<@U012ABC>"),
            "✅ Acknowledged by <@U012ABC> at Jan 02, 2024 15:10:00 UTC"
        );
        assert_eq!(
            acked_by("ack link"),
            "✅ Acknowledged by ack link at Jan 02, 2024 15:10:00 UTC"
        );
        // A record written before user ids were checked.
        assert_eq!(
            acked_by("<@U1|x> <!channel>"),
            "✅ Acknowledged by &lt;@U1|x&gt; &lt;!channel&gt; at Jan 02, 2024 15:10:00 UTC"
        );
    }
}
