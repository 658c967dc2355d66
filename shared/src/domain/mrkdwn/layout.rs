//! How a rendered message is laid out before it goes to Slack.

/// Line endings to `\n`, trailing spaces off every line, runs of blank lines down to one, and no blank lines at
/// either end. Templates written for Go produce many blank lines; Slack shows them all.
pub fn normalize_lines(text: &str) -> String {
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
