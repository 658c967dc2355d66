//! The ack page in a real browser: headless Chromium (Debian's `chromium`, driven through
//! Debian's `chromedriver` with fantoccini) opens the ack link of an incident posted to the real
//! `versus-api`, sees the alert, presses Acknowledge and sees the confirmation; the real
//! `versus-worker` then does not page for it, while a control incident that nobody acknowledged is
//! paged (StartIncident at FakeSsm).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`scripts/install-browser.sh`). When they
//! are missing the test FAILS with a message saying so: it never passes without a browser.
//!
//! Everything stays on 127.0.0.1: chromedriver listens on loopback, and Chromium runs without a proxy,
//! without background networking, and with every host name but 127.0.0.1 made unresolvable.
//!
//! The screenshots and the chromedriver log go to a temporary directory, kept (and its path printed)
//! when the test fails or when `VERSUS_KEEP_BROWSER_ARTIFACTS=1` is set.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use serde_json::{json, Value};
use versus_tests::alerts::{created, id_of};
use versus_tests::{free_port, wait_until, Topology};

/// Six seconds: long enough for the browser to acknowledge, short enough to wait for.
const WAIT_MINUTES: &str = "0.1";
const WAIT: Duration = Duration::from_secs(6);
/// The log line of an escalate job that found its incident acknowledged (worker/src/handlers/escalate.rs).
const SUPPRESSED_BY_ACK_LOG: &str = "acknowledged before the wait ran out; not paging";
/// Chromium flags known to work on this kind of machine, plus no proxy and loopback-only name resolution.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--window-size=1000,800",
];

#[tokio::test]
async fn a_person_acknowledges_in_chromium_and_the_escalation_does_not_fire() {
    let tools = require_browser();
    let artifacts = Artifacts::new();
    let driver = ChromeDriver::start(&tools, artifacts.path()).await;
    let topo = Topology::builder().oncall_enabled().start().await;
    let browser = driver.session(&tools, artifacts.path()).await;

    let outcome = AssertUnwindSafe(acknowledge_in_browser(&browser, &topo, artifacts.path()))
        .catch_unwind()
        .await;
    // Close the session (and with it Chromium) whatever happened, then report.
    let closed = browser.close().await;
    if let Err(panic) = outcome {
        artifacts.keep();
        eprintln!(
            "chromedriver log (last 4000 bytes):\n{}",
            driver.log_tail(4000)
        );
        std::panic::resume_unwind(panic);
    }
    closed.expect("closing the WebDriver session");
}

