//! After the faults: wait until the queues are empty, then hold every accepted incident to what the
//! sender was told: a Slack message (found by the incident's marker, and the one Redis recorded), exactly
//! one AWS incident (`clientToken` `versus-{id}`) when it was on-call and nobody acknowledged or resolved it
//! in time, none otherwise, and nothing paged that was never accepted.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::Value;
use versus_tests::{poll_until, Topology};

use super::chaos::FaultReport;
use super::load::Record;
use super::scenario::{find_marker, Kind};

pub const QUEUES: [&str; 4] = ["notify", "escalate", "slack_update", "aws_resolve"];

/// How long the queues must stay empty for [`settle`].
const QUIET: Duration = Duration::from_millis(500);

/// Waits until no queue has had a job due, scheduled or in flight for [`QUIET`], within `limit`.
pub async fn settle(topo: &Topology, limit: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    let mut quiet_since: Option<Instant> = None;
    let mut last = String::new();
    let settled = poll_until(limit, async || {
        let mut conn = topo.redis_conn().await;
        let mut busy = Vec::new();
        for queue in QUEUES {
            let due: u64 = conn
                .zcard(topo.key(&format!("queue:{queue}:due")))
                .await
                .unwrap_or(1);
            let inflight: u64 = conn
                .zcard(topo.key(&format!("queue:{queue}:inflight")))
                .await
                .unwrap_or(1);
            if due + inflight > 0 {
                busy.push(format!("{queue}: {due} due, {inflight} in flight"));
            }
        }
        if !busy.is_empty() {
            quiet_since = None;
            last = busy.join("; ");
            return false;
        }
        quiet_since.get_or_insert_with(Instant::now).elapsed() >= QUIET
    })
    .await;
    settled
        .map(|()| started.elapsed())
        .ok_or_else(|| format!("queues still busy after {limit:?}: {last}"))
}

/// The counts of the summary line, and what went wrong.
#[derive(Debug, Default)]
pub struct Summary {
    pub accepted: usize,
    pub unaccepted: usize,
    pub notified: usize,
    pub escalated: usize,
    pub suppressed: usize,
    pub late_handled: usize,
    pub lost: usize,
    pub duplicate_pages: usize,
    pub duplicate_slack_posts: usize,
    /// StartIncident calls that repeated a clientToken (harmless: AWS returns the same incident).
    pub repeated_start_calls: usize,
    pub dead_letters: BTreeMap<String, u64>,
    pub duplicate_examples: Vec<String>,
    /// Messages whose last post or update does not show the incident's final state.
    pub stale_slack_messages: usize,
    pub stale_examples: Vec<String>,
    pub problems: Vec<String>,
}

impl Summary {
    pub fn line(&self, faults: &FaultReport) -> String {
        format!(
            "faults: accepted={} notified={} escalated={} suppressed={} lost={} duplicate_pages={} duplicate_slack_posts={} worker_kills={} redis_restarts={}",
            self.accepted,
            self.notified,
            self.escalated,
            self.suppressed,
            self.lost,
            self.duplicate_pages,
            self.duplicate_slack_posts,
            faults.worker_kills,
            faults.redis_restarts
        )
    }

    fn problem(&mut self, what: String) {
        self.problems.push(what);
    }
}

/// The fields of an incident hash the check reads.
const FIELDS: [&str; 5] = [
    "state",
    "slack_ts",
    "resolved_from",
    "aws_arn",
    "page_failed",
];

async fn incident_hashes(topo: &Topology, ids: &[&str]) -> Vec<HashMap<&'static str, String>> {
    let mut conn = topo.redis_conn().await;
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut pipe = redis::pipe();
        for id in chunk {
            pipe.cmd("HMGET")
                .arg(topo.key(&format!("incident:{id}")))
                .arg(&FIELDS[..]);
        }
        let rows: Vec<Vec<Option<String>>> = pipe
            .query_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("reading incidents failed: {e}"));
        for row in rows {
            out.push(
                FIELDS
                    .iter()
                    .zip(row)
                    .filter_map(|(k, v)| v.map(|v| (*k, v)))
                    .collect(),
            );
        }
    }
    out
}

