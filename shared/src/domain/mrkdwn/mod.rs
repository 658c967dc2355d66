//! Slack's `mrkdwn`: what text from an alert must go through before it is written into a message.
//!
//! * [`escape`] is for text Versus writes itself: every value from a payload goes through it.
//! * [`marked`] is how message templates escape by default: each payload value is escaped and marked while the
//!   template renders, so that afterwards a value inside the template's link syntax can be kept from changing
//!   the link.
//! * [`user_mention`] accepts only a real Slack user id, for the "Acknowledged by" line.
//! * [`person`] writes a stored person (`slack:{USER_ID}` or a typed name) safely.
//! * [`normalize_lines`] is the line layout every rendered message gets before it is posted.

mod layout;
pub mod marked;

pub use layout::normalize_lines;

/// Escapes the three characters Slack's mrkdwn gives meaning to (`&`, `<`, `>`), so that text from an alert
/// cannot form links, mentions such as `<!channel>`, or entities; and makes a plain `@channel`, `@here` or
/// `@everyone` inert with an invisible word joiner after the `@`, because Slack may still turn those words into
/// broadcasts that page a whole channel.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// [`escape`], appending to `out`.
pub fn escape_into(text: &str, out: &mut String) {
    for (at, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => {
                out.push('@');
                if starts_broadcast_word(&text[at + 1..]) {
                    out.push(WORD_JOINER);
                }
            }
            c => out.push(c),
        }
    }
}

/// U+2060: invisible, and it keeps Slack from reading the word after an `@` as a mention.
const WORD_JOINER: char = '\u{2060}';

/// Whether `rest` (the text after an `@`) starts with one of the words Slack reads as a channel-wide mention.
fn starts_broadcast_word(rest: &str) -> bool {
    ["channel", "here", "everyone"].iter().any(|word| {
        rest.get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word))
    })
}

/// `<@ID>`, the mention of the Slack user `id`, when `id` is a Slack user id (`U` or `W` and then capital
/// letters and digits, as Slack issues them); `None` for anything else, which could otherwise write mrkdwn.
pub fn user_mention(id: &str) -> Option<String> {
    let mut chars = id.chars();
    let kind_ok = matches!(chars.next(), Some('U' | 'W'));
    let rest_ok = id.len() > 1
        && id.len() <= 32
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (kind_ok && rest_ok).then(|| format!("<@{id}>"))
}

/// `text` as it goes into a message when it names who acknowledged: a stored mention of a Slack user id is
/// kept (so it mentions the user), anything else is escaped. Records written before ids were checked may hold
/// anything.
pub fn acknowledger(text: &str) -> String {
    let text = text.trim();
    text.strip_prefix("<@")
        .and_then(|rest| rest.strip_suffix('>'))
        .and_then(user_mention)
        .unwrap_or_else(|| escape(text))
}

/// A person as Versus stores one for reports and noise marks, written into a message: `slack:{USER_ID}`
/// (a Slack user, as Slack buttons store them) becomes a mention; anything else, such as a name typed on
/// the ack page, is escaped.
pub fn person(text: &str) -> String {
    text.strip_prefix("slack:")
        .and_then(user_mention)
        .unwrap_or_else(|| escape(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_stored_slack_user_id_becomes_a_mention_of_a_person() {
        assert_eq!(person("slack:U012ABC"), "<@U012ABC>");
        assert_eq!(person("<@U012ABC>"), "&lt;@U012ABC&gt;", "a typed mention");
        assert_eq!(person("slack:<!channel>"), "slack:&lt;!channel&gt;");
        assert_eq!(
            person("Alice & <b>Bob</b>"),
            "Alice &amp; &lt;b&gt;Bob&lt;/b&gt;"
        );
    }

    #[test]
    fn escapes_slack_control_characters_and_nothing_else() {
        assert_eq!(
            escape("<!channel> & <@U1|x> *bold* é"),
            "&lt;!channel&gt; &amp; &lt;@U1|x&gt; *bold* é"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;", "escaped text escapes again");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn plain_broadcast_mentions_are_made_inert_and_other_at_signs_kept() {
        assert_eq!(
            escape("@channel @HERE @Everyone!"),
            "@\u{2060}channel @\u{2060}HERE @\u{2060}Everyone!"
        );
        assert_eq!(
            escape("ops@example.com @alice @ @"),
            "ops@example.com @alice @ @"
        );
        assert_eq!(escape("@chan é@"), "@chan é@");
    }

    #[test]
    fn only_real_slack_user_ids_become_mentions() {
        assert_eq!(user_mention("U012ABCDEF").as_deref(), Some("<@U012ABCDEF>"));
        assert_eq!(user_mention("W0123").as_deref(), Some("<@W0123>"));
        for hostile in [
            "",
            "U",
            "u012",
            "C012ABC",
            "U012>|<!channel",
            "U01 2",
            "U012abc",
            "!channel",
            "U012\n",
            "UÄ12",
        ] {
            assert_eq!(user_mention(hostile), None, "{hostile:?}");
        }
        assert_eq!(user_mention(&format!("U{}", "1".repeat(40))), None);
    }

    #[test]
    fn acknowledger_keeps_user_mentions_and_escapes_the_rest() {
        assert_eq!(acknowledger("<@U012ABC>"), "<@U012ABC>");
        assert_eq!(acknowledger(" <@U012ABC> "), "<@U012ABC>");
        assert_eq!(acknowledger("ack link"), "ack link");
        assert_eq!(acknowledger("<!channel>"), "&lt;!channel&gt;");
        assert_eq!(
            acknowledger("<@U1|x> <!here>"),
            "&lt;@U1|x&gt; &lt;!here&gt;"
        );
    }
}
