//! What an incident's summary is grouped by in a report, taken from its payload and bounded: the values are
//! the sender's, and each becomes part of a field name in the day's totals.

use crate::domain::alert::{truncate_chars, AlertView};

/// The longest label value kept, in characters; a longer one is cut (with `…`).
pub const MAX_LABEL_CHARS: usize = 64;
/// And in bytes, so that labels in 4-byte characters cost no more than twice plain ones.
pub const MAX_LABEL_BYTES: usize = 128;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportLabels {
    pub alertname: String,
    /// Alertmanager's receiver: the route.
    pub receiver: String,
    pub team: String,
    pub service: String,
}

fn bounded(value: Option<&str>) -> String {
    report_label(value.unwrap_or_default())
}

/// A label value as the report keeps it: control characters (line breaks, tabs, NUL) become spaces, so a
/// value reads the same in every place it is counted, and it is cut to [`MAX_LABEL_CHARS`] and
/// [`MAX_LABEL_BYTES`].
pub fn report_label(value: &str) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut label = truncate_chars(&clean, MAX_LABEL_CHARS);
    if label.len() > MAX_LABEL_BYTES {
        let mut end = MAX_LABEL_BYTES - '…'.len_utf8();
        while !label.is_char_boundary(end) {
            end -= 1;
        }
        label.truncate(end);
        label.push('…');
    }
    label
}

impl ReportLabels {
    pub fn of(view: &AlertView<'_>) -> Self {
        Self {
            alertname: bounded(view.alertname()),
            receiver: bounded(view.receiver()),
            team: bounded(view.team()),
            service: bounded(view.service()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_come_from_the_group_and_are_bounded() {
        let long = "x".repeat(500);
        let payload = json!({
            "receiver": "team-db", "commonLabels": {"alertname": "DiskFull", "team": "storage"},
            "alerts": [{"labels": {"service": long}}]
        });
        let labels = ReportLabels::of(&AlertView::new(&payload));
        assert_eq!(labels.alertname, "DiskFull");
        assert_eq!(labels.receiver, "team-db");
        assert_eq!(labels.team, "storage");
        assert_eq!(labels.service.chars().count(), MAX_LABEL_CHARS);
        let wide = report_label(&"🔥".repeat(60));
        assert!(
            wide.len() <= MAX_LABEL_BYTES && wide.ends_with('…'),
            "{wide}"
        );
        let odd = json!({"commonLabels": {"team": "t\u{0}x\ty"}});
        assert_eq!(ReportLabels::of(&AlertView::new(&odd)).team, "t x y");
        let empty = ReportLabels::of(&AlertView::new(&json!({"text": "hi"})));
        assert_eq!(empty, ReportLabels::default());
    }
}
