//! Capturing an upgrade fixture: a released `versus-api` and `versus-worker` run against a private Redis,
//! FakeSlack and FakeSsm, leave work in every state a running installation has, and what Redis then
//! holds is written to `tests/fixtures/upgrade/<commit>/`.
//!
//! CI never runs it: the ignored test `capture` of `tests/tests/upgrade_fixture.rs` does, by hand, once per
//! release whose stored format later releases must read.
//!
//! With the worker running, the release escalates two incidents and posts three more to Slack. Then the
//! worker stops (as in a rolling upgrade) and the API alone acknowledges, resolves and receives alerts, so
//! their notify, escalate and Slack update jobs stay queued. The last escalations are due a few seconds
//! after the capture, which the upgrade test keeps, so it sees them page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use versus_shared::domain::ack_token::AckSigner;

use super::{
    queued_jobs, CaptureConfig, Fixture, FixtureIncident, Header, IncidentRole, Installation,
    FIXTURES_DIR,
};
use crate::alertmanager_webhook::Notification;
use crate::alerts::freeform;
use crate::process::{API_BIN, WORKER_BIN};
use crate::redis_snapshot::{dump, server_time_ms, KeyRecord, KeyValue};
use crate::topology::{read_answer, KEY_PREFIX, TEST_ACK_SECRET};
use crate::{Role, Topology};

/// The settings the fixture's incidents depend on; recorded in its header and given to the release under test.
const RECORDED_ENV: [&str; 6] = [
    "ONCALL_ENABLE",
    "ONCALL_INITIALIZED_ONLY",
    "SLACK_ENABLE",
    "SLACK_CHANNEL_ID",
    "VERSUS_ACK_SECRET",
    "AWS_INCIDENT_MANAGER_RESPONSE_PLAN_ARN",
];

/// A due time closer to the capture than this could pass before the release under test is up.
const LEAST_LEAD: Duration = Duration::from_secs(4);

/// Runs the release in `release` (a directory with its `versus-api`, `versus-worker` and `COMMIT`, the
/// commit they were built from) and writes the fixture of what it left in Redis; returns it.
pub async fn capture(release: &Path) -> Fixture {
    let commit = std::fs::read_to_string(release.join("COMMIT"))
        .unwrap_or_else(|e| panic!("{}/COMMIT: {e}", release.display()))
        .trim()
        .to_string();
    let topo = Topology::builder()
        .apis(0)
        .workers(0)
        .oncall_initialized_only()
        .start()
        .await;
    let mut installation =
        Installation::start(&topo, &release.join(API_BIN), &release.join(WORKER_BIN)).await;
    let mut scenario = Scenario {
        topo: &topo,
        api_url: installation.api_url.clone(),
        incidents: Vec::new(),
    };

    // The worker runs: these are escalated or posted by the release.
    let escalated = scenario
        .freeform("escalated", IncidentRole::Escalated, Some("0"))
        .await;
    let escalated_resolved = scenario
        .group(
            "escalated, then resolved",
            IncidentRole::Resolved,
            Some("0"),
        )
        .await;
    let changed = scenario
        .group(
            "posted, then the group changed",
            IncidentRole::NoOncall,
            None,
        )
        .await;
    scenario
        .wait_posted(&[&escalated, &escalated_resolved, &changed], true)
        .await;
    let posted_acked = scenario
        .freeform("posted, then acked", IncidentRole::Acked, Some("0.12"))
        .await;
    let posted_pending = scenario
        .freeform(
            "posted, escalation pending",
            IncidentRole::PendingEscalation,
            Some("0.12"),
        )
        .await;
    scenario
        .wait_posted(&[&posted_acked, &posted_pending], false)
        .await;
    installation.stop_worker().await;

    // The API alone: what it writes stays queued.
    scenario.ack(&posted_acked).await;
    scenario.resolve(&escalated_resolved).await;
    scenario.change(&changed).await;
    scenario
        .freeform("notify queued", IncidentRole::NoOncall, None)
        .await;
    scenario.acked("acked, escalation overdue", "0").await;
    scenario
        .resolved("resolved before it was posted", "0.1")
        .await;
    scenario.acked("acked before it was posted", "0.1").await;
    scenario
        .freeform(
            "escalation pending",
            IncidentRole::PendingEscalation,
            Some("0.1"),
        )
        .await;
    scenario
        .group(
            "group, escalation pending",
            IncidentRole::PendingEscalation,
            Some("0.13"),
        )
        .await;

    let mut conn = topo.redis_conn().await;
    let captured_at_ms = server_time_ms(&mut conn).await;
    let records = dump(&mut conn, KEY_PREFIX).await;
    scenario.check(&records, captured_at_ms);
    let env: BTreeMap<String, String> = topo
        .process_env(Role::Api, 0)
        .into_iter()
        .filter(|(key, _)| RECORDED_ENV.contains(&key.as_str()))
        .collect();
    let fixture = Fixture {
        dir: PathBuf::from(FIXTURES_DIR).join(&commit[..commit.len().min(12)]),
        header: Header {
            captured_at_ms,
            release_commit: commit,
            prefix: KEY_PREFIX.into(),
            config: CaptureConfig {
                file: "config/config.yaml".into(),
                env,
                redis_server: redis_server_version(),
            },
            incidents: scenario.incidents,
        },
        records,
    };
    fixture.write();
    println!("the release's logs:\n{}", installation.logs());
    fixture
}

