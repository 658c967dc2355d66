//! Versus end to end behind the real Prometheus Alertmanager, with the routing of the product
//! documentation (`config/examples/alertmanager-*.yml`).
//!
//! Each test starts a Versus installation (Redis, FakeSlack, FakeSsm, real `versus-api` and `versus-worker`;
//! see `versus_tests::Topology`) that requires an ingest token (`ingest_auth`), and a real Alertmanager on
//! 127.0.0.1 running one of the committed example configs, which send that token natively
//! (`http_config.authorization.credentials_file`), rendered with the test's API URL, token file and short timings (group_wait 1s, group_interval 1s,
//! repeat_interval 2s). Alerts go into Alertmanager through its v2 API and are resolved the way Prometheus
//! does it: sent again with an `endsAt` in the past. What Versus did is read from the fakes and Redis; what
//! Alertmanager thinks of its deliveries from its own `/metrics`.
//!
//! Needs `alertmanager` (or Debian's `prometheus-alertmanager`) and `amtool`: run
//! `scripts/install-alertmanager.sh`. Without them every test fails and says so.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use redis::AsyncCommands;
use serde_json::Value;
use versus_shared::domain::incident::{AckChannel, Incident, IncidentState};
use versus_tests::alertmanager_server::*;
use versus_tests::alertmanager_webhook::{labels, Notification, NotifiedAlert};
use versus_tests::config_file::{shipped_config_with, INGEST_AUTH_FROM_ENV};
use versus_tests::slack_messages::{buttons, posts_mentioning};
use versus_tests::timing::{ms_of, now_ms, sleep_until_ms};
use versus_tests::topology::{KEY_PREFIX, TEST_RESPONSE_PLAN_ARN};
use versus_tests::{poll_until, wait_until, Topology, TopologyBuilder};

const BASIC: &str = "alertmanager-basic.yml";
const INITIALIZED_ONLY: &str = "alertmanager-initialized-only.yml";

/// The acknowledgement wait of the tests: `oncall_wait_minutes` of `versus-with-ack` and `oncall.wait_minutes`
/// of the initialized-only installation (the examples say 5 and the guide 2 minutes).
const WAIT_MINUTES: &str = "0.15";
const WAIT_MS: i64 = 9_000;
/// `other_response_plan_arns.app` of the initialized-only installation, as in the advanced guide.
const APP_PLAN_ARN: &str = "arn:aws:ssm-incidents::123456789012:response-plan/AppCriticalPlan";
/// Escalations must fire within 1 s of due (design.md); the rest is scheduling slack for a busy CI machine.
const PAGE_LATENESS_MAX_MS: i64 = 2_500;
/// How long Alertmanager (group_wait 1 s) plus Versus may take to get a new alert to Slack.
const TO_SLACK: Duration = Duration::from_secs(15);
/// How many notifications of one group Versus must have received (the first plus repeats) before a test
/// concludes that repeats do not page twice. repeat_interval is 2 s.
const NOTIFICATIONS_WITH_REPEATS: usize = 4;

/// The token Versus accepts (`ingest_auth.bearer_tokens`).
const INGEST_TOKEN: &str = "versus-e2e-ingest-token-0123456789";
/// Where the committed examples read the token Alertmanager sends.
const EXAMPLE_TOKEN_FILE: &str = "/etc/alertmanager/secrets/versus-ingest-token";

/// Versus's `ingest_auth` (accepting [`INGEST_TOKEN`]) and the token file Alertmanager sends from.
struct IngestAuth {
    _dir: tempfile::TempDir,
    config: PathBuf,
    token_file: String,
}

impl IngestAuth {
    /// Alertmanager will send `sent_token`.
    fn new(sent_token: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = shipped_config_with(dir.path(), INGEST_AUTH_FROM_ENV);
        let token_file = dir.path().join("ingest-token");
        std::fs::write(&token_file, sent_token).expect("write the token file");
        Self {
            token_file: token_file.display().to_string(),
            config,
            _dir: dir,
        }
    }

    fn builder(&self) -> TopologyBuilder {
        Topology::builder()
            .config(&self.config)
            .env("VERSUS_INGEST_TOKEN", INGEST_TOKEN)
    }

    /// The examples' credentials_file, pointed at this token file (`receivers` times).
    fn replacement(&self, receivers: usize) -> (&str, &str, usize) {
        (EXAMPLE_TOKEN_FILE, self.token_file.as_str(), receivers)
    }
}

/// One Versus installation behind one Alertmanager.
struct Setup {
    topo: Topology,
    am: Alertmanager,
    _auth: IngestAuth,
}

impl Setup {
    /// On-call on by default (`oncall.enable: true`, the basic guide), routed by `alertmanager-basic.yml`.
    async fn basic() -> Self {
        require_alertmanager();
        let auth = IngestAuth::new(INGEST_TOKEN);
        let topo = auth.builder().oncall_enabled().start().await;
        let versus = topo.api_url(0);
        let wait = format!("oncall_wait_minutes={WAIT_MINUTES}");
        let mut replacements = vec![
            (EXAMPLE_VERSUS_URL, versus.as_str(), 3),
            ("oncall_wait_minutes=5", wait.as_str(), 1),
            auth.replacement(3),
        ];
        replacements.extend(FAST_TIMINGS);
        let config = render(BASIC, &read_example(BASIC), &replacements);
        let am = Alertmanager::start(&config).await;
        Self {
            topo,
            am,
            _auth: auth,
        }
    }

