//! What Versus reads out of a received payload: Alertmanager v4 webhooks or free-form JSON objects.

mod firing;

pub use firing::{FiringAlert, FiringChange};

use serde_json::Value;
// sha1 and sha2 are built on different `digest` versions (see the workspace Cargo.toml), so each brings
// its own `Digest` trait.
use sha1::{Digest as _, Sha1};
use sha2::{Digest, Sha256};

/// A borrowed view of one received JSON object.
#[derive(Debug, Clone, Copy)]
pub struct AlertView<'a> {
    value: &'a Value,
}

fn non_empty(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl<'a> AlertView<'a> {
    pub fn new(value: &'a Value) -> Self {
        Self { value }
    }

    /// An Alertmanager webhook: it has `groupKey` and an `alerts` array.
    pub fn is_alertmanager(&self) -> bool {
        self.value.get("groupKey").is_some()
            && self.value.get("alerts").is_some_and(Value::is_array)
    }

    pub fn source(&self) -> &'static str {
        if self.is_alertmanager() {
            "alertmanager"
        } else {
            "generic"
        }
    }

    /// `resolved` when the payload says so (`status` / `Status`), else firing.
    pub fn is_resolved(&self) -> bool {
        ["status", "Status"]
            .iter()
            .filter_map(|k| non_empty(self.value.get(*k)))
            .any(|s| s.eq_ignore_ascii_case("resolved"))
    }

    fn alerts(&self) -> &'a [Value] {
        self.value
            .get("alerts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// First non-empty value among common labels, group labels, the first alert's labels, and top-level keys.
    fn label(&self, names: &[&str]) -> Option<&'a str> {
        for name in names {
            for section in ["commonLabels", "groupLabels"] {
                if let Some(v) = non_empty(self.value.get(section).and_then(|s| s.get(*name))) {
                    return Some(v);
                }
            }
            if let Some(v) = self
                .alerts()
                .first()
                .and_then(|a| non_empty(a.get("labels").and_then(|l| l.get(*name))))
            {
                return Some(v);
            }
        }
        names
            .iter()
            .find_map(|name| non_empty(self.value.get(*name)))
    }

    pub fn alertname(&self) -> Option<&'a str> {
        self.label(&[
            "alertname",
            "AlertName",
            "alert_name",
            "ServiceName",
            "service_name",
        ])
    }

    /// Lower-cased severity, if any.
    pub fn severity(&self) -> Option<String> {
        self.label(&["severity", "Severity", "priority"])
            .map(str::to_lowercase)
    }

    /// The `team` label, for the on-call report.
    pub fn team(&self) -> Option<&'a str> {
        self.label(&["team", "Team"])
    }

    /// The `service` label, for the on-call report.
    pub fn service(&self) -> Option<&'a str> {
        self.label(&["service", "ServiceName", "service_name"])
    }

    /// Alertmanager's receiver: the route that delivered the notification.
    pub fn receiver(&self) -> Option<&'a str> {
        non_empty(self.value.get("receiver"))
    }

    pub fn service_or_instance(&self) -> Option<&'a str> {
        self.label(&[
            "service",
            "ServiceName",
            "instance",
            "Instance",
            "job",
            "host",
        ])
    }

    /// One line that says what fired, e.g. `[CRITICAL] HighErrorRate — checkout` (at most `max` chars).
    pub fn title(&self, max: usize) -> String {
        let mut title = String::new();
        if let Some(severity) = self.severity() {
            title.push_str(&format!("[{}] ", severity.to_uppercase()));
        }
        title.push_str(self.alertname().unwrap_or("Alert"));
        if let Some(target) = self
            .service_or_instance()
            .filter(|t| Some(*t) != self.alertname())
        {
            title.push_str(" — ");
            title.push_str(target);
        }
        truncate_chars(&title, max)
    }

    /// A short human summary for pages that show the alert.
    pub fn summary(&self) -> String {
        let annotation = |name: &str| {
            non_empty(
                self.value
                    .get("commonAnnotations")
                    .and_then(|a| a.get(name)),
            )
            .or_else(|| {
                self.alerts()
                    .first()
                    .and_then(|a| non_empty(a.get("annotations").and_then(|x| x.get(name))))
            })
        };
        let text = annotation("summary")
            .or_else(|| annotation("description"))
            .or_else(|| non_empty(self.value.get("Logs")))
            .or_else(|| non_empty(self.value.get("message")))
            .unwrap_or("");
        truncate_chars(text, 500)
    }

    /// Which alerts are firing, order-independent: a change means an alert joined or left the group.
    pub fn alert_signature(&self) -> String {
        let mut firing: Vec<String> = self.firing_alerts().map(|a| a.identity()).collect();
        firing.sort();
        firing.dedup();
        hex_digest(firing.join("\n").as_bytes())
    }

    /// The alerts this payload reports, each as one occurrence of an alert (`fingerprint` and `startsAt`:
    /// an alert that resolves and fires again starts anew), one line each, sorted. Each line is the first
    /// 16 hex digits of the SHA-1 of `fingerprint@startsAt`: short whatever the labels, and what the ingest
    /// script computes with `redis.sha1hex` from a record stored before this field existed.
    pub fn alert_occurrences(&self) -> String {
        let mut digests: Vec<String> = self
            .alerts()
            .iter()
            .filter_map(|alert| {
                let fingerprint = alert.get("fingerprint")?.as_str()?;
                let starts_at = alert.get("startsAt")?.as_str()?;
                let digest = Sha1::new()
                    .chain_update(fingerprint)
                    .chain_update("@")
                    .chain_update(starts_at)
                    .finalize();
                Some(to_hex(&digest[..8]))
            })
            .collect();
        digests.sort_unstable();
        digests.dedup();
        digests.join("\n")
    }

    /// The incident identity of an Alertmanager group, `receiver + groupKey`, encoded so that no two
    /// different pairs share it. A pair without a line break in either part is `receiver\ngroupKey`,
    /// exactly as earlier releases wrote every pair: its one line break can only be the separator, and
    /// keeping it keeps the identity keys of every open incident. Any other pair is the JSON array
    /// `["receiver","groupKey"]`, which has no raw line break and so never equals the first form.
    pub fn group_identity(&self) -> Option<String> {
        let (receiver, group) = self.group_parts()?;
        if receiver.contains('\n') || group.contains('\n') {
            Some(serde_json::json!([receiver, group]).to_string())
        } else {
            Some(format!("{receiver}\n{group}"))
        }
    }

    /// How releases before the unambiguous encoding wrote [`group_identity`](Self::group_identity), when it
    /// differs from it: `receiver\ngroupKey`, which two pairs can share when a part holds a line break.
    /// An incident they opened is still found under it.
    pub fn legacy_group_identity(&self) -> Option<String> {
        let (receiver, group) = self.group_parts()?;
        (receiver.contains('\n') || group.contains('\n')).then(|| format!("{receiver}\n{group}"))
    }

    /// `receiver` (trimmed; empty when missing) and `groupKey` (its JSON text when not a string).
    fn group_parts(&self) -> Option<(&'a str, String)> {
        if !self.is_alertmanager() {
            return None;
        }
        let receiver = non_empty(self.value.get("receiver")).unwrap_or("");
        let group = self.value.get("groupKey").map(|g| {
            g.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| g.to_string())
        })?;
        Some((receiver, group))
    }
}

