//! Payload values marked in rendered text, and what is done with them inside link syntax.
//!
//! Escaping `&`, `<` and `>` keeps a value from opening a link or a mention of its own, but a template can place a
//! value inside link syntax it writes itself: `<{{ url }}|{{ text }}>`. There, Slack reads everything up to the
//! first `|` as the target, so a `|` in a value at the target's place would end the target early and put the
//! rest of the value in front of the template's own text; and a value that starts the target with `!`, `@` or
//! `#` would turn the link into `<!channel>`, a user mention or a channel link.
//!
//! So while a template renders, each escaped payload value is wrapped in two private-use characters
//! ([`VALUE_START`], [`VALUE_END`]; payloads are stripped of them first). [`seal`] then walks the text, knowing
//! which characters are the template's own, and inside link syntax the template wrote (`<` … `>`):
//!
//! * in the target (before the template's first `|`), a value's `|` becomes `%7C` (the same URL, encoded), and
//!   a `!`, `@` or `#` a value puts first in the target becomes `%21`, `%40` or `%23`;
//! * in the link text, a value's `|` becomes `∣` (U+2223), a look-alike Slack gives no meaning to.
//!
//! Outside link syntax values are left as escaped. The markers never reach Slack.

use std::borrow::Cow;

/// Marks the start of a payload value in rendered text.
pub const VALUE_START: char = '\u{E000}';
/// Marks the end of a payload value in rendered text.
pub const VALUE_END: char = '\u{E001}';

/// What a `|` from a value becomes inside link text.
const TEXT_PIPE: char = '\u{2223}';

fn is_marker(c: char) -> bool {
    c == VALUE_START || c == VALUE_END
}

/// `text` without [`VALUE_START`] and [`VALUE_END`], so that nothing from a payload can pass for a marker.
pub fn without_markers(text: &str) -> Cow<'_, str> {
    if text.contains(is_marker) {
        Cow::Owned(text.chars().filter(|c| !is_marker(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Appends `value`, escaped for mrkdwn and marked as a payload value, to `out`.
pub fn push_value(value: &str, out: &mut String) {
    out.push(VALUE_START);
    super::escape_into(&without_markers(value), out);
    out.push(VALUE_END);
}

/// Appends text that is already safe for mrkdwn (escaped, or made so by a filter) to `out`, marked as a
/// payload value so that link syntax around it is still guarded.
pub fn push_escaped(text: &str, out: &mut String) {
    out.push(VALUE_START);
    out.push_str(&without_markers(text));
    out.push(VALUE_END);
}

/// Where in link syntax the walk is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Outside,
    /// In the target; `empty` while nothing of it has been written yet.
    Target {
        empty: bool,
    },
    Text,
}

/// The rendered text as it goes to Slack: values inside link syntax neutralised as the module documents, and
/// the markers removed.
pub fn seal(rendered: &str) -> String {
    let mut out = String::with_capacity(rendered.len());
    let mut place = Place::Outside;
    let mut in_value = false;
    for c in rendered.chars() {
        match c {
            VALUE_START => in_value = true,
            VALUE_END => in_value = false,
            _ if in_value => match place {
                Place::Target { empty } => {
                    match (c, empty) {
                        ('|', _) => out.push_str("%7C"),
                        ('!', true) => out.push_str("%21"),
                        ('@', true) => out.push_str("%40"),
                        ('#', true) => out.push_str("%23"),
                        _ => out.push(c),
                    }
                    place = Place::Target { empty: false };
                }
                Place::Text if c == '|' => out.push(TEXT_PIPE),
                _ => out.push(c),
            },
            _ => {
                place = match (c, place) {
                    ('<', _) => Place::Target { empty: true },
                    ('>', _) => Place::Outside,
                    ('|', Place::Target { .. }) => Place::Text,
                    (_, Place::Target { .. }) => Place::Target { empty: false },
                    (_, other) => other,
                };
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        let mut out = String::new();
        push_value(text, &mut out);
        out
    }

    #[test]
    fn values_outside_links_are_only_escaped() {
        let rendered = format!("*{}* a|b", value("<!channel> x|y & <@U1>"));
        assert_eq!(
            seal(&rendered),
            "*&lt;!channel&gt; x|y &amp; &lt;@U1&gt;* a|b"
        );
    }

    #[test]
    fn a_value_in_a_link_target_cannot_add_text_or_become_a_mention() {
        let link = |url: &str, text: &str| format!("<{}|{}>", value(url), value(text));
        assert_eq!(
            seal(&link(
                "https://evil.example|Click here to acknowledge",
                "Dashboard"
            )),
            "<https://evil.example%7CClick here to acknowledge|Dashboard>"
        );
        assert_eq!(seal(&link("!channel", "x")), "<%21channel|x>");
        assert_eq!(seal(&link("@U123", "x")), "<%40U123|x>");
        assert_eq!(seal(&link("#C123", "x")), "<%23C123|x>");
        assert_eq!(
            seal(&link("https://grafana/d/a?x=1&y=2#panel", "x")),
            "<https://grafana/d/a?x=1&amp;y=2#panel|x>",
            "a URL's own # and & survive (Slack reads &amp; in a link as &)"
        );
        assert_eq!(seal(&format!("<{}>", value("!here"))), "<%21here>");
    }

    #[test]
    fn a_value_in_link_text_cannot_change_the_target() {
        let rendered = format!(
            "<https://versus/ack/t|{}>",
            value("x|https://evil> <!channel")
        );
        assert_eq!(
            seal(&rendered),
            "<https://versus/ack/t|x∣https://evil&gt; &lt;!channel>"
        );
    }

    #[test]
    fn the_templates_own_link_syntax_is_kept() {
        let rendered = format!(
            "<{}|Click here to acknowledge> then <mailto:{}|mail> a|b",
            value("https://versus.example.com/api/incidents/ack/abc"),
            value("!ops@example.com")
        );
        assert_eq!(
            seal(&rendered),
            "<https://versus.example.com/api/incidents/ack/abc|Click here to acknowledge> then \
             <mailto:!ops@example.com|mail> a|b"
        );
    }

    #[test]
    fn markers_from_a_payload_are_dropped_and_never_reach_slack() {
        let hostile = format!("a{VALUE_END}|{VALUE_START}b");
        assert_eq!(without_markers(&hostile), "a|b");
        let rendered = format!("<{}|t>", value(&hostile));
        assert_eq!(seal(&rendered), "<a%7Cb|t>");
        assert!(!seal(&format!("{VALUE_START}x{VALUE_END}")).contains(is_marker));
    }
}