    /// On-call initialised but off by default (`oncall.initialized_only: true` and an `app` response plan, the
    /// advanced guide), routed by `alertmanager-initialized-only.yml`.
    async fn initialized_only() -> Self {
        require_alertmanager();
        let auth = IngestAuth::new(INGEST_TOKEN);
        let topo = auth
            .builder()
            .oncall_initialized_only()
            .env("VERSUS__ONCALL__WAIT_MINUTES", WAIT_MINUTES)
            .env(
                "VERSUS__ONCALL__AWS_INCIDENT_MANAGER__OTHER_RESPONSE_PLAN_ARNS__APP",
                APP_PLAN_ARN,
            )
            .start()
            .await;
        let versus = topo.api_url(0);
        let mut replacements = vec![
            (EXAMPLE_VERSUS_URL, versus.as_str(), 5),
            auth.replacement(5),
        ];
        replacements.extend(FAST_TIMINGS);
        let config = render(
            INITIALIZED_ONLY,
            &read_example(INITIALIZED_ONLY),
            &replacements,
        );
        let am = Alertmanager::start(&config).await;
        Self {
            topo,
            am,
            _auth: auth,
        }
    }

    /// What to print when an expectation fails: both sides of the webhook.
    fn context(&self) -> String {
        format!(
            "--- Alertmanager log ---\n{}\n--- versus-api log ---\n{}\n--- versus-worker log ---\n{}",
            tail(&self.am.log()),
            tail(&self.topo.api_log(0)),
            tail(&self.topo.worker_log(0))
        )
    }

    /// Accepted `chat.postMessage` bodies that mention `alertname`, in order.
    fn posts_of(&self, alertname: &str) -> Vec<Value> {
        posts_mentioning(&self.topo.slack, alertname)
    }

    /// Waits for the Slack message of `alertname`.
    async fn wait_post(&self, alertname: &str) -> Value {
        let awaited = || format!("a Slack message for {alertname}\n{}", self.context());
        wait_until(TO_SLACK, awaited, async || {
            self.posts_of(alertname).into_iter().next()
        })
        .await
    }

    /// Every incident whose title mentions `alertname`, oldest first.
    async fn incidents_of(&self, alertname: &str) -> Vec<Incident> {
        let mut conn = self.topo.redis_conn().await;
        let keys: Vec<String> = conn
            .keys(format!("{KEY_PREFIX}incident:*"))
            .await
            .expect("KEYS of the incidents");
        let mut found = Vec::new();
        for key in keys {
            let id = &key[KEY_PREFIX.len() + "incident:".len()..];
            if id.contains(':') {
                continue;
            }
            if let Some(incident) = Incident::from_hash(self.topo.incident(id).await) {
                if incident.title.contains(alertname) {
                    found.push(incident);
                }
            }
        }
        found.sort_by_key(|i| i.created_ms);
        found
    }

    /// The one incident of `alertname`.
    async fn incident_of(&self, alertname: &str) -> Incident {
        let mut all = self.incidents_of(alertname).await;
        assert_eq!(
            all.len(),
            1,
            "expected one incident for {alertname}, found {all:#?}"
        );
        all.remove(0)
    }

    async fn reload(&self, incident: &Incident) -> Incident {
        Incident::from_hash(self.topo.incident(&incident.id).await)
            .unwrap_or_else(|| panic!("incident {} is gone", incident.id))
    }

    /// Waits until the incident is in `state`; returns it.
    async fn wait_state(
        &self,
        incident: &Incident,
        state: IncidentState,
        timeout: Duration,
    ) -> Incident {
        let (ok, fields) = self
            .topo
            .wait_incident(&incident.id, timeout, |f| {
                f.get("state").map(String::as_str) == Some(state.as_str())
            })
            .await;
        assert!(
            ok,
            "incident {} ({}) did not become {state} within {timeout:?}: {fields:#?}\n{}",
            incident.id,
            incident.title,
            self.context()
        );
        Incident::from_hash(fields).expect("an incident")
    }

    /// How many webhook notifications versus-api accepted for the incident (created, joined, resolved).
    fn notifications(&self, incident: &Incident) -> usize {
        self.topo
            .api_log(0)
            .lines()
            .filter(|line| line.contains(&incident.id))
            .filter(|line| {
                [
                    "incident created",
                    "re-send joined an open incident",
                    "incident resolved",
                ]
                .iter()
                .any(|m| line.contains(m))
            })
            .count()
    }

    /// Lets Alertmanager notify Versus about the group of `incident` (alert `alertname`) at least `n` times in
    /// all (the first notification and repeats), then checks that the repeats joined the incident: still
    /// `incidents` incident(s) and as many Slack messages for `alertname`.
    async fn expect_repeats_to_join(
        &self,
        alertname: &str,
        incident: &Incident,
        n: usize,
        incidents: usize,
    ) {
        let timeout = Duration::from_secs(25);
        poll_until(timeout, async || self.notifications(incident) >= n).await;
        let found = self.incidents_of(alertname).await;
        assert_eq!(
            found.len(),
            incidents,
            "Alertmanager's repeated notifications of {alertname} opened new incidents: {found:#?}\n{}",
            self.context()
        );
        assert_eq!(
            self.posts_of(alertname).len(),
            incidents,
            "Alertmanager's repeated notifications of {alertname} posted again\n{}",
            self.context()
        );
        assert!(
            self.notifications(incident) >= n,
            "Alertmanager notified Versus about {alertname} only {} time(s) in {timeout:?}; expected repeats every 2 s\n{}",
            self.notifications(incident),
            self.context()
        );
    }

    /// Accepted `chat.update` bodies of the incident's message.
    fn updates_of(&self, incident: &Incident) -> Vec<Value> {
        let message = incident
            .slack_message
            .as_ref()
            .unwrap_or_else(|| panic!("{incident:#?} has no Slack message"));
        self.topo
            .slack
            .updates()
            .into_iter()
            .filter(|u| u["ts"] == message.ts.as_str())
            .collect()
    }