struct Scenario<'a> {
    topo: &'a Topology,
    api_url: String,
    incidents: Vec<FixtureIncident>,
}

impl Scenario<'_> {
    /// A free-form alert; `wait_minutes` is its on-call wait, `None` for no on-call.
    async fn freeform(
        &mut self,
        name: &str,
        role: IncidentRole,
        wait_minutes: Option<&str>,
    ) -> FixtureIncident {
        let marker = self.next_marker();
        self.create(name, role, &marker, freeform(&marker), wait_minutes)
            .await
    }

    /// A free-form on-call alert, acknowledged at once.
    async fn acked(&mut self, name: &str, wait_minutes: &str) {
        let incident = self
            .freeform(name, IncidentRole::Acked, Some(wait_minutes))
            .await;
        self.ack(&incident).await;
    }

    /// An on-call Alertmanager group, resolved at once.
    async fn resolved(&mut self, name: &str, wait_minutes: &str) {
        let incident = self
            .group(name, IncidentRole::Resolved, Some(wait_minutes))
            .await;
        self.resolve(&incident).await;
    }

    /// An Alertmanager group of two alerts.
    async fn group(
        &mut self,
        name: &str,
        role: IncidentRole,
        wait_minutes: Option<&str>,
    ) -> FixtureIncident {
        let marker = self.next_marker();
        self.create(
            name,
            role,
            &marker,
            alert_group(&marker, "firing", 2),
            wait_minutes,
        )
        .await
    }

    fn next_marker(&self) -> String {
        format!("upgrade-{:02}", self.incidents.len() + 1)
    }

    async fn create(
        &mut self,
        name: &str,
        role: IncidentRole,
        marker: &str,
        body: Value,
        wait_minutes: Option<&str>,
    ) -> FixtureIncident {
        let query = match wait_minutes {
            Some(wait) => format!("oncall_enable=true&oncall_wait_minutes={wait}"),
            None => String::new(),
        };
        let answer = self.post(&query, &body).await;
        assert_eq!(answer["outcome"], "created", "{name}: {answer}");
        let incident = FixtureIncident {
            name: name.into(),
            id: answer["id"].as_str().expect("an id").into(),
            marker: marker.into(),
            role,
        };
        self.incidents.push(incident.clone());
        incident
    }

    async fn post(&self, query: &str, body: &Value) -> Value {
        let url = format!("{}/api/incidents?{query}", self.api_url);
        let response = self.topo.http().post(&url).json(body).send().await;
        let (status, answer) = read_answer(response.unwrap_or_else(|e| panic!("{url}: {e}"))).await;
        assert_eq!(status, 201, "POST {url}: {answer}");
        answer
    }

    /// Acknowledges through the ack link, as a person does.
    async fn ack(&self, incident: &FixtureIncident) {
        let signer = AckSigner::new(TEST_ACK_SECRET);
        let url = signer.ack_url(&self.api_url, &incident.id);
        let response = self
            .topo
            .http()
            .post(&url)
            .header("Accept", "application/json");
        let (status, answer) = read_answer(response.send().await.expect("ack")).await;
        assert_eq!(
            (status, &answer["result"]),
            (200, &json!("acked")),
            "{}: {answer}",
            incident.name
        );
    }

    /// Alertmanager reports the group resolved.
    async fn resolve(&self, incident: &FixtureIncident) {
        let answer = self
            .post("", &alert_group(&incident.marker, "resolved", 2))
            .await;
        assert_eq!(answer["outcome"], "resolved", "{}: {answer}", incident.name);
    }

    /// Alertmanager reports one more alert firing in the group.
    async fn change(&self, incident: &FixtureIncident) {
        let answer = self
            .post("", &alert_group(&incident.marker, "firing", 3))
            .await;
        assert_eq!(answer["outcome"], "updated", "{}: {answer}", incident.name);
    }

    /// Waits until the release posted each incident to Slack; with `paged`, also until it escalated the
    /// on-call ones and ran every job.
    async fn wait_posted(&self, incidents: &[&FixtureIncident], paged: bool) {
        for incident in incidents {
            let (done, fields) = self
                .topo
                .wait_incident(&incident.id, Duration::from_secs(20), |f| {
                    let escalated = !paged
                        || incident.role == IncidentRole::NoOncall
                        || f.get("aws_arn").is_some_and(|a| !a.is_empty());
                    escalated && f.get("slack_ts").is_some_and(|t| !t.is_empty())
                })
                .await;
            assert!(
                done,
                "{}: the release did not get there: {fields:?}",
                incident.name
            );
        }
        if paged {
            let mut conn = self.topo.redis_conn().await;
            let deadline = Instant::now() + Duration::from_secs(20);
            while queued_jobs(&mut conn, KEY_PREFIX).await > 0 {
                assert!(
                    Instant::now() < deadline,
                    "the release's jobs did not finish"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Every incident is in the state its role says, and every escalation still to come is due far enough
    /// after the capture for the release under test to be up by then.
    fn check(&self, records: &[KeyRecord], captured_at_ms: i64) {
        for incident in &self.incidents {
            let key = format!("{KEY_PREFIX}incident:{}", incident.id);
            let fields = records
                .iter()
                .find(|r| r.key == key)
                .map(|r| match &r.value {
                    KeyValue::Hash(fields) => fields.clone(),
                    other => panic!("{key} is not a hash: {other:?}"),
                })
                .unwrap_or_else(|| panic!("{}: no record {key}", incident.name));
            let text = |name: &str| fields.get(name).and_then(|v| v.text()).unwrap_or_default();
            let expected = match incident.role {
                IncidentRole::PendingEscalation => "pending",
                role => role.final_state(),
            };
            assert_eq!(text("state"), expected, "{}: {fields:?}", incident.name);
            if incident.role == IncidentRole::PendingEscalation {
                let due: i64 = text("due_ms").parse().expect("a due time");
                assert!(
                    due - captured_at_ms >= LEAST_LEAD.as_millis() as i64,
                    "{}: due {} ms after the capture; capture again on a less busy machine",
                    incident.name,
                    due - captured_at_ms
                );
            }
        }
    }
}

/// An Alertmanager webhook of the group named `marker` with its first `alerts` alerts (at most three).
fn alert_group(marker: &str, status: &str, alerts: usize) -> Value {
    let mut body = Notification::sample().to_json();
    body["groupKey"] = json!(format!("{{}}:{{alertname=\"{marker}\"}}"));
    body["status"] = json!(status);
    body["groupLabels"] = json!({ "alertname": marker });
    body["commonLabels"]["alertname"] = json!(marker);
    let all = body["alerts"].as_array().cloned().unwrap_or_default();
    body["alerts"] = all
        .into_iter()
        .take(alerts)
        .map(|mut alert| {
            alert["status"] = json!(status);
            alert["labels"]["alertname"] = json!(marker);
            if status == "resolved" {
                alert["endsAt"] = json!("2024-01-02T16:00:00Z");
            }
            alert
        })
        .collect();
    body
}

fn redis_server_version() -> String {
    std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default()
}
