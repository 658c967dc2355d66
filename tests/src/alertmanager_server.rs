//! The real Prometheus Alertmanager for the end-to-end tests: finding its binaries, rendering the example
//! configs in `config/examples/` for a test, running it on 127.0.0.1, firing and resolving alerts through
//! its v2 API, and reading its own metrics.
//!
//! Nothing here talks to any address but 127.0.0.1.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{free_port, VersusProcess};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use tempfile::TempDir;

/// What to do when Alertmanager is missing.
pub const INSTALL_HINT: &str =
    "run scripts/install-alertmanager.sh (root or sudo; installs Debian's \
prometheus-alertmanager), or point ALERTMANAGER_BIN and AMTOOL_BIN at the binaries";

/// The directory of the committed example configs.
pub const EXAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/examples");

/// The Versus address the committed examples use; a test replaces it with its own API's URL.
pub const EXAMPLE_VERSUS_URL: &str = "http://versus-service:3000";

/// The timings of the committed examples and what a test uses instead, so that a group is notified within
/// about a second and repeated every two seconds.
pub const FAST_TIMINGS: [(&str, &str, usize); 3] = [
    ("group_wait: 30s", "group_wait: 1s", 1),
    ("group_interval: 5m", "group_interval: 1s", 1),
    ("repeat_interval: 4h", "repeat_interval: 2s", 1),
];

/// An executable from `$env_var`, else the first of `names` on PATH. Panics with [`INSTALL_HINT`].
fn find_tool(env_var: &str, names: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(env_var).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{env_var}={} is not a file; {INSTALL_HINT}",
            path.display()
        );
        return path;
    }
    let search = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&search).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "Prometheus Alertmanager is not installed: none of {names:?} is on PATH and {env_var} is not set. \
                 This suite needs the real thing; {INSTALL_HINT}."
            )
        })
}

/// The Alertmanager server: upstream names it `alertmanager`, Debian `prometheus-alertmanager`.
pub fn alertmanager_bin() -> PathBuf {
    find_tool(
        "ALERTMANAGER_BIN",
        &["alertmanager", "prometheus-alertmanager"],
    )
}

pub fn amtool_bin() -> PathBuf {
    find_tool("AMTOOL_BIN", &["amtool"])
}

/// Fails the test at once, saying how to install them, unless both Alertmanager binaries are there.
pub fn require_alertmanager() {
    alertmanager_bin();
    amtool_bin();
}

/// `alertmanager --version`, first line.
pub fn alertmanager_version() -> String {
    let out = Command::new(alertmanager_bin())
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run alertmanager --version: {e}; {INSTALL_HINT}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines().next().unwrap_or_default().to_string()
}

pub fn example_path(name: &str) -> PathBuf {
    Path::new(EXAMPLES_DIR).join(name)
}