    /// Waits until a `chat.update` of the incident's message mentions `needle`.
    async fn wait_update(&self, incident: &Incident, needle: &str) -> Value {
        // The worker records the message's ts just after Slack answers the post.
        let (posted, fields) = self
            .topo
            .wait_incident(&incident.id, Duration::from_secs(10), |f| {
                f.get("slack_ts").is_some_and(|ts| !ts.is_empty())
            })
            .await;
        assert!(
            posted,
            "{} has no Slack message: {fields:#?}",
            incident.title
        );
        let incident = Incident::from_hash(fields).expect("an incident");
        let awaited = || {
            format!(
                "a chat.update of {} mentioning {needle:?}; updates: {:#?}\n{}",
                incident.title,
                self.updates_of(&incident),
                self.context()
            )
        };
        wait_until(Duration::from_secs(10), awaited, async || {
            self.updates_of(&incident)
                .into_iter()
                .find(|u| u.to_string().contains(needle))
        })
        .await
    }

    /// StartIncident calls (repeats included) whose title mentions `alertname`.
    fn pages_of(&self, alertname: &str) -> Vec<versus_tests::StartedIncident> {
        self.topo
            .ssm
            .started()
            .into_iter()
            .filter(|s| s.title.as_deref().unwrap_or("").contains(alertname))
            .collect()
    }

    /// Waits for the page of `alertname` and checks it came after the incident's wait, on time.
    async fn wait_page(&self, incident: &Incident) -> versus_tests::StartedIncident {
        let name = incident.title.clone();
        let due = incident.due_ms.expect("an on-call incident has a due time");
        let timeout = Duration::from_millis((due - now_ms()).max(0) as u64 + 10_000);
        let awaited = || format!("{name} to be paged\n{}", self.context());
        let page = wait_until(timeout, awaited, async || {
            self.pages_by_token(incident).into_iter().next()
        })
        .await;
        let at = ms_of(page.received_at_system);
        assert!(
            at >= due,
            "{name} paged {} ms before its wait ran out",
            due - at
        );
        assert!(
            at - due <= PAGE_LATENESS_MAX_MS,
            "{name} paged {} ms after it was due",
            at - due
        );
        page
    }

    /// StartIncident calls for this incident (Versus's clientToken is `versus-{id}`).
    fn pages_by_token(&self, incident: &Incident) -> Vec<versus_tests::StartedIncident> {
        let token = format!("versus-{}", incident.id);
        self.topo
            .ssm
            .started()
            .into_iter()
            .filter(|s| s.client_token == token)
            .collect()
    }

    /// Alertmanager's own view: it sent webhooks, and none failed.
    async fn assert_alertmanager_saw_no_failures(&self) {
        let webhook = ["integration=\"webhook\""];
        let metrics = self.am.metrics().await;
        let sent = sum_samples(&metrics, "alertmanager_notifications_total", &webhook);
        let failed = sum_samples(
            &metrics,
            "alertmanager_notifications_failed_total",
            &webhook,
        );
        let requests_failed = sum_samples(
            &metrics,
            "alertmanager_notification_requests_failed_total",
            &webhook,
        );
        assert!(
            sent > 0.0,
            "alertmanager_notifications_total{{integration=\"webhook\"}} is {sent}\n{metrics}"
        );
        assert_eq!(
            (failed, requests_failed),
            (0.0, 0.0),
            "Alertmanager saw failed webhook notifications (failed_total, requests_failed_total)\n{}",
            self.context()
        );
        println!("Alertmanager: {sent} webhook notification(s) sent, {failed} failed");
    }

