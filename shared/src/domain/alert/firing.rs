//! The firing alerts of an Alertmanager group: which alert is which, and which started or stopped firing
//! from one payload to the next.

use super::{non_empty, AlertView};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One alert of a payload that is not `resolved`.
#[derive(Debug, Clone, Copy)]
pub struct FiringAlert<'a> {
    alert: &'a Value,
    common_labels: Option<&'a Map<String, Value>>,
}

impl<'a> FiringAlert<'a> {
    pub(super) fn new(alert: &'a Value, common_labels: Option<&'a Map<String, Value>>) -> Self {
        Self {
            alert,
            common_labels,
        }
    }

    /// What tells the alert apart from the others of its group: its fingerprint, else its labels as JSON.
    pub fn identity(&self) -> String {
        match non_empty(self.alert.get("fingerprint")) {
            Some(fingerprint) => fingerprint.to_string(),
            None => self
                .alert
                .get("labels")
                .map(Value::to_string)
                .unwrap_or_default(),
        }
    }

    /// Its `alertname` label.
    pub fn alertname(&self) -> Option<&'a str> {
        self.alert["labels"]["alertname"].as_str()
    }

    /// The labels that set it apart in its group: those the group's common labels lack or hold another value of.
    pub fn own_labels(&self) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
        let common = self.common_labels;
        self.alert["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(move |(key, value)| common.and_then(|c| c.get(*key)) != Some(*value))
    }
}

impl<'a> AlertView<'a> {
    /// The alerts that are not `resolved`, in the payload's order.
    pub fn firing_alerts(&self) -> impl Iterator<Item = FiringAlert<'a>> + 'a {
        let common_labels = self.value.get("commonLabels").and_then(Value::as_object);
        self.alerts()
            .iter()
            .filter(|alert| alert.get("status").and_then(Value::as_str) != Some("resolved"))
            .map(move |alert| FiringAlert::new(alert, common_labels))
    }

    /// The firing alerts by [`FiringAlert::identity`]: an alert listed twice counts once.
    pub fn firing_by_identity(&self) -> BTreeMap<String, FiringAlert<'a>> {
        self.firing_alerts()
            .map(|alert| (alert.identity(), alert))
            .collect()
    }
}

/// How a group's firing alerts changed from one payload to the next. Each list is in identity order.
#[derive(Debug)]
pub struct FiringChange<'a> {
    /// The alerts firing now, by identity.
    pub firing: BTreeMap<String, FiringAlert<'a>>,
    /// Firing now and not before.
    pub started: Vec<FiringAlert<'a>>,
    /// Firing before and not now.
    pub stopped: Vec<FiringAlert<'a>>,
}

impl<'a> FiringChange<'a> {
    /// The change from `before` to `now`; with no earlier payload, nothing is known to have started or stopped.
    pub fn between(before: Option<AlertView<'a>>, now: AlertView<'a>) -> Self {
        let firing = now.firing_by_identity();
        let was = before
            .map(|before| before.firing_by_identity())
            .unwrap_or_default();
        let only_in = |these: &BTreeMap<String, FiringAlert<'a>>,
                       those: &BTreeMap<String, FiringAlert<'a>>| {
            these
                .iter()
                .filter(|(identity, _)| !those.contains_key(*identity))
                .map(|(_, alert)| *alert)
                .collect()
        };
        let (started, stopped) = if before.is_some() {
            (only_in(&firing, &was), only_in(&was, &firing))
        } else {
            (Vec::new(), Vec::new())
        };
        Self {
            firing,
            started,
            stopped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group(alerts: Value) -> Value {
        json!({
            "groupKey": "{}:{alertname=\"HighErrorRate\"}",
            "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
            "alerts": alerts,
        })
    }

    #[test]
    fn identity_is_the_fingerprint_else_the_labels() {
        let payload = group(json!([
            {"fingerprint": " fp1 ", "labels": {"instance": "a"}},
            {"fingerprint": "", "labels": {"instance": "b"}},
            {"status": "resolved", "fingerprint": "gone"},
        ]));
        let identities: Vec<String> = AlertView::new(&payload)
            .firing_alerts()
            .map(|a| a.identity())
            .collect();
        assert_eq!(identities, ["fp1", r#"{"instance":"b"}"#]);
        // The signature stored with an incident is the digest of the same identities, sorted.
        assert_eq!(
            AlertView::new(&payload).alert_signature(),
            super::super::hex_digest(b"fp1\n{\"instance\":\"b\"}")
        );
    }

    #[test]
    fn own_labels_leave_out_the_common_ones() {
        let payload = group(json!([{"labels": {
            "alertname": "HighErrorRate", "severity": "warning", "instance": "a"
        }}]));
        let alert = AlertView::new(&payload).firing_alerts().next().unwrap();
        let own: Vec<&str> = alert.own_labels().map(|(k, _)| k.as_str()).collect();
        assert_eq!(own, ["instance", "severity"]);
        assert_eq!(alert.alertname(), Some("HighErrorRate"));
    }

    #[test]
    fn change_names_started_and_stopped_alerts_once() {
        let before = group(json!([
            {"fingerprint": "a"}, {"fingerprint": "b"}, {"fingerprint": "b"}
        ]));
        let after = group(json!([
            {"fingerprint": "c"}, {"fingerprint": "b"}, {"fingerprint": "a", "status": "resolved"}
        ]));
        let change = FiringChange::between(Some(AlertView::new(&before)), AlertView::new(&after));
        let ids = |alerts: &[FiringAlert]| alerts.iter().map(|a| a.identity()).collect::<Vec<_>>();
        assert_eq!(change.firing.len(), 2);
        assert_eq!(ids(&change.started), ["c"]);
        assert_eq!(ids(&change.stopped), ["a"]);

        let unknown = FiringChange::between(None, AlertView::new(&after));
        assert_eq!(unknown.firing.len(), 2);
        assert!(unknown.started.is_empty() && unknown.stopped.is_empty());
    }
}
