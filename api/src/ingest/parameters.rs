//! The query parameters a webhook carries that Versus does not use. None of them costs the alert (see
//! [`versus_shared::domain::query_parameters`]): Versus Incident's are logged, one line each; unknown ones are
//! logged, counted in `versus_ingest_unknown_parameters_total{name}`, and stored with the incident so that its
//! Slack message warns about them.

use std::collections::HashSet;
use std::sync::Mutex;
use versus_shared::domain::query_parameters::{kind_of, ParameterKind, UnknownParameters};

/// Sorts the parameters of `query` (already known to parse), logs and counts those Versus does not use, and
/// returns the unknown ones.
pub fn unused_parameters(query: &str) -> UnknownParameters {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut unknown = UnknownParameters::default();
    let mut seen = HashSet::new();
    for (name, _) in &pairs {
        if !seen.insert(name.as_str()) {
            continue;
        }
        match kind_of(name) {
            ParameterKind::Ours => {}
            ParameterKind::Reserved => {
                tracing::debug!(parameter = %name, "reserved query parameter dropped")
            }
            ParameterKind::VersusIncidentOnly(feature) => tracing::info!(
                parameter = %name,
                "query parameter {name} is Versus Incident's, for {feature}, which this release does not have; ignored"
            ),
            ParameterKind::Unknown => {
                metrics::counter!("versus_ingest_unknown_parameters_total", "name" => UNKNOWN_NAME_LABELS.label(name))
                    .increment(1);
                unknown.add(name);
            }
        }
    }
    if !unknown.is_empty() {
        tracing::warn!(
            parameters = ?unknown.names(),
            more = unknown.more(),
            "unknown query parameter(s) ignored, the alert is handled with the defaults; check the receiver URL"
        );
    }
    unknown
}

/// The label of an unknown name is the sender's text: a hostile sender could make a series per request. Only
/// the first [`LABELLED_NAMES_MAX`] distinct plain names get a series of their own; the rest share "other".
pub const LABELLED_NAMES_MAX: usize = 32;
/// A name longer than this, or with other characters than letters, digits, `_`, `-` and `.`, is "other".
pub const LABEL_CHARS_MAX: usize = 40;
pub const OTHER_LABEL: &str = "other";

static UNKNOWN_NAME_LABELS: LabelBudget = LabelBudget::new(LABELLED_NAMES_MAX);

/// Hands out at most `max` distinct labels for the life of the process.
pub struct LabelBudget {
    max: usize,
    given: Mutex<Option<HashSet<String>>>,
}

impl LabelBudget {
    pub const fn new(max: usize) -> Self {
        Self {
            max,
            given: Mutex::new(None),
        }
    }

    pub fn label(&self, name: &str) -> String {
        let plain = !name.is_empty()
            && name.len() <= LABEL_CHARS_MAX
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !plain {
            return OTHER_LABEL.into();
        }
        let mut given = self.given.lock().unwrap_or_else(|e| e.into_inner());
        let given = given.get_or_insert_with(HashSet::new);
        if given.contains(name) || given.len() < self.max {
            given.insert(name.to_string());
            name.to_string()
        } else {
            OTHER_LABEL.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unknown_names_and_leaves_ours_and_versus_incidents_out() {
        let unknown = unused_parameters(
            "oncall_enable=false&oncall_enabled=false&telegram_chat_id=1&incident_source=x&slack_channel_id=C1&typo=1&typo=2",
        );
        assert_eq!(unknown.names(), ["oncall_enabled", "typo"]);
        assert_eq!(unknown.more(), 0);
        assert!(unused_parameters("oncall_wait_minutes=5&dedup_key=a").is_empty());
        assert!(unused_parameters("").is_empty());
    }

    #[test]
    fn a_thousand_parameters_keep_a_few_names_and_count_the_rest() {
        let query: Vec<String> = (0..1000).map(|n| format!("p{n}=1")).collect();
        let unknown = unused_parameters(&query.join("&"));
        assert_eq!(unknown.names().len(), 5);
        assert_eq!(unknown.more(), 995);
    }

    #[test]
    fn label_values_are_bounded_in_number_and_form() {
        let budget = LabelBudget::new(2);
        assert_eq!(budget.label("oncall_enabled"), "oncall_enabled");
        assert_eq!(budget.label("a b"), OTHER_LABEL);
        assert_eq!(budget.label(&"x".repeat(41)), OTHER_LABEL);
        assert_eq!(budget.label("second"), "second");
        assert_eq!(budget.label("third"), OTHER_LABEL);
        assert_eq!(budget.label("oncall_enabled"), "oncall_enabled");
    }
}
