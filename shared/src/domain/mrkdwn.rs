//! Slack's `mrkdwn`: what text from an alert must go through before it is written into a message.

/// Escapes the three characters Slack's mrkdwn gives meaning to (`&`, `<`, `>`), so that text from an alert
/// cannot form links, mentions such as `<!channel>`, or entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_slack_control_characters_and_nothing_else() {
        assert_eq!(
            escape("<!channel> & <@U1|x> *bold* é"),
            "&lt;!channel&gt; &amp; &lt;@U1|x&gt; *bold* é"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;", "escaped text escapes again");
        assert_eq!(escape(""), "");
    }
}