/// Cuts `text` to at most `max` characters (not bytes), marking the cut with `…`.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Hex SHA-256, for keys derived from client data (bounded length, no special characters).
pub fn hex_digest(bytes: &[u8]) -> String {
    hex_digest_of(&[bytes])
}

/// [`hex_digest`] of the concatenation of `parts`, without building it.
pub fn hex_digest_of(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    to_hex(&hasher.finalize())
}

/// Lower-case hex of `bytes`. Several digests per ingested alert: one string, not a `format!` per byte.
fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alertmanager() -> Value {
        json!({
            "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "receiver": "versus-critical",
            "status": "firing",
            "commonLabels": {"alertname": "HighErrorRate", "severity": "critical", "service": "checkout"},
            "alerts": [
                {"status": "firing", "fingerprint": "aaa", "labels": {"alertname": "HighErrorRate", "instance": "a"},
                 "annotations": {"summary": "Very high error rate"}},
                {"status": "firing", "fingerprint": "bbb", "labels": {"alertname": "HighErrorRate", "instance": "b"}}
            ]
        })
    }

    #[test]
    fn reads_alertmanager_fields() {
        let payload = alertmanager();
        let view = AlertView::new(&payload);
        assert!(view.is_alertmanager());
        assert!(!view.is_resolved());
        assert_eq!(view.title(200), "[CRITICAL] HighErrorRate — checkout");
        assert_eq!(view.summary(), "Very high error rate");
        assert_eq!(
            view.group_identity().unwrap(),
            "versus-critical\n{}:{alertname=\"HighErrorRate\"}"
        );
    }

    fn group(receiver: &str, group_key: &str) -> Value {
        json!({"receiver": receiver, "groupKey": group_key, "alerts": []})
    }

    #[test]
    fn group_identities_of_different_pairs_differ_even_with_line_breaks() {
        let parts = [
            "",
            "a",
            "b",
            "\n",
            "a\n",
            "\nb",
            "a\nb",
            "a\nb\nc",
            "[\"a\",\"b\"]",
        ];
        let mut seen = std::collections::HashMap::new();
        for receiver in parts {
            for group_key in parts {
                let payload = group(receiver, group_key);
                let identity = AlertView::new(&payload).group_identity().unwrap();
                // Receivers are trimmed, so compare the pairs as the identity sees them.
                let pair = (receiver.trim().to_string(), group_key.to_string());
                if let Some(other) = seen.insert(identity.clone(), pair.clone()) {
                    assert_eq!(other, pair, "{identity:?} names two pairs");
                }
            }
        }
        let one = AlertView::new(&group("a\nb", "c")).group_identity();
        let other = AlertView::new(&group("a", "b\nc")).group_identity();
        assert_ne!(one, other);
    }

    #[test]
    fn pairs_without_line_breaks_keep_the_identity_earlier_releases_wrote() {
        let payload = group("versus-critical", "{}:{alertname=\"X\"}");
        let view = AlertView::new(&payload);
        assert_eq!(
            view.group_identity().unwrap(),
            "versus-critical\n{}:{alertname=\"X\"}"
        );
        assert_eq!(view.legacy_group_identity(), None);
        let payload = group("a\nb", "c");
        let view = AlertView::new(&payload);
        assert_eq!(view.group_identity().unwrap(), r#"["a\nb","c"]"#);
        assert_eq!(view.legacy_group_identity().unwrap(), "a\nb\nc");
    }

    #[test]
    fn reads_free_form_fields() {
        let payload = json!({"Logs": "[CRITICAL] boom", "ServiceName": "test-service", "Severity": "critical"});
        let view = AlertView::new(&payload);
        assert_eq!(view.source(), "generic");
        assert_eq!(view.severity().as_deref(), Some("critical"));
        assert_eq!(view.title(200), "[CRITICAL] test-service");
        assert_eq!(view.summary(), "[CRITICAL] boom");
        assert!(view.group_identity().is_none());
    }

    #[test]
    fn signature_changes_only_when_the_firing_set_changes() {
        let mut payload = alertmanager();
        let before = AlertView::new(&payload).alert_signature();
        payload["alerts"].as_array_mut().unwrap().reverse();
        assert_eq!(AlertView::new(&payload).alert_signature(), before);
        payload["alerts"][0]["status"] = json!("resolved");
        assert_ne!(AlertView::new(&payload).alert_signature(), before);
    }

    #[test]
    fn occurrences_name_each_alert_start_once_in_any_order() {
        let mut payload = alertmanager();
        assert_eq!(AlertView::new(&payload).alert_occurrences(), "");
        payload["alerts"][0]["startsAt"] = json!("2026-11-21T03:00:00Z");
        payload["alerts"][1]["startsAt"] = json!("2026-11-21T03:00:05Z");
        let both = AlertView::new(&payload).alert_occurrences();
        let lines: Vec<&str> = both.split('\n').collect();
        assert_eq!(lines.len(), 2, "{both}");
        assert!(lines.iter().all(|l| l.len() == 16), "{both}");
        // The first 16 hex digits of SHA-1("aaa@2026-11-21T03:00:00Z"), as redis.sha1hex gives them.
        assert!(lines.contains(&"c28a72908c9305de"), "{both}");

        payload["alerts"].as_array_mut().unwrap().reverse();
        assert_eq!(AlertView::new(&payload).alert_occurrences(), both);
        payload["alerts"][0]["startsAt"] = json!("2026-11-21T04:00:00Z");
        assert_ne!(AlertView::new(&payload).alert_occurrences(), both);
        assert_eq!(
            AlertView::new(&json!({"Logs": "x"})).alert_occurrences(),
            ""
        );
    }

    #[test]
    fn titles_are_cut_to_length_on_char_boundaries() {
        let name = "é".repeat(300);
        let payload = json!({"alertname": name});
        let title = AlertView::new(&payload).title(200);
        assert!(title.chars().count() <= 200, "{}", title.chars().count());
    }

    #[test]
    fn hex_digest_is_lowercase_sha256() {
        assert_eq!(
            hex_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex_digest_of(&[b"a", b"", b"bc"]), hex_digest(b"abc"));
    }
}
