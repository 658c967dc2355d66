//! The warning at the top of an incident's message when its webhook URL carried query parameters Versus does
//! not know: the alert was accepted and handled with the defaults, and the receiver URL needs fixing.

use versus_shared::domain::mrkdwn;
use versus_shared::domain::query_parameters::{UnknownParameters, OURS};
use versus_shared::domain::spelling::closest;

/// `text` with one warning line per unknown parameter above it (names escaped for mrkdwn), or as it is.
pub fn with_parameter_warnings(unknown: &UnknownParameters, text: String) -> String {
    if unknown.is_empty() {
        return text;
    }
    let mut lines: Vec<String> = unknown
        .names()
        .iter()
        .map(|name| {
            let mut line = format!(
                ":warning: unknown parameter `{}` ignored: check the receiver URL",
                mrkdwn::escape(name)
            );
            if let Some(known) = closest(name, OURS.iter().copied()) {
                line.push_str(&format!(" (did you mean `{known}`?)"));
            }
            line
        })
        .collect();
    if unknown.more() > 0 {
        lines.push(format!(
            ":warning: {} more unknown parameter(s) ignored",
            unknown.more()
        ));
    }
    lines.push(text);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unknown_name_gets_an_escaped_warning_line_above_the_text() {
        let mut unknown = UnknownParameters::default();
        unknown.add("oncall_enabled");
        unknown.add("<!channel>");
        let text = with_parameter_warnings(&unknown, "*the alert*".into());
        assert_eq!(
            text,
            ":warning: unknown parameter `oncall_enabled` ignored: check the receiver URL (did you mean `oncall_enable`?)\n\
             :warning: unknown parameter `&lt;!channel&gt;` ignored: check the receiver URL\n\
             *the alert*"
        );
    }

    #[test]
    fn many_names_are_counted_and_none_leaves_the_text_alone() {
        let mut unknown = UnknownParameters::default();
        for n in 0..9 {
            unknown.add(&format!("x{n}"));
        }
        let text = with_parameter_warnings(&unknown, "body".into());
        assert_eq!(text.lines().count(), 5 + 1 + 1, "{text}");
        assert!(
            text.contains(":warning: 4 more unknown parameter(s) ignored\nbody"),
            "{text}"
        );
        assert_eq!(
            with_parameter_warnings(&UnknownParameters::default(), "body".into()),
            "body"
        );
    }
}
