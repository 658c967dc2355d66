//! Upgrade fixtures: what a released Versus left in Redis, for the upgrade test to load and finish.
//!
//! A fixture is a directory `tests/fixtures/upgrade/<release>/` with `header.json` (when and from which
//! release it was captured, how that release was configured, and what each incident is there to show) and
//! `redis.jsonl` (the keys, see [`crate::redis_snapshot`]).
//!
//! - [`capture`]: runs a release's binaries to make one.
//! - [`Installation`]: an API and a worker from given executables, as the capture and the test run them.
//! - [`Expectations`]: what the build under test must do with a loaded fixture, and what it did.

mod capture;
mod expectations;
mod installation;

pub use capture::capture;
pub use expectations::{epoch_ms, Expectations, Observed};
pub use installation::Installation;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use crate::redis_snapshot::{from_json_lines, to_json_lines, KeyRecord};

/// Where the fixtures live, one directory per release.
pub const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/upgrade");

const HEADER_FILE: &str = "header.json";
const RECORDS_FILE: &str = "redis.jsonl";

/// The job queues, as named in Redis.
pub const QUEUES: [&str; 4] = ["notify", "escalate", "slack_update", "aws_resolve"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Redis server time when the keys were read, in milliseconds.
    pub captured_at_ms: i64,
    /// The commit the release's binaries were built from.
    pub release_commit: String,
    /// `redis.key_prefix`: every key of the fixture starts with it.
    pub prefix: String,
    pub config: CaptureConfig,
    pub incidents: Vec<FixtureIncident>,
}

/// How the release ran when it wrote the fixture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaptureConfig {
    /// The `--config` file, as the release commit has it.
    pub file: String,
    /// The environment that set it up (ports, URLs and credentials of the fakes left out).
    pub env: BTreeMap<String, String>,
    /// `redis-server --version` of the Redis it wrote to.
    pub redis_server: String,
}

/// One incident of the fixture and what it is there to show.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FixtureIncident {
    /// What the release did with it, in a few words.
    pub name: String,
    pub id: String,
    /// Text of its alert that no other incident's contains, to find its Slack messages.
    pub marker: String,
    pub role: IncidentRole,
}

/// What a later release must do with an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRole {
    /// Its escalation is due after the capture: it pages exactly once, when due.
    PendingEscalation,
    /// Acknowledged before its escalation came due: it never pages.
    Acked,
    /// Paged by the release: it never pages again.
    Escalated,
    /// Resolved: it never pages.
    Resolved,
    /// On-call did not apply: it never pages.
    NoOncall,
}

impl IncidentRole {
    /// The state the incident ends in once every job ran.
    pub fn final_state(self) -> &'static str {
        match self {
            IncidentRole::PendingEscalation | IncidentRole::Escalated => "escalated",
            IncidentRole::Acked => "acked",
            IncidentRole::Resolved => "resolved",
            IncidentRole::NoOncall => "pending",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub dir: PathBuf,
    pub header: Header,
    pub records: Vec<KeyRecord>,
}

impl Fixture {
    /// Every fixture in [`FIXTURES_DIR`], oldest capture first.
    pub fn all() -> Vec<Fixture> {
        let entries = std::fs::read_dir(FIXTURES_DIR)
            .unwrap_or_else(|e| panic!("cannot list {FIXTURES_DIR}: {e}"));
        let mut fixtures: Vec<Fixture> = entries
            .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {FIXTURES_DIR}: {e}")))
            .filter(|entry| entry.path().is_dir())
            .map(|entry| Fixture::read(&entry.path()))
            .collect();
        fixtures.sort_by_key(|f| f.header.captured_at_ms);
        fixtures
    }

    pub fn read(dir: &Path) -> Fixture {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        };
        let header = serde_json::from_str(&read(HEADER_FILE))
            .unwrap_or_else(|e| panic!("{}/{HEADER_FILE}: {e}", dir.display()));
        Fixture {
            dir: dir.to_path_buf(),
            header,
            records: from_json_lines(&read(RECORDS_FILE)),
        }
    }

    pub fn write(&self) {
        std::fs::create_dir_all(&self.dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", self.dir.display()));
        let header =
            serde_json::to_string_pretty(&self.header).expect("a header serialises") + "\n";
        for (name, text) in [
            (HEADER_FILE, header),
            (RECORDS_FILE, to_json_lines(&self.records)),
        ] {
            let path = self.dir.join(name);
            std::fs::write(&path, text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        }
    }

    /// The directory's name, to say which fixture a failure is about.
    pub fn name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Jobs waiting or running in every queue.
pub async fn queued_jobs(conn: &mut MultiplexedConnection, prefix: &str) -> usize {
    let mut count = 0;
    for queue in QUEUES {
        for set in ["due", "inflight"] {
            let n: usize = conn
                .zcard(format!("{prefix}queue:{queue}:{set}"))
                .await
                .unwrap_or_else(|e| panic!("ZCARD of the {queue} queue failed: {e}"));
            count += n;
        }
    }
    count
}