pub fn read_example(name: &str) -> String {
    let path = example_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Replaces every `from` with `to`, insisting that `from` occurs exactly `count` times, so that an edit of
/// the example that the test no longer matches fails here instead of testing something else.
pub fn render(name: &str, text: &str, replacements: &[(&str, &str, usize)]) -> String {
    let mut out = text.to_string();
    for (from, to, count) in replacements {
        let found = out.matches(from).count();
        assert_eq!(
            found, *count,
            "config/examples/{name}: expected {count} occurrence(s) of {from:?}, found {found}; \
             update the example or the test together"
        );
        out = out.replace(from, to);
    }
    out
}

/// Runs amtool with `args`; panics with its output unless it succeeds. Returns stdout.
pub fn amtool(args: &[&str]) -> String {
    let out = Command::new(amtool_bin())
        .args(args)
        .env("HOME", std::env::temp_dir()) // no user amtool config
        .output()
        .unwrap_or_else(|e| panic!("cannot run amtool: {e}; {INSTALL_HINT}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "amtool {args:?} failed with {}:\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `amtool check-config FILE`.
pub fn check_config(path: &Path) {
    let path = path.display().to_string();
    let out = amtool(&["check-config", &path]);
    assert!(
        out.contains("SUCCESS"),
        "amtool check-config {path}:\n{out}"
    );
}

/// The receiver amtool's routing test picks for `labels` (`name=value` each).
pub fn route_of(config: &Path, labels: &[&str]) -> String {
    let mut args = vec![
        "config".to_string(),
        "routes".to_string(),
        "test".to_string(),
        format!("--config.file={}", config.display()),
    ];
    args.extend(labels.iter().map(|l| l.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    amtool(&args).trim().to_string()
}

/// One alert as Prometheus would send it to Alertmanager.
#[derive(Debug, Clone)]
pub struct TestAlert {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl TestAlert {
    /// An alert with these labels that started a minute ago (so that resolving it with an `endsAt` in the
    /// past still ends after it started).
    pub fn new(labels: &[(&str, &str)]) -> Self {
        let labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let name = labels.get("alertname").cloned().unwrap_or_default();
        let annotations = [
            ("summary".to_string(), format!("{name} is firing")),
            (
                "description".to_string(),
                format!("{name}: fired by the Alertmanager end-to-end suite"),
            ),
        ]
        .into_iter()
        .collect();
        Self {
            labels,
            annotations,
            starts_at: Utc::now() - chrono::Duration::seconds(60),
        }
    }

    fn to_json(&self, ends_at: Option<DateTime<Utc>>) -> Value {
        let mut alert = json!({
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": rfc3339(self.starts_at),
        });
        if let Some(end) = ends_at {
            alert["endsAt"] = json!(rfc3339(end));
        }
        alert
    }

    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map(String::as_str).unwrap_or("")
    }
}

/// A real Alertmanager on 127.0.0.1 with clustering off and its data in a temporary directory; killed when
/// dropped (and its log printed if the test panicked).
pub struct Alertmanager {
    process: VersusProcess,
    port: u16,
    http: reqwest::Client,
    _dir: TempDir,
}

impl Alertmanager {
    /// Writes `config` to a temporary directory, checks it with `amtool check-config`, starts Alertmanager
    /// with it and waits until `/-/ready` answers.
    pub async fn start(config: &str) -> Self {
        let bin = alertmanager_bin();
        let dir = tempfile::Builder::new()
            .prefix("alertmanager-e2e-")
            .tempdir()
            .expect("a temporary directory for Alertmanager");
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).expect("write the Alertmanager config");
        check_config(&config_path);
        let storage = dir.path().join("data");
        std::fs::create_dir_all(&storage).expect("create Alertmanager's storage directory");
        let port = free_port();
        let args = [
            format!("--config.file={}", config_path.display()),
            format!("--storage.path={}", storage.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            // Empty: no cluster listener, no gossip, no peers.
            "--cluster.listen-address=".to_string(),
            "--log.level=info".to_string(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut process = VersusProcess::spawn_path(&bin, &args, &[]);
        let url = format!("http://127.0.0.1:{port}");
        process
            .wait_http_ok(&format!("{url}/-/ready"), Duration::from_secs(30))
            .await;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("reqwest client");
        Self {
            process,
            port,
            http,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        self.process.log_contents()
    }

    async fn post_alerts(&self, body: Value) {
        let url = format!("{}/api/v2/alerts", self.url());
        let response = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url} failed: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "Alertmanager refused {body}: {status} {text}"
        );
    }

    /// Fires the alerts (no `endsAt`: they stay firing for Alertmanager's resolve_timeout, 5 minutes).
    pub async fn fire(&self, alerts: &[&TestAlert]) {
        self.post_alerts(Value::Array(
            alerts.iter().map(|a| a.to_json(None)).collect(),
        ))
        .await;
    }

    /// Resolves the alerts the way Prometheus does: sends them again with an `endsAt` in the past.
    pub async fn resolve(&self, alerts: &[&TestAlert]) {
        let ended = Utc::now() - chrono::Duration::seconds(1);
        self.post_alerts(Value::Array(
            alerts.iter().map(|a| a.to_json(Some(ended))).collect(),
        ))
        .await;
    }

    /// Alertmanager's own `/metrics`.
    pub async fn metrics(&self) -> String {
        let url = format!("{}/metrics", self.url());
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url} failed: {e}"));
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        response.text().await.unwrap_or_default()
    }
}

/// Sums the samples of `metric` (exact name, not a prefix) in Prometheus text format whose label set contains
/// every one of `labels`.
pub fn sum_samples(text: &str, metric: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, label_set) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            (name == metric && labels.iter().all(|l| label_set.split(',').any(|x| x == *l)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}
