//! What each incident of a loaded fixture must see happen, what did happen, and the difference in words.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::SystemTime;

use serde_json::Value;
use versus_shared::domain::ack_token::AckSigner;

use super::{FixtureIncident, Header, IncidentRole, Installation, QUEUES};
use crate::redis_snapshot::{KeyRecord, KeyValue};
use crate::topology::read_answer;
use crate::Topology;

/// How long after it is due (or after the worker is up, when that is later) an escalation may page.
const PAGE_WITHIN_MS: i64 = 5_000;

pub fn epoch_ms(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What the loaded Redis state asks of the build under test.
#[derive(Debug)]
pub struct Expectations {
    incidents: Vec<Expected>,
    last_due_ms: i64,
    dead_letters: usize,
    ack_secret: String,
}

#[derive(Debug)]
struct Expected {
    incident: FixtureIncident,
    /// When its escalation is due, on the loaded (rebased) clock.
    due_ms: Option<i64>,
    /// The Slack message the release posted: (ts, channel).
    posted: Option<(String, String)>,
    /// Jobs queued for it, by queue and (for Slack updates) reason.
    jobs: BTreeMap<String, usize>,
}

impl Expected {
    fn jobs(&self, kind: &str) -> usize {
        self.jobs.get(kind).copied().unwrap_or(0)
    }

    fn slack_updates(&self) -> usize {
        self.jobs
            .iter()
            .filter(|(kind, _)| kind.starts_with("slack_update"))
            .map(|(_, n)| n)
            .sum()
    }

    fn pages(&self) -> usize {
        usize::from(self.incident.role == IncidentRole::PendingEscalation)
    }

    /// Slack message updates: each queued one, and the "escalated" banner once it pages.
    fn updates(&self) -> usize {
        self.slack_updates() + self.pages()
    }

    fn describe(&self) -> String {
        format!(
            "{:?} ({}, id {}, {:?})",
            self.incident.name, self.incident.marker, self.incident.id, self.incident.role
        )
    }
}

fn hash<'r>(records: &'r HashMap<&str, &KeyRecord>, key: &str) -> BTreeMap<&'r str, &'r str> {
    match records.get(key).map(|r| &r.value) {
        Some(KeyValue::Hash(fields)) => fields
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.text()?)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

impl Expectations {
    /// From the fixture's header and its records as loaded.
    pub fn new(header: &Header, records: &[KeyRecord]) -> Self {
        let by_key: HashMap<&str, &KeyRecord> =
            records.iter().map(|r| (r.key.as_str(), r)).collect();
        let prefix = &header.prefix;
        let mut jobs: HashMap<String, BTreeMap<String, usize>> = HashMap::new();
        let (mut last_due_ms, mut dead_letters) = (0i64, 0);
        for queue in QUEUES {
            for set in ["due", "inflight", "dead"] {
                let key = format!("{prefix}queue:{queue}:{set}");
                let Some(KeyValue::Zset(members)) = by_key.get(key.as_str()).map(|r| &r.value)
                else {
                    continue;
                };
                if set == "dead" {
                    dead_letters += members.len();
                    continue;
                }
                for (id, score) in members {
                    last_due_ms = last_due_ms.max(*score as i64);
                    let job = hash(&by_key, &format!("{prefix}queue:{queue}:job:{id}"));
                    let payload: Value =
                        serde_json::from_str(job.get("payload").copied().unwrap_or("null"))
                            .unwrap_or(Value::Null);
                    let kind = match payload["reason"].as_str() {
                        Some(reason) => format!("{queue}:{reason}"),
                        None => queue.to_string(),
                    };
                    let incident = payload["incident_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    *jobs.entry(incident).or_default().entry(kind).or_default() += 1;
                }
            }
        }
        let incidents = header
            .incidents
            .iter()
            .map(|incident| {
                let fields = hash(&by_key, &format!("{prefix}incident:{}", incident.id));
                let ts = fields.get("slack_ts").filter(|ts| !ts.is_empty());
                Expected {
                    incident: incident.clone(),
                    due_ms: fields.get("due_ms").and_then(|d| d.parse().ok()),
                    posted: ts.map(|ts| {
                        let channel = fields.get("slack_channel").copied().unwrap_or_default();
                        (ts.to_string(), channel.to_string())
                    }),
                    jobs: jobs.remove(&incident.id).unwrap_or_default(),
                }
            })
            .collect();
        Self {
            incidents,
            last_due_ms,
            dead_letters,
            ack_secret: header
                .config
                .env
                .get("VERSUS_ACK_SECRET")
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// The Slack messages the release posted, as (ts, channel).
    pub fn posted_messages(&self) -> Vec<(String, String)> {
        self.incidents
            .iter()
            .filter_map(|e| e.posted.clone())
            .collect()
    }

    /// The latest due time of a queued job.
    pub fn last_due_ms(&self) -> i64 {
        self.last_due_ms
    }

    /// Every way in which `observed` differs from what was expected, one sentence each.
    pub fn problems(&self, observed: &Observed, ready_ms: i64) -> Vec<String> {
        let mut problems = Vec::new();
        for expected in &self.incidents {
            let seen = &observed.incidents[&expected.incident.id];
            let mut say = |what: String| problems.push(format!("{}: {what}", expected.describe()));
            if seen.pages.len() != expected.pages() {
                say(format!(
                    "paged {} time(s), expected {}",
                    seen.pages.len(),
                    expected.pages()
                ));
            }
            if let (Some(due), Some(first)) = (expected.due_ms, seen.pages.first()) {
                if *first < due {
                    say(format!("paged {} ms before it was due", due - first));
                }
                if *first > due.max(ready_ms) + PAGE_WITHIN_MS {
                    say(format!("paged {} ms after it was due", first - due));
                }
            }
            let state = expected.incident.role.final_state();
            if seen.state != state {
                say(format!("ended {}, expected {state}", seen.state));
            }
            if seen.api_state.as_deref() != Some(state) {
                say(format!(
                    "the API's ack link shows {:?}, expected {state}",
                    seen.api_state
                ));
            }
            if expected.pages() > 0 && seen.aws_arn.is_empty() {
                say("no AWS incident recorded".into());
            }
            let posts = expected.jobs("notify");
            if seen.posts != posts {
                say(format!(
                    "posted to Slack {} time(s), expected {posts}",
                    seen.posts
                ));
            }
            if seen.updates != expected.updates() {
                say(format!(
                    "Slack message updated {} time(s), expected {}",
                    seen.updates,
                    expected.updates()
                ));
            }
            let replies = expected.jobs("slack_update:alerts_changed");
            if seen.thread_replies != replies {
                say(format!(
                    "{} thread replies, expected {replies}",
                    seen.thread_replies
                ));
            }
        }
        if observed.dead_letters != self.dead_letters {
            problems.push(format!(
                "{} dead letters, expected {}",
                observed.dead_letters, self.dead_letters
            ));
        }
        problems.extend(
            observed
                .rejected
                .iter()
                .map(|r| format!("a fake refused a call: {r}")),
        );
        problems
    }

    /// One line per incident: what was queued for it and what happened.
    pub fn report(&self, observed: &Observed, ready_ms: i64) -> String {
        let mut text = String::new();
        for expected in &self.incidents {
            let seen = &observed.incidents[&expected.incident.id];
            let pages: Vec<String> = seen
                .pages
                .iter()
                .map(|at| match expected.due_ms {
                    Some(due) => format!("{:+} ms from due", at - due),
                    None => format!("{} ms after start", at - ready_ms),
                })
                .collect();
            let _ = writeln!(
                text,
                "  {}: queued {:?}; state {}, pages [{}], posts {}, updates {}, thread replies {}",
                expected.describe(),
                expected.jobs,
                seen.state,
                pages.join(", "),
                seen.posts,
                seen.updates,
                seen.thread_replies
            );
        }
        text
    }
}

/// What happened to one incident.
#[derive(Debug, Default)]
pub struct Seen {
    state: String,
    aws_arn: String,
    /// StartIncident calls for it, as epoch milliseconds.
    pages: Vec<i64>,
    /// Top-level Slack posts that mention it.
    posts: usize,
    /// Updates of its Slack message.
    updates: usize,
    thread_replies: usize,
    /// The state the API's ack link reports.
    api_state: Option<String>,
}

#[derive(Debug)]
pub struct Observed {
    incidents: HashMap<String, Seen>,
    dead_letters: usize,
    rejected: Vec<String>,
}

impl Observed {
    pub async fn collect(
        topo: &Topology,
        installation: &Installation,
        expectations: &Expectations,
    ) -> Self {
        let signer = AckSigner::new(&expectations.ack_secret);
        let posts = topo.slack.posts();
        let updates = topo.slack.updates();
        let started = topo.ssm.started();
        let mut incidents = HashMap::new();
        for expected in &expectations.incidents {
            let id = &expected.incident.id;
            let fields = topo.incident(id).await;
            let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
            let ts = field("slack_ts");
            let marker = &expected.incident.marker;
            let in_thread = |p: &Value| p["thread_ts"].is_string();
            let seen = Seen {
                state: field("state"),
                aws_arn: field("aws_arn"),
                pages: started
                    .iter()
                    .filter(|s| {
                        s.title
                            .as_deref()
                            .is_some_and(|t| t.contains(marker.as_str()))
                    })
                    .map(|s| epoch_ms(s.received_at_system))
                    .collect(),
                posts: posts
                    .iter()
                    .filter(|p| !in_thread(p) && p.to_string().contains(marker.as_str()))
                    .count(),
                updates: updates
                    .iter()
                    .filter(|u| !ts.is_empty() && u["ts"] == ts.as_str())
                    .count(),
                thread_replies: posts
                    .iter()
                    .filter(|p| !ts.is_empty() && p["thread_ts"] == ts.as_str())
                    .count(),
                api_state: api_state(topo, &signer.ack_url(&installation.api_url, id)).await,
            };
            incidents.insert(id.clone(), seen);
        }
        let mut dead_letters = 0;
        for queue in QUEUES {
            dead_letters += topo.dead_letters(queue).await.len();
        }
        let rejected =
            topo.slack
                .rejected()
                .iter()
                .map(|c| format!("Slack {} answered {}: {}", c.method, c.status, c.response))
                .chain(
                    topo.ssm.rejected().iter().map(|c| {
                        format!("SSM {} answered {}: {}", c.operation, c.status, c.response)
                    }),
                )
                .collect();
        Self {
            incidents,
            dead_letters,
            rejected,
        }
    }
}

/// The state the ack link's JSON answer reports (a GET changes nothing).
async fn api_state(topo: &Topology, url: &str) -> Option<String> {
    let response = topo
        .http()
        .get(url)
        .header("Accept", "application/json")
        .send()
        .await
        .ok()?;
    let (status, answer) = read_answer(response).await;
    (status == 200).then(|| answer["state"].as_str().unwrap_or_default().to_string())
}