async fn acknowledge_in_browser(browser: &Client, topo: &Topology, artifacts: &Path) {
    let marker = uuid::Uuid::now_v7().simple().to_string();
    let query = format!("oncall_wait_minutes={WAIT_MINUTES}");

    // The incident a person will acknowledge, and a control that nobody acknowledges.
    let (acked_alert, acked_title, acked_summary) = alert(&format!("ack-{marker}"));
    let (control_alert, _, _) = alert(&format!("control-{marker}"));
    let posted_at = Instant::now();
    let answer = created(topo, &query, &acked_alert).await;
    let control = created(topo, &query, &control_alert).await;
    let due_at = posted_at + WAIT;
    let acked_id = id_of(&answer);
    let control_id = id_of(&control);
    let ack_url = answer["ack_url"]
        .as_str()
        .unwrap_or_else(|| panic!("on-call applies, so the answer has an ack_url: {answer}"))
        .to_string();
    // public_host is the API's own 127.0.0.1 URL in the topology, so the link is opened as given.
    assert!(
        ack_url.starts_with(&format!("{}/api/incidents/ack/", topo.api_url(0))),
        "the ack link {ack_url} should be public_host ({}) + /api/incidents/ack/{{token}}",
        topo.api_url(0)
    );
    // Let the notify job record its Slack message first, so that from here on only the browser could
    // change the record.
    let (notified, before) = topo
        .wait_incident(&acked_id, Duration::from_secs(5), |f| {
            f.contains_key("slack_ts")
        })
        .await;
    assert!(notified, "the alert never reached Slack: {before:?}");
    assert_eq!(before.get("state").map(String::as_str), Some("pending"));

    // GET: the page shows the alert, its state and the button, and changes nothing.
    browser.goto(&ack_url).await.expect("open the ack link");
    assert_eq!(
        browser.current_url().await.expect("current URL").as_str(),
        ack_url
    );
    assert_eq!(browser.title().await.expect("document title"), acked_title);
    assert_eq!(text(browser, "#title").await, acked_title);
    assert_eq!(text(browser, "#state").await, "pending");
    let state_line = text(browser, "p:has(#state)").await;
    assert!(
        state_line.contains("waiting for acknowledgement; pages on-call at"),
        "{state_line}"
    );
    // The summary is shown as text: its markup characters are escaped, not rendered.
    assert_eq!(text(browser, "#summary").await, acked_summary);
    assert!(
        browser
            .find_all(Locator::Css("#summary b"))
            .await
            .expect("find_all")
            .is_empty(),
        "the summary's <b> must be shown as text, not rendered"
    );
    assert_eq!(text(browser, "form[method=post] #ack").await, "Acknowledge");
    let shot = save_screenshot(browser, artifacts, "ack_page.png").await;
    eprintln!("ack page screenshot: {}", shot.display());

    // A second GET (a reload, as a link preview or a mail scanner would do) changes nothing either.
    browser.refresh().await.expect("reload the ack page");
    assert_eq!(text(browser, "#state").await, "pending");
    assert_unchanged(&before, &topo.incident(&acked_id).await);

    // POST: press Acknowledge.
    browser
        .find(Locator::Css("#ack"))
        .await
        .expect("the Acknowledge button")
        .click()
        .await
        .expect("click Acknowledge");
    let result = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#result"))
        .await
        .expect("the result page after pressing Acknowledge")
        .text()
        .await
        .expect("result text");
    let clicked_at = Instant::now();
    assert!(
        clicked_at < due_at,
        "the browser took {:?} from posting to acknowledging, past the {WAIT:?} wait; the test machine is too slow for this test's timing",
        clicked_at - posted_at
    );
    eprintln!(
        "posted to acknowledged in the browser: {:?} (the wait is {WAIT:?})",
        clicked_at - posted_at
    );
    assert!(
        result.starts_with("Acknowledged at ") && result.ends_with("On-call will not be paged."),
        "result page: {result:?}"
    );
    assert_eq!(text(browser, "#title").await, acked_title);
    save_screenshot(browser, artifacts, "ack_result.png").await;
    let after = topo.incident(&acked_id).await;
    assert_eq!(
        after.get("state").map(String::as_str),
        Some("acked"),
        "{after:?}"
    );
    assert_eq!(after.get("acked_via").map(String::as_str), Some("link"));

    // Opening the link again shows the acknowledgement and no button.
    browser
        .goto(&ack_url)
        .await
        .expect("open the ack link again");
    assert_eq!(text(browser, "#state").await, "acked");
    assert!(
        browser
            .find_all(Locator::Css("#ack"))
            .await
            .expect("find_all")
            .is_empty(),
        "an acknowledged incident has no Acknowledge button"
    );

    // A forged token: the not-found page, and nothing changes.
    let forged = forge(&ack_url);
    browser.goto(&forged).await.expect("open a forged link");
    assert_eq!(text(browser, "h1").await, "Not found");
    assert!(browser
        .find_all(Locator::Css("#ack"))
        .await
        .expect("find_all")
        .is_empty());
    assert_unchanged(&after, &topo.incident(&acked_id).await);

    // The control incident is paged when its wait runs out; the acknowledged one is not.
    let control_token = format!("versus-{control_id}");
    let acked_token = format!("versus-{acked_id}");
    let deadline = due_at + Duration::from_secs(15);
    wait_until(
        deadline.saturating_duration_since(Instant::now()),
        || {
            format!(
                "the control incident {control_id} to be paged; worker log:\n{}",
                topo.worker_log(0)
            )
        },
        async || {
            topo.ssm
                .started()
                .iter()
                .any(|s| s.client_token == control_token)
        },
    )
    .await;
    wait_until(
        deadline.saturating_duration_since(Instant::now()),
        || {
            format!(
                "the escalate job of the acknowledged incident {acked_id} to run ({SUPPRESSED_BY_ACK_LOG:?}); worker log:\n{}",
                topo.worker_log(0)
            )
        },
        async || {
            topo.worker_log(0)
                .lines()
                .any(|l| l.contains(&acked_id) && l.contains(SUPPRESSED_BY_ACK_LOG))
        },
    )
    .await;
    assert!(Instant::now() > due_at);
    let calls_for_acked: Vec<String> = topo
        .ssm
        .calls()
        .into_iter()
        .filter(|c| c.raw_body.contains(&acked_token) || c.raw_body.contains(&acked_id))
        .map(|c| format!("{} {} {}", c.operation, c.status, c.raw_body))
        .collect();
    assert!(
        calls_for_acked.is_empty(),
        "the acknowledged incident {acked_id} reached FakeSsm: {calls_for_acked:?}"
    );
    assert_eq!(topo.ssm.incident_count(), 1, "only the control is paged");
    let acked_final = topo.incident(&acked_id).await;
    assert_eq!(
        acked_final.get("state").map(String::as_str),
        Some("acked"),
        "{acked_final:?}"
    );
    assert!(
        acked_final.get("aws_arn").is_none_or(String::is_empty)
            && !acked_final.contains_key("escalated_ms"),
        "the acknowledged incident has an escalation recorded: {acked_final:?}"
    );
    let control_final = topo.incident(&control_id).await;
    assert_eq!(
        control_final.get("state").map(String::as_str),
        Some("escalated"),
        "{control_final:?}"
    );
}