    /// No rejected calls at either fake.
    fn assert_fakes_saw_no_bad_calls(&self) {
        assert!(
            self.topo.slack.rejected().is_empty(),
            "{:#?}",
            self.topo.slack.rejected()
        );
        assert!(
            self.topo.ssm.rejected().is_empty(),
            "{:#?}",
            self.topo.ssm.rejected()
        );
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// The URL of the message's Acknowledge link button, from its Block Kit blocks (the Noise button beside it
/// links to the same page, and stays once the incident is acknowledged or resolved).
fn ack_link(post: &Value) -> Option<String> {
    buttons(post)
        .iter()
        .filter(|e| e["action_id"] == "versus_ack_link")
        .find_map(|e| e["url"].as_str().map(str::to_string))
}

fn alert(name: &str, labels: &[(&str, &str)]) -> TestAlert {
    let mut all = vec![("alertname", name)];
    all.extend_from_slice(labels);
    TestAlert::new(&all)
}

#[test]
fn the_example_configs_pass_amtool_and_route_as_the_guides_say() {
    println!("{}", alertmanager_version());
    let basic = example_path(BASIC);
    let advanced = example_path(INITIALIZED_ONLY);
    check_config(&basic);
    check_config(&advanced);

    for (labels, receiver) in [
        (&["severity=warning"][..], "versus-no-oncall"),
        (&["severity=critical"], "versus-with-ack"),
        (&["severity=urgent"], "versus-immediate"),
        (&["severity=info"], "versus-no-oncall"),
    ] {
        assert_eq!(route_of(&basic, labels), receiver, "{BASIC}: {labels:?}");
    }
    for (labels, receiver) in [
        (
            &["team=platform", "severity=critical"][..],
            "versus-critical",
        ),
        (
            &["team=application", "severity=critical"],
            "versus-app-critical",
        ),
        (&["team=platform", "severity=high"], "versus-normal"),
        (&["team=application", "severity=high"], "versus-app-normal"),
        (&["team=data", "severity=critical"], "versus-normal"),
        (
            &[
                "team=platform",
                "severity=critical",
                "timeperiod=business-hours",
            ],
            "versus-business-hours",
        ),
    ] {
        assert_eq!(
            route_of(&advanced, labels),
            receiver,
            "{INITIALIZED_ONLY}: {labels:?}"
        );
    }

    // Users copy these: every webhook goes to the placeholder Versus, and every receiver sends resolved.
    for name in [BASIC, INITIALIZED_ONLY] {
        let text = read_example(name);
        let urls: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- url: "))
            .collect();
        assert!(!urls.is_empty(), "{name} has no webhook URLs");
        for url in &urls {
            assert!(
                url.trim_matches('\'')
                    .starts_with(&format!("{EXAMPLE_VERSUS_URL}/api/incidents")),
                "{name}: {url}"
            );
        }
        assert_eq!(
            text.matches("send_resolved: true").count(),
            urls.len(),
            "{name}: every receiver should send resolved notifications"
        );
    }
}

#[tokio::test]
async fn warning_route_notifies_slack_and_never_pages() {
    let s = Setup::basic().await;
    let warning = alert(
        "DiskAlmostFull",
        &[("service", "storage"), ("severity", "warning")],
    );
    s.am.fire(&[&warning]).await;

    let post = s.wait_post("DiskAlmostFull").await;
    assert!(
        ack_link(&post).is_none(),
        "no on-call, so no Acknowledge button: {post}"
    );
    assert!(post.to_string().contains("WARNING"), "{post}");
    let incident = s.incident_of("DiskAlmostFull").await;
    assert!(!incident.oncall, "{incident:#?}");
    assert_eq!(incident.source, "alertmanager");

    // Repeats come and the wait of the other routes passes: still one message, no page.
    s.expect_repeats_to_join("DiskAlmostFull", &incident, NOTIFICATIONS_WITH_REPEATS, 1)
        .await;
    sleep_until_ms(incident.created_ms + WAIT_MS + 1_500).await;
    assert_eq!(
        s.posts_of("DiskAlmostFull").len(),
        1,
        "one message per group"
    );
    assert!(
        s.topo.ssm.calls().is_empty(),
        "a warning paged: {:#?}",
        s.topo.ssm.calls()
    );

    s.am.resolve(&[&warning]).await;
    let resolved = s
        .wait_state(&incident, IncidentState::Resolved, Duration::from_secs(10))
        .await;
    assert_eq!(resolved.resolved_from, Some(IncidentState::Pending));
    s.wait_update(&incident, "Resolved").await;
    assert!(s.topo.ssm.calls().is_empty());
    s.assert_fakes_saw_no_bad_calls();
    s.assert_alertmanager_saw_no_failures().await;
}

#[tokio::test]
async fn critical_route_pages_after_the_wait_unless_acknowledged_through_the_slack_link() {
    let s = Setup::basic().await;
    // group_by alertname and service: two groups, two incidents.
    let acked = alert(
        "CheckoutErrors",
        &[("service", "checkout"), ("severity", "critical")],
    );
    let ignored = alert(
        "PaymentsErrors",
        &[("service", "payments"), ("severity", "critical")],
    );
    s.am.fire(&[&acked, &ignored]).await;

    let acked_post = s.wait_post("CheckoutErrors").await;
    let ignored_post = s.wait_post("PaymentsErrors").await;
    assert!(ack_link(&ignored_post).is_some(), "{ignored_post}");
    let link =
        ack_link(&acked_post).unwrap_or_else(|| panic!("no Acknowledge button in {acked_post}"));
    assert!(
        link.starts_with(&format!("{}/api/", s.topo.api_url(0))),
        "the ack link points at Versus's public_host: {link}"
    );
    let acked_incident = s.incident_of("CheckoutErrors").await;
    let ignored_incident = s.incident_of("PaymentsErrors").await;
    for incident in [&acked_incident, &ignored_incident] {
        assert!(incident.oncall, "{incident:#?}");
        assert_eq!(
            incident.due_ms.map(|d| d - incident.created_ms),
            Some(WAIT_MS),
            "oncall_wait_minutes={WAIT_MINUTES} from the receiver URL"
        );
    }

    // A person opens the link (a GET changes nothing), then presses Acknowledge (the page's form POST).
    let page = s
        .topo
        .http()
        .get(&link)
        .header("Accept", "text/html")
        .send()
        .await
        .expect("GET the ack link");
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap_or_default();
    assert!(
        page.contains("CheckoutErrors") && page.contains("<form method=\"post\""),
        "{page}"
    );
    assert_eq!(
        s.reload(&acked_incident).await.state,
        IncidentState::Pending
    );
    let answer = s
        .topo
        .http()
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "text/html")
        .body("")
        .send()
        .await
        .expect("POST the ack form");
    assert_eq!(answer.status().as_u16(), 200);
    let answer = answer.text().await.unwrap_or_default();
    assert!(answer.contains("Acknowledged at"), "{answer}");
    let acked_incident = s
        .wait_state(
            &acked_incident,
            IncidentState::Acked,
            Duration::from_secs(2),
        )
        .await;
    assert_eq!(acked_incident.acked_via, Some(AckChannel::Link));
    s.wait_update(&acked_incident, "Acknowledged").await;

    // The other one pages after the wait, with the default response plan.
    let page = s.wait_page(&ignored_incident).await;
    assert_eq!(page.response_plan_arn, TEST_RESPONSE_PLAN_ARN);
    s.wait_state(
        &ignored_incident,
        IncidentState::Escalated,
        Duration::from_secs(5),
    )
    .await;
    s.wait_update(&ignored_incident, "Escalated").await;

    // Alertmanager repeats both groups; nothing pages twice, nothing is posted twice.
    s.expect_repeats_to_join(
        "CheckoutErrors",
        &acked_incident,
        NOTIFICATIONS_WITH_REPEATS,
        1,
    )
    .await;
    s.expect_repeats_to_join(
        "PaymentsErrors",
        &ignored_incident,
        NOTIFICATIONS_WITH_REPEATS,
        1,
    )
    .await;
    sleep_until_ms(acked_incident.due_ms.expect("due") + 1_500).await;
    assert_eq!(
        s.topo.ssm.started().len(),
        1,
        "one page in all: {:#?}",
        s.topo.ssm.started()
    );
    assert!(s.pages_of("CheckoutErrors").is_empty());
    assert_eq!(s.reload(&acked_incident).await.state, IncidentState::Acked);
    assert_eq!(s.posts_of("CheckoutErrors").len(), 1);
    assert_eq!(s.posts_of("PaymentsErrors").len(), 1);

    // Acknowledging after the page is too late, and says so.
    let late = ack_link(&ignored_post).expect("link");
    let answer = s
        .topo
        .http()
        .post(&late)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("POST the late ack");
    let answer = answer.text().await.unwrap_or_default();
    assert!(answer.contains("Too late"), "{answer}");

    s.assert_fakes_saw_no_bad_calls();
    s.assert_alertmanager_saw_no_failures().await;
}

#[tokio::test]
async fn urgent_route_pages_at_once_and_repeats_do_not_page_again() {
    let s = Setup::basic().await;
    let urgent = alert(
        "DatabaseDown",
        &[("service", "orders-db"), ("severity", "urgent")],
    );
    s.am.fire(&[&urgent]).await;

    let post = s.wait_post("DatabaseDown").await;
    assert!(post.to_string().contains("URGENT"), "{post}");
    let incident = s.incident_of("DatabaseDown").await;
    assert_eq!(incident.due_ms, Some(incident.created_ms), "wait 0");
    let page = s.wait_page(&incident).await;
    assert_eq!(page.response_plan_arn, TEST_RESPONSE_PLAN_ARN);
    assert_eq!(page.impact, Some(1), "urgent is impact 1");

    s.expect_repeats_to_join("DatabaseDown", &incident, NOTIFICATIONS_WITH_REPEATS, 1)
        .await;
    assert_eq!(s.topo.ssm.started().len(), 1, "{:#?}", s.topo.ssm.started());
    assert_eq!(s.topo.ssm.incident_count(), 1);
    assert_eq!(s.posts_of("DatabaseDown").len(), 1);
    s.wait_update(&incident, "Escalated").await;

    // Resolving an escalated incident marks the message resolved; it pages nobody.
    s.am.resolve(&[&urgent]).await;
    let resolved = s
        .wait_state(&incident, IncidentState::Resolved, Duration::from_secs(10))
        .await;
    assert_eq!(resolved.resolved_from, Some(IncidentState::Escalated));
    s.wait_update(&incident, "was escalated").await;
    assert_eq!(s.topo.ssm.started().len(), 1);
    s.assert_fakes_saw_no_bad_calls();
    s.assert_alertmanager_saw_no_failures().await;
}

#[tokio::test]
async fn resolving_a_critical_alert_cancels_its_pending_page_and_the_next_firing_is_a_new_incident()
{
    let s = Setup::basic().await;
    let critical = alert(
        "QueueBacklog",
        &[("service", "ingest"), ("severity", "critical")],
    );
    s.am.fire(&[&critical]).await;
    let post = s.wait_post("QueueBacklog").await;
    let link = ack_link(&post).expect("an Acknowledge button");
    let first = s.incident_of("QueueBacklog").await;

    s.am.resolve(&[&critical]).await;
    let resolved = s
        .wait_state(&first, IncidentState::Resolved, Duration::from_secs(10))
        .await;
    assert!(
        resolved.resolved_ms.expect("resolved_ms") < first.due_ms.expect("due_ms"),
        "the resolve must beat the wait for this test to mean anything: {resolved:#?}"
    );
    assert_eq!(resolved.resolved_from, Some(IncidentState::Pending));
    let update = s.wait_update(&first, "Resolved").await;
    assert!(update.to_string().contains("resolved"), "{update}");
    assert!(
        ack_link(&update).is_none(),
        "a resolved message has no Acknowledge button: {update}"
    );
    sleep_until_ms(first.due_ms.expect("due") + 1_500).await;
    assert!(
        s.topo.ssm.calls().is_empty(),
        "the resolved alert paged: {:#?}",
        s.topo.ssm.calls()
    );
    let answer = s
        .topo
        .http()
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("POST the ack link");
    let answer = answer.text().await.unwrap_or_default();
    assert!(answer.contains("already resolved"), "{answer}");

    // The same alert fires again: Alertmanager starts the group anew and Versus opens a new incident,
    // which pages after its wait.
    let again = TestAlert {
        starts_at: chrono::Utc::now(),
        ..critical.clone()
    };
    s.am.fire(&[&again]).await;
    wait_until(
        TO_SLACK,
        || format!("the second firing to be posted\n{}", s.context()),
        async || s.posts_of("QueueBacklog").len() >= 2,
    )
    .await;
    let incidents = s.incidents_of("QueueBacklog").await;
    assert_eq!(incidents.len(), 2, "{incidents:#?}");
    let second = &incidents[1];
    assert_ne!(second.id, first.id);
    assert_eq!(second.state, IncidentState::Pending);
    s.wait_page(second).await;
    assert_eq!(s.topo.ssm.started().len(), 1);
    s.assert_fakes_saw_no_bad_calls();
    s.assert_alertmanager_saw_no_failures().await;
}

#[tokio::test]
async fn initialized_only_pages_just_the_critical_team_routes_each_with_its_response_plan() {
    let s = Setup::initialized_only().await;
    let platform = alert(
        "PlatformApiDown",
        &[
            ("service", "api"),
            ("team", "platform"),
            ("severity", "critical"),
        ],
    );
    let app = alert(
        "AppCheckoutDown",
        &[
            ("service", "checkout"),
            ("team", "application"),
            ("severity", "critical"),
        ],
    );
    let platform_high = alert(
        "PlatformLatencyHigh",
        &[
            ("service", "api"),
            ("team", "platform"),
            ("severity", "high"),
        ],
    );
    let app_high = alert(
        "AppLatencyHigh",
        &[
            ("service", "checkout"),
            ("team", "application"),
            ("severity", "high"),
        ],
    );
    let other_team = alert(
        "BatchJobFailed",
        &[
            ("service", "etl"),
            ("team", "data"),
            ("severity", "critical"),
        ],
    );
    let business_hours = alert(
        "ReportLate",
        &[
            ("service", "reports"),
            ("team", "platform"),
            ("severity", "critical"),
            ("timeperiod", "business-hours"),
        ],
    );
    let all = [
        &platform,
        &app,
        &platform_high,
        &app_high,
        &other_team,
        &business_hours,
    ];
    s.am.fire(&all).await;

    let mut incidents: HashMap<&str, Incident> = HashMap::new();
    for a in all {
        let name = a.label("alertname");
        let post = s.wait_post(name).await;
        let incident = s.incident_of(name).await;
        let pages = name == "PlatformApiDown" || name == "AppCheckoutDown";
        assert_eq!(
            incident.oncall, pages,
            "{name}: only ?oncall_enable=true pages under initialized_only: {incident:#?}"
        );
        assert_eq!(ack_link(&post).is_some(), pages, "{name}: {post}");
        if pages {
            assert_eq!(
                incident.due_ms.map(|d| d - incident.created_ms),
                Some(WAIT_MS),
                "{name}: oncall.wait_minutes={WAIT_MINUTES}"
            );
        }
        incidents.insert(name, incident);
    }

    let platform_page = s.wait_page(&incidents["PlatformApiDown"]).await;
    assert_eq!(platform_page.response_plan_arn, TEST_RESPONSE_PLAN_ARN);
    let app_page = s.wait_page(&incidents["AppCheckoutDown"]).await;
    assert_eq!(
        app_page.response_plan_arn, APP_PLAN_ARN,
        "awsim_other_response_plan=app picks other_response_plan_arns.app"
    );

    // Repeats of every group: still two pages and one message per group.
    for (name, incident) in &incidents {
        s.expect_repeats_to_join(name, incident, NOTIFICATIONS_WITH_REPEATS, 1)
            .await;
    }
    let latest_due = incidents
        .values()
        .filter_map(|i| i.due_ms)
        .max()
        .expect("two on-call incidents");
    sleep_until_ms(latest_due + 1_500).await;
    assert_eq!(s.topo.ssm.started().len(), 2, "{:#?}", s.topo.ssm.started());
    assert_eq!(s.topo.ssm.incident_count(), 2);
    for a in all {
        let name = a.label("alertname");
        assert_eq!(s.posts_of(name).len(), 1, "{name}");
        let state = s.reload(&incidents[name]).await.state;
        let expected = if incidents[name].oncall {
            IncidentState::Escalated
        } else {
            IncidentState::Pending
        };
        assert_eq!(state, expected, "{name}");
    }

    // send_resolved: the escalated app incident and a Slack-only one resolve, and their messages say so.
    s.am.resolve(&[&app, &platform_high]).await;
    let app_resolved = s
        .wait_state(
            &incidents["AppCheckoutDown"],
            IncidentState::Resolved,
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(app_resolved.resolved_from, Some(IncidentState::Escalated));
    s.wait_update(&incidents["AppCheckoutDown"], "was escalated")
        .await;
    s.wait_state(
        &incidents["PlatformLatencyHigh"],
        IncidentState::Resolved,
        Duration::from_secs(10),
    )
    .await;
    s.wait_update(&incidents["PlatformLatencyHigh"], "Resolved")
        .await;
    assert_eq!(s.topo.ssm.started().len(), 2);
    s.assert_fakes_saw_no_bad_calls();
    s.assert_alertmanager_saw_no_failures().await;
}

#[tokio::test]
async fn initialized_only_resolve_before_the_wait_cancels_the_page() {
    let s = Setup::initialized_only().await;
    let app = alert(
        "AppQueueStuck",
        &[
            ("service", "queue"),
            ("team", "application"),
            ("severity", "critical"),
        ],
    );
    s.am.fire(&[&app]).await;
    let post = s.wait_post("AppQueueStuck").await;
    assert!(ack_link(&post).is_some(), "{post}");
    let incident = s.incident_of("AppQueueStuck").await;
    assert_eq!(incident.plan_arn.as_deref(), Some(APP_PLAN_ARN));

    s.am.resolve(&[&app]).await;
    let resolved = s
        .wait_state(&incident, IncidentState::Resolved, Duration::from_secs(10))
        .await;
    assert!(
        resolved.resolved_ms.expect("resolved_ms") < incident.due_ms.expect("due_ms"),
        "{resolved:#?}"
    );
    s.wait_update(&incident, "Resolved").await;
    sleep_until_ms(incident.due_ms.expect("due") + 1_500).await;
    assert!(s.topo.ssm.calls().is_empty(), "{:#?}", s.topo.ssm.calls());
    s.assert_fakes_saw_no_bad_calls();
    s.assert_alertmanager_saw_no_failures().await;
}

#[tokio::test]
async fn with_the_guides_send_resolved_false_a_group_that_fires_again_is_a_new_incident_and_pages_again(
) {
    // The basic guide shows send_resolved: false. Versus then never hears that an alert ended; when the
    // group fires again, Alertmanager sends it afresh (new startsAt), and Versus must not take it for a
    // repeat of the old, still "open" incident.
    require_alertmanager();
    let auth = IngestAuth::new(INGEST_TOKEN);
    let topo = auth.builder().oncall_enabled().start().await;
    let versus = topo.api_url(0);
    let wait = format!("oncall_wait_minutes={WAIT_MINUTES}");
    let mut replacements = vec![
        (EXAMPLE_VERSUS_URL, versus.as_str(), 3),
        ("oncall_wait_minutes=5", wait.as_str(), 1),
        ("send_resolved: true", "send_resolved: false", 3),
        auth.replacement(3),
    ];
    replacements.extend(FAST_TIMINGS);
    let config = render(BASIC, &read_example(BASIC), &replacements);
    let am = Alertmanager::start(&config).await;
    let s = Setup {
        topo,
        am,
        _auth: auth,
    };

    let urgent = alert(
        "DatabaseDown",
        &[("service", "orders-db"), ("severity", "urgent")],
    );
    let critical = alert(
        "CheckoutErrors",
        &[("service", "checkout"), ("severity", "critical")],
    );
    s.am.fire(&[&urgent, &critical]).await;
    s.wait_post("DatabaseDown").await;
    let post = s.wait_post("CheckoutErrors").await;
    let first_urgent = s.incident_of("DatabaseDown").await;
    let first_critical = s.incident_of("CheckoutErrors").await;
    s.wait_page(&first_urgent).await;
    let link = ack_link(&post).expect("an Acknowledge button");
    let answer = s
        .topo
        .http()
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("POST the ack link");
    assert!(answer.status().is_success());
    s.wait_state(
        &first_critical,
        IncidentState::Acked,
        Duration::from_secs(2),
    )
    .await;
    s.expect_repeats_to_join("DatabaseDown", &first_urgent, 2, 1)
        .await;

    // Both end (Alertmanager tells Versus nothing), then fire again.
    s.am.resolve(&[&urgent, &critical]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        s.reload(&first_urgent).await.state,
        IncidentState::Escalated
    );
    let now = chrono::Utc::now();
    let urgent_again = TestAlert {
        starts_at: now,
        ..urgent.clone()
    };
    let critical_again = TestAlert {
        starts_at: now,
        ..critical.clone()
    };
    s.am.fire(&[&urgent_again, &critical_again]).await;

    for name in ["DatabaseDown", "CheckoutErrors"] {
        wait_until(
            TO_SLACK,
            || format!("the second firing of {name} to be posted\n{}", s.context()),
            async || s.posts_of(name).len() >= 2,
        )
        .await;
    }
    let urgent_incidents = s.incidents_of("DatabaseDown").await;
    let critical_incidents = s.incidents_of("CheckoutErrors").await;
    assert_eq!(urgent_incidents.len(), 2, "{urgent_incidents:#?}");
    assert_eq!(critical_incidents.len(), 2, "{critical_incidents:#?}");
    // The stale incidents are closed, and their messages say so.
    for (old, from) in [
        (&first_urgent, IncidentState::Escalated),
        (&first_critical, IncidentState::Acked),
    ] {
        let old = s.reload(old).await;
        assert_eq!(old.state, IncidentState::Resolved, "{old:#?}");
        assert_eq!(old.resolved_from, Some(from));
        s.wait_update(&old, "Resolved").await;
    }
    let second_urgent = &urgent_incidents[1];
    let second_critical = &critical_incidents[1];
    s.wait_page(second_urgent).await;
    let second_post = s.posts_of("CheckoutErrors").remove(1);
    assert!(ack_link(&second_post).is_some(), "{second_post}");
    s.wait_page(second_critical).await;

    // Repeats of the new incidents page no more.
    s.expect_repeats_to_join("DatabaseDown", second_urgent, 3, 2)
        .await;
    s.expect_repeats_to_join("CheckoutErrors", second_critical, 3, 2)
        .await;
    assert_eq!(s.pages_by_token(second_urgent).len(), 1);
    assert_eq!(
        s.topo.ssm.incident_count(),
        3,
        "DatabaseDown twice, CheckoutErrors once (its first firing was acknowledged): {:#?}",
        s.topo.ssm.started()
    );
    assert_eq!(s.posts_of("DatabaseDown").len(), 2);
    assert_eq!(s.posts_of("CheckoutErrors").len(), 2);
    s.assert_fakes_saw_no_bad_calls();
    s.assert_alertmanager_saw_no_failures().await;
}

#[tokio::test]
async fn alertmanager_sending_a_wrong_ingest_token_is_refused_and_nothing_is_stored() {
    require_alertmanager();
    let auth = IngestAuth::new("not-the-ingest-token-0123456789");
    let topo = auth.builder().oncall_enabled().start().await;
    let versus = topo.api_url(0);
    let mut replacements = vec![
        (EXAMPLE_VERSUS_URL, versus.as_str(), 3),
        auth.replacement(3),
    ];
    replacements.extend(FAST_TIMINGS);
    let config = render(BASIC, &read_example(BASIC), &replacements);
    let am = Alertmanager::start(&config).await;
    let s = Setup {
        topo,
        am,
        _auth: auth,
    };
    s.am.fire(&[&alert("RefusedByVersus", &[("severity", "critical")])])
        .await;
    let webhook = ["integration=\"webhook\""];
    wait_until(
        TO_SLACK,
        || format!("Alertmanager to count a failed webhook\n{}", s.context()),
        async || {
            let metrics = s.am.metrics().await;
            sum_samples(
                &metrics,
                "alertmanager_notifications_failed_total",
                &webhook,
            ) > 0.0
        },
    )
    .await;
    assert!(
        s.topo.api_log(0).contains("webhook rejected: 401"),
        "{}",
        s.context()
    );
    assert!(s.incidents_of("RefusedByVersus").await.is_empty());
    assert!(s.posts_of("RefusedByVersus").is_empty());
}

/// An Alertmanager v4 notification of group `GroupTurnover` whose alerts are (fingerprint, startsAt, status).
fn notification(alerts: &[(&str, &str, &str)]) -> Value {
    let group = Notification::group(
        "versus-with-ack",
        "{}/{severity=\"critical\"}:{alertname=\"GroupTurnover\"}",
        &[("alertname", "GroupTurnover")],
    )
    .common_labels(&[("alertname", "GroupTurnover"), ("severity", "critical")]);
    alerts
        .iter()
        .fold(group, |group, (fp, starts, status)| {
            let alert = NotifiedAlert::firing(
                labels(&[
                    ("alertname", "GroupTurnover"),
                    ("severity", "critical"),
                    ("instance", fp),
                ]),
                starts,
                fp,
            )
            .annotations(&[("summary", "turnover")]);
            group.alert(match *status {
                "resolved" => alert.resolved_at("2026-01-01T00:30:00Z"),
                _ => alert,
            })
        })
        .to_json()
}

#[tokio::test]
async fn a_firing_notification_that_names_none_of_the_open_incidents_alerts_is_a_new_incident() {
    // The rule the real-Alertmanager tests rely on, with hand-made notifications (no Alertmanager needed).
    let topo = Topology::builder().oncall_enabled().start().await;
    let post = |body: Value| {
        let topo = &topo;
        async move {
            let (status, answer) = topo.post_alert("oncall_wait_minutes=60", &body).await;
            assert_eq!(status, 201, "{answer}");
            (
                answer["id"].as_str().expect("id").to_string(),
                answer["outcome"].as_str().expect("outcome").to_string(),
            )
        }
    };
    let (first, outcome) = post(notification(&[("a", "2026-01-01T00:00:00Z", "firing")])).await;
    assert_eq!(outcome, "created");
    // A repeat, and an alert joining: the same incident.
    let (id, outcome) = post(notification(&[
        ("a", "2026-01-01T00:00:00Z", "firing"),
        ("b", "2026-01-01T00:05:00Z", "firing"),
    ]))
    .await;
    assert_eq!((id.as_str(), outcome.as_str()), (first.as_str(), "updated"));
    // Alertmanager reports a and b resolved while c fires (send_resolved on): a change of the same group.
    let (id, outcome) = post(notification(&[
        ("a", "2026-01-01T00:00:00Z", "resolved"),
        ("b", "2026-01-01T00:05:00Z", "resolved"),
        ("c", "2026-01-01T00:10:00Z", "firing"),
    ]))
    .await;
    assert_eq!((id.as_str(), outcome.as_str()), (first.as_str(), "updated"));
    // c ended unreported and fired again (new startsAt): the group fired anew.
    let (second, outcome) = post(notification(&[("c", "2026-01-01T01:00:00Z", "firing")])).await;
    assert_eq!(outcome, "created");
    assert_ne!(second, first);
    let stale = Incident::from_hash(topo.incident(&first).await).expect("first incident");
    assert_eq!(stale.state, IncidentState::Resolved, "{stale:#?}");
    assert_eq!(stale.resolved_from, Some(IncidentState::Pending));
    assert_eq!(topo.incident(&first).await["resolved_by"], "fired_anew");
    // Its repeat joins the new incident.
    let (id, outcome) = post(notification(&[("c", "2026-01-01T01:00:00Z", "firing")])).await;
    assert_eq!(
        (id.as_str(), outcome.as_str()),
        (second.as_str(), "duplicate_request")
    );
    let (id, outcome) = post(notification(&[
        ("c", "2026-01-01T01:00:00Z", "firing"),
        ("d", "2026-01-01T01:01:00Z", "firing"),
    ]))
    .await;
    assert_eq!(
        (id.as_str(), outcome.as_str()),
        (second.as_str(), "updated")
    );
    // Both incidents have their own message; the stale one is edited to say resolved.
    for id in [&first, &second] {
        let (posted, fields) = topo
            .wait_incident(id, Duration::from_secs(10), |f| {
                f.get("slack_ts").is_some_and(|ts| !ts.is_empty())
            })
            .await;
        assert!(posted, "incident {id} was never posted: {fields:#?}");
    }
    let stale = Incident::from_hash(topo.incident(&first).await).expect("first incident");
    let fresh = Incident::from_hash(topo.incident(&second).await).expect("second incident");
    let stale_ts = stale.slack_message.as_ref().map(|m| m.ts.as_str());
    assert_ne!(
        stale_ts,
        fresh.slack_message.as_ref().map(|m| m.ts.as_str())
    );
    wait_until(
        Duration::from_secs(10),
        || {
            format!(
                "the stale message to be edited; updates: {:#?}",
                topo.slack.updates()
            )
        },
        async || {
            topo.slack.updates().iter().any(|u| {
                Some(u["ts"].as_str().unwrap_or_default()) == stale_ts
                    && u.to_string().contains("Resolved")
            })
        },
    )
    .await;
}