/// Top-level incident messages (not thread replies) by incident index: the ts of each post and when it
/// arrived (seconds since `start`).
fn slack_posts(topo: &Topology, start: Instant) -> HashMap<usize, Vec<(String, f64)>> {
    let mut posts: HashMap<usize, Vec<(String, f64)>> = HashMap::new();
    for call in topo.slack.calls() {
        let Some(body) = &call.body else { continue };
        let is_message = body.get("blocks").is_some() || body.get("attachments").is_some();
        if call.method != "chat.postMessage"
            || !call.outcome.is_accepted()
            || !is_message
            || body.get("thread_ts").is_some()
        {
            continue;
        }
        if let (Some(idx), Some(ts)) = (find_marker(&call.raw_body), call.response["ts"].as_str()) {
            let at = call
                .received_at
                .saturating_duration_since(start)
                .as_secs_f64();
            posts.entry(idx).or_default().push((ts.to_string(), at));
        }
    }
    posts
}

/// The text of the last accepted post or update of each Slack message, by ts (calls are in answer order).
fn last_contents(topo: &Topology) -> HashMap<String, String> {
    let mut last = HashMap::new();
    for call in topo.slack.calls() {
        if !call.outcome.is_accepted() {
            continue;
        }
        let ts = match call.method.as_str() {
            "chat.postMessage" => call.response["ts"].as_str(),
            "chat.update" => call.body.as_ref().and_then(|b| b["ts"].as_str()),
            _ => None,
        };
        if let Some(ts) = ts {
            last.insert(ts.to_string(), call.raw_body.clone());
        }
    }
    last
}

/// Whether a message's last content shows the incident's final state (its status banner).
fn shows_state(content: &str, state: &str, aws_arn: &str) -> bool {
    match state {
        "acked" => content.contains("Acknowledged by"),
        "escalated" => content.contains("Escalated to on-call at") && content.contains(aws_arn),
        "resolved" => content.contains("Resolved at"),
        _ => true,
    }
}

/// Whether the incident must have paged, judged from what the sender was told; None when the sender
/// cannot know (an ack or resolve that arrived after the wait) and the state machine's winner decides.
fn must_page(record: &Record) -> Option<bool> {
    match record.plan.kind {
        Kind::Plain => Some(false),
        Kind::Unacked => Some(true),
        Kind::Acked => match record.ack_result.as_deref() {
            Some("acked") | Some("already_acked") => Some(false),
            Some("escalated") => Some(true),
            _ => None,
        },
        Kind::Resolved if record.resolved_in_time() => Some(false),
        Kind::Resolved => None,
    }
}

