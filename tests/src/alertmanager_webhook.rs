//! Alertmanager's webhook notifications (payload version 4), as Versus receives them: the one builder every
//! test uses, and the few notifications several tests share.
//!
//! A notification is a group (receiver, group key, labels) with its alerts. The group's `status` is never
//! set by hand: it is `firing` while any alert fires, as Alertmanager sends it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Label or annotation names and values.
pub type Labels = BTreeMap<String, String>;

/// `endsAt` of an alert that still fires: Go's zero time, as Alertmanager writes it.
pub const STILL_FIRING: &str = "0001-01-01T00:00:00Z";

const FIRING: &str = "firing";
const RESOLVED: &str = "resolved";

/// One webhook body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    version: String,
    group_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    truncated_alerts: Option<u64>,
    status: String,
    receiver: String,
    group_labels: Labels,
    common_labels: Labels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    common_annotations: Option<Labels>,
    #[serde(
        rename = "externalURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    external_url: Option<String>,
    alerts: Vec<NotifiedAlert>,
}

/// One alert of a notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifiedAlert {
    status: String,
    labels: Labels,
    annotations: Labels,
    starts_at: String,
    ends_at: String,
    #[serde(
        rename = "generatorURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    generator_url: Option<String>,
    fingerprint: String,
}

/// Names and values as [`Labels`].
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Notification {
    /// The realistic sample the product ships for `--check` and its documentation: three firing alerts of
    /// `HighErrorRate` for receiver `versus-critical`.
    pub fn sample() -> Self {
        serde_json::from_str(versus_shared::domain::template::SAMPLE_ALERTMANAGER_JSON)
            .expect("the product's sample is a v4 notification")
    }

    /// The group `group_key` of `receiver`, with these group labels, no common labels and no alerts yet.
    pub fn group(receiver: &str, group_key: &str, group_labels: &[(&str, &str)]) -> Self {
        Self {
            version: "4".into(),
            group_key: group_key.into(),
            truncated_alerts: None,
            status: RESOLVED.into(),
            receiver: receiver.into(),
            group_labels: labels(group_labels),
            common_labels: Labels::new(),
            common_annotations: None,
            external_url: None,
            alerts: Vec::new(),
        }
    }

    pub fn common_labels(mut self, pairs: &[(&str, &str)]) -> Self {
        self.common_labels = labels(pairs);
        self
    }

    pub fn common_annotations(mut self, pairs: &[(&str, &str)]) -> Self {
        self.common_annotations = Some(labels(pairs));
        self
    }

    /// The `externalURL` of the Alertmanager that sent it.
    pub fn external_url(mut self, url: &str) -> Self {
        self.external_url = Some(url.into());
        self
    }

    /// `truncatedAlerts`: how many alerts Alertmanager left out.
    pub fn truncated_alerts(mut self, n: u64) -> Self {
        self.truncated_alerts = Some(n);
        self
    }

    /// Adds an alert after those already there.
    pub fn alert(mut self, alert: NotifiedAlert) -> Self {
        self.alerts.push(alert);
        self.refresh_status();
        self
    }

    /// Resolves every alert at `ends_at`.
    pub fn resolved_at(mut self, ends_at: &str) -> Self {
        self.alerts = self
            .alerts
            .into_iter()
            .map(|a| a.resolved_at(ends_at))
            .collect();
        self.refresh_status();
        self
    }

    /// The webhook body.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a notification serialises")
    }

    fn refresh_status(&mut self) {
        let firing = self.alerts.iter().any(|a| a.status == FIRING);
        self.status = if firing { FIRING } else { RESOLVED }.into();
    }
}

impl NotifiedAlert {
    /// An alert with these labels firing since `starts_at`, without annotations.
    pub fn firing(labels: Labels, starts_at: &str, fingerprint: &str) -> Self {
        Self {
            status: FIRING.into(),
            labels,
            annotations: Labels::new(),
            starts_at: starts_at.into(),
            ends_at: STILL_FIRING.into(),
            generator_url: None,
            fingerprint: fingerprint.into(),
        }
    }

    pub fn annotations(mut self, pairs: &[(&str, &str)]) -> Self {
        self.annotations = labels(pairs);
        self
    }

    /// The `generatorURL` of the rule that fired it.
    pub fn generator_url(mut self, url: &str) -> Self {
        self.generator_url = Some(url.into());
        self
    }

    /// The same alert, resolved at `ends_at`.
    pub fn resolved_at(mut self, ends_at: &str) -> Self {
        self.status = RESOLVED.into();
        self.ends_at = ends_at.into();
        self
    }
}

/// The group `alertname=<alert>` of receiver `versus-critical` for service `checkout`, with one firing alert
/// per instance in the given order; resolve it with [`Notification::resolved_at`]
/// ([`CHECKOUT_RESOLVED_AT`]).
pub fn checkout_group(alert: &str, instances: &[&str]) -> Notification {
    let group = Notification::group(
        "versus-critical",
        &format!("{{}}:{{alertname=\"{alert}\"}}"),
        &[("alertname", alert)],
    )
    .common_labels(&[
        ("alertname", alert),
        ("service", "checkout"),
        ("severity", "critical"),
    ])
    .common_annotations(&[])
    .external_url("http://alertmanager-0:9093")
    .truncated_alerts(0);
    instances.iter().fold(group, |group, instance| {
        let labels = labels(&[
            ("alertname", alert),
            ("instance", instance),
            ("service", "checkout"),
            ("severity", "critical"),
        ]);
        let summary = format!("{alert} on {instance}");
        group.alert(
            NotifiedAlert::firing(
                labels,
                CHECKOUT_STARTS_AT,
                &format!("fp-{alert}-{instance}"),
            )
            .annotations(&[("summary", &summary)]),
        )
    })
}

/// When the alerts of a [`checkout_group`] started.
pub const CHECKOUT_STARTS_AT: &str = "2024-01-02T15:04:05Z";
/// When a resolved [`checkout_group`] ended.
pub const CHECKOUT_RESOLVED_AT: &str = "2024-01-02T15:34:05Z";