/// A free-form alert for `service`; returns it, the title and the summary the ack page must show.
fn alert(service: &str) -> (Value, String, String) {
    let summary = format!("Checkout 5xx > 20% & rising <b>{service}</b>");
    let body = json!({
        "alertname": "CheckoutErrors",
        "severity": "critical",
        "service": service,
        "Logs": summary,
    });
    (
        body,
        format!("[CRITICAL] CheckoutErrors — {service}"),
        summary,
    )
}

/// The same link with one character of the token's MAC changed (in the middle, where every bit counts).
fn forge(url: &str) -> String {
    let dot = url.rfind('.').expect("a token of the form {id}.{mac}");
    let at = dot + 6;
    let changed = if &url[at..at + 1] == "A" { "B" } else { "A" };
    format!("{}{changed}{}", &url[..at], &url[at + 1..])
}

async fn text(browser: &Client, css: &str) -> String {
    let element = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css} on the page: {e}"));
    element
        .text()
        .await
        .unwrap_or_else(|e| panic!("text of {css}: {e}"))
}

/// The incident record must be exactly as before: a GET must not touch it at all.
fn assert_unchanged(before: &HashMap<String, String>, now: &HashMap<String, String>) {
    assert_eq!(before, now, "a GET of the ack page changed the incident");
}