pub async fn check(topo: &Topology, records: &[Record], start: Instant) -> Summary {
    let mut s = Summary::default();
    for record in records.iter().filter(|r| r.id.is_none()) {
        s.unaccepted += 1;
        s.problem(format!(
            "{} never accepted: {:?}",
            record.plan.marker, record.problems
        ));
    }
    let accepted: Vec<&Record> = records.iter().filter(|r| r.id.is_some()).collect();
    let ids: Vec<&str> = accepted.iter().filter_map(|r| r.id.as_deref()).collect();
    s.accepted = accepted.len();
    let hashes = incident_hashes(topo, &ids).await;
    let posts = slack_posts(topo, start);
    let tokens = topo.ssm.incidents_by_token();
    let contents = last_contents(topo);

    let mut known_tokens = 0;
    for (record, hash) in accepted.iter().zip(&hashes) {
        let id = record.id.as_deref().unwrap_or_default();
        let marker = &record.plan.marker;
        for problem in &record.problems {
            s.problem(format!("{marker} ({id}): {problem}"));
        }
        let mut lost = false;
        let state = hash.get("state").map(String::as_str).unwrap_or("");
        if state.is_empty() {
            lost = true;
            s.problem(format!("{marker} ({id}) was accepted but is not in Redis"));
        }
        let mine = posts
            .get(&record.plan.idx)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if mine.is_empty() {
            lost = true;
            s.problem(format!("{marker} ({id}, {state}) has no Slack message"));
        } else {
            s.notified += 1;
            s.duplicate_slack_posts += mine.len() - 1;
            if mine.len() > 1 && s.duplicate_examples.len() < 30 {
                let times: Vec<String> = mine.iter().map(|(_, at)| format!("{at:.1}s")).collect();
                s.duplicate_examples.push(format!(
                    "{marker} ({id}) posted {} times, at {}",
                    mine.len(),
                    times.join(", ")
                ));
            }
            let recorded = hash.get("slack_ts").map(String::as_str).unwrap_or("");
            let arn = hash.get("aws_arn").map(String::as_str).unwrap_or("");
            let content = contents.get(recorded).map(String::as_str).unwrap_or("");
            if !shows_state(content, state, arn) {
                s.stale_slack_messages += 1;
                if s.stale_examples.len() < 10 {
                    s.stale_examples.push(format!(
                        "{marker} ({id}) is {state} but its message ends as: {}",
                        content.chars().take(300).collect::<String>()
                    ));
                }
            }
            if !mine.iter().any(|(ts, _)| ts == recorded) {
                s.problem(format!(
                    "{marker} ({id}): Redis records slack_ts {recorded:?}, which is none of its posts {mine:?}"
                ));
            }
        }

        let token = format!("versus-{id}");
        let paged = tokens.get(&token);
        if let Some(page) = paged {
            known_tokens += 1;
            s.escalated += 1;
            s.repeated_start_calls += page.start_calls.saturating_sub(1);
            if page.params_mismatch {
                s.problem(format!(
                    "{marker} ({id}): StartIncident was repeated with the same clientToken but other parameters"
                ));
            }
            if hash.get("aws_arn").map(String::as_str) != Some(page.incident_record_arn.as_str()) {
                s.problem(format!(
                    "{marker} ({id}): AWS incident {} but Redis records {:?}",
                    page.incident_record_arn,
                    hash.get("aws_arn")
                ));
            }
        }
        let expected = must_page(record).unwrap_or_else(|| {
            s.late_handled += 1;
            // Late ack or resolve: whichever the state machine let win decides.
            state == "escalated"
                || hash.get("resolved_from").map(String::as_str) == Some("escalated")
        });
        match (expected, paged.is_some()) {
            (true, false) => {
                lost = true;
                s.problem(format!(
                    "{marker} ({id}, {:?}, state {state}, page_failed {:?}) should have paged but has no AWS incident",
                    record.plan.kind,
                    hash.get("page_failed")
                ));
            }
            (false, true) => {
                s.duplicate_pages += 1;
                s.problem(format!(
                    "{marker} ({id}, {:?}, ack {:?}, state {state}) paged but must not have",
                    record.plan.kind, record.ack_result
                ));
            }
            (false, false) if record.plan.kind != Kind::Plain => s.suppressed += 1,
            _ => {}
        }
        if lost {
            s.lost += 1;
        }
    }
    // Every AWS incident belongs to an accepted incident: anything else is a second page for some alert.
    if tokens.len() > known_tokens {
        let known: std::collections::HashSet<String> =
            ids.iter().map(|id| format!("versus-{id}")).collect();
        for (token, page) in &tokens {
            if !known.contains(token) {
                s.duplicate_pages += 1;
                let title = page.first_body.get("title").cloned().unwrap_or(Value::Null);
                s.problem(format!(
                    "AWS incident for unknown clientToken {token} ({title})"
                ));
            }
        }
    }
    let mut conn = topo.redis_conn().await;
    for queue in QUEUES {
        let dead: u64 = conn
            .zcard(topo.key(&format!("queue:{queue}:dead")))
            .await
            .unwrap_or(0);
        if dead > 0 {
            s.dead_letters.insert(queue.to_string(), dead);
            if queue == "notify" || queue == "escalate" {
                s.problem(format!("{dead} {queue} job(s) dead-lettered"));
            }
        }
    }
    s
}

/// WARN and ERROR lines of a log, counted by message (fields and span prefixes dropped), plus panics.
pub fn log_digest(log: &str, into: &mut BTreeMap<String, usize>) {
    for line in log.lines() {
        if line.contains("panicked") {
            *into.entry(format!("PANIC {}", line.trim())).or_default() += 1;
            continue;
        }
        let Some((level, rest)) = [" ERROR ", " WARN "]
            .iter()
            .find_map(|level| line.split_once(level).map(|(_, rest)| (level.trim(), rest)))
        else {
            continue;
        };
        let rest = rest.rsplit_once("}: ").map(|(_, r)| r).unwrap_or(rest);
        let message: Vec<&str> = rest
            .split(' ')
            .take_while(|word| {
                !word.split_once('=').is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            })
            .collect();
        let message: String = message.join(" ").chars().take(110).collect();
        *into.entry(format!("{level} {message}")).or_default() += 1;
    }
}