async fn save_screenshot(browser: &Client, artifacts: &Path, name: &str) -> PathBuf {
    let png = browser.screenshot().await.expect("screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000,
        "the screenshot is not a plausible PNG ({} bytes)",
        png.len()
    );
    let path = artifacts.join(name);
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

struct BrowserTools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Debian's Chromium and ChromeDriver, or a loud failure: this test must never pass without them.
fn require_browser() -> BrowserTools {
    let chromium = on_path("chromium");
    let chromedriver = on_path("chromedriver");
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => BrowserTools {
            chromium,
            chromedriver,
        },
        (chromium, chromedriver) => {
            let missing: Vec<&str> = [
                chromium.is_none().then_some("chromium"),
                chromedriver
                    .is_none()
                    .then_some("chromedriver (package chromium-driver)"),
            ]
            .into_iter()
            .flatten()
            .collect();
            panic!(
                "\n\n======== ack_browser: NOT RUN, COUNTED AS A FAILURE ========\n\
                 The real-browser test of the ack page needs Debian's Chromium and ChromeDriver; missing: {}.\n\
                 Install them with scripts/install-browser.sh (apt-get install chromium chromium-driver) and run again.\n\
                 =============================================================\n",
                missing.join(", ")
            );
        }
    }
}

/// A chromedriver process on a free 127.0.0.1 port, in its own process group so that it and any
/// Chromium it started are killed when the test ends, however it ends.
struct ChromeDriver {
    child: Child,
    url: String,
    log: PathBuf,
}

impl ChromeDriver {
    async fn start(tools: &BrowserTools, dir: &Path) -> Self {
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools.chromedriver.display()));
        let mut driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        driver.wait_ready().await;
        driver
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("reqwest client");
        let status_url = format!("{}/status", self.url);
        let log = self.log.clone();
        let awaited = || {
            format!(
                "chromedriver to become ready on {status_url}; its log:\n{}",
                tail_of(&log, 4000)
            )
        };
        wait_until(Duration::from_secs(20), awaited, async || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "chromedriver exited with {status} before it was ready; its log:\n{}",
                    self.log_tail(4000)
                );
            }
            match http.get(&status_url).send().await {
                Ok(response) => {
                    let status: Value = response.json().await.unwrap_or_default();
                    status["value"]["ready"] == true
                }
                Err(_) => false,
            }
        })
        .await;
    }

    /// A new session in headless Chromium with a fresh profile.
    async fn session(&self, tools: &BrowserTools, dir: &Path) -> Client {
        let profile = dir.join("profile");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": { "binary": tools.chromium, "args": args },
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object"),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start headless Chromium through chromedriver: {e}; chromedriver log:\n{}",
                    self.log_tail(4000)
                )
            })
    }

    fn log_tail(&self, bytes: usize) -> String {
        tail_of(&self.log, bytes)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Ask chromedriver to quit its browsers and exit, so every process is reaped by its parent.
        if let Ok(mut stream) = std::net::TcpStream::connect(self.url.trim_start_matches("http://"))
        {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
            let _ = stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever is left of the process group: chromedriver and the browser processes it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test's temporary directory: screenshots, the chromedriver log and the Chromium profile.
struct Artifacts {
    dir: Option<tempfile::TempDir>,
    keep: std::cell::Cell<bool>,
}

impl Artifacts {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("versus-ack-browser-")
            .tempdir()
            .expect("a temporary directory");
        let artifacts = Self {
            dir: Some(dir),
            keep: std::cell::Cell::new(false),
        };
        if std::env::var("VERSUS_KEEP_BROWSER_ARTIFACTS").as_deref() == Ok("1") {
            artifacts.keep();
        }
        artifacts
    }

    fn path(&self) -> &Path {
        self.dir.as_ref().expect("the directory").path()
    }

    /// Keeps the directory after the test and says where it is.
    fn keep(&self) {
        eprintln!(
            "browser artifacts (screenshots, chromedriver.log) kept in {}",
            self.path().display()
        );
        self.keep.set(true);
    }
}

impl Drop for Artifacts {
    fn drop(&mut self) {
        if self.keep.get() {
            if let Some(dir) = self.dir.take() {
                let _ = dir.keep();
            }
        }
    }
}

/// The last `bytes` (at most) of the file at `path`.
fn tail_of(path: &Path, bytes: usize) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let start = log.len().saturating_sub(bytes);
    let start = (start..log.len())
        .find(|i| log.is_char_boundary(*i))
        .unwrap_or(log.len());
    log[start..].to_string()
}
