//! The ack secret of an installation that configures none: the product documentation's basic config, run
//! with only its docker-compose variables, starts, posts ack links to Slack, and every API process (one
//! restarted, too) accepts them. A key lost while incidents exist is regenerated with an error and a count;
//! a process that finds Redis down at start-up waits for it; an explicit secret is used as it is and nothing
//! is stored.

use redis::AsyncCommands;
use serde_json::json;
use versus_tests::alerts::{created, freeform, id_of, post_ack};
use versus_tests::slack_messages::wait_top_level;
use versus_tests::topology::{sample_value, Role, SETTLE};
use versus_tests::{poll_until, Topology};

const BASIC_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/examples/aws-incident-manager-basic.yaml"
);

const GENERATED_LOG: &str = "generated the installation's ack secret and stored it in Redis";
const LOADED_LOG: &str = "generated ack secret, loaded from Redis";
const REGENERATED_LOG: &str = "generated a new ack secret although incidents exist";

/// The token of an ack link, and the same link on API `i` of the topology.
fn on_api(topo: &Topology, i: usize, ack_url: &str) -> (String, String) {
    let token = ack_url
        .rsplit_once("/api/incidents/ack/")
        .unwrap_or_else(|| panic!("not an ack link: {ack_url}"))
        .1
        .to_string();
    let local = format!("{}/api/incidents/ack/{token}", topo.api_url(i));
    (token, local)
}

async fn stored_secret(topo: &Topology) -> Option<String> {
    let mut conn = topo.redis_conn().await;
    conn.get(topo.key("ack_secret")).await.unwrap()
}

#[tokio::test]
async fn the_documentation_config_runs_with_only_its_compose_environment() {
    let mut topo = Topology::builder()
        .config(BASIC_CONFIG)
        .documentation_environment()
        .apis(2)
        .start()
        .await;
    let secret = stored_secret(&topo).await.expect("a generated ack secret");
    assert_eq!(secret.len(), 64, "256 bits, hex");
    let logs = [topo.api_log(0), topo.api_log(1), topo.worker_log(0)];
    let generated = logs.iter().filter(|l| l.contains(GENERATED_LOG)).count();
    let loaded = logs.iter().filter(|l| l.contains(LOADED_LOG)).count();
    assert_eq!(
        (generated, loaded),
        (1, 2),
        "one process generates, the others load: {logs:#?}"
    );
    // The documentation's config logs every received body (`debug_body: true`): one echoing the generated
    // secret shows it redacted, like a configured one.
    let echo = json!({"Logs": format!("echo {secret}"), "ServiceName": "echo"});
    created(&topo, "oncall_enable=false", &echo).await;
    assert!(
        topo.wait_for_log(Role::Api, 0, "echo [redacted]", SETTLE)
            .await,
        "{}",
        topo.api_log(0)
    );
    let logs = [topo.api_log(0), topo.api_log(1), topo.worker_log(0)];
    assert!(
        logs.iter().all(|l| !l.contains(&secret)),
        "the secret was logged"
    );

    let answer = created(&topo, "oncall_wait_minutes=60", &freeform("docs-compose")).await;
    let id = id_of(&answer);
    let ack_url = answer["ack_url"].as_str().expect("an ack_url").to_string();
    assert!(
        ack_url.starts_with("https://your-ack-host.example/api/incidents/ack/"),
        "public_host of the documentation's config: {ack_url}"
    );
    let (token, _) = on_api(&topo, 0, &ack_url);
    // The worker signs the link it posts with the same key as the API that answered.
    wait_top_level(&topo.slack, &token).await;

    topo.restart(Role::Api, 1).await;
    assert!(topo.api_log(1).matches(LOADED_LOG).count() >= 1);
    let (_, restarted) = on_api(&topo, 1, &ack_url);
    let (status, answer) = post_ack(&topo, &restarted).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "acked", "{answer}");
    assert_eq!(topo.incident(&id).await["state"], "acked");
    assert_eq!(stored_secret(&topo).await.as_deref(), Some(secret.as_str()));
}

/// One API with on-call and no configured secret, an incident `marker` waiting an hour: the topology, the
/// incident's ack link and the generated secret that signed it.
async fn with_generated_secret(marker: &str) -> (Topology, String, String) {
    let topo = Topology::builder()
        .oncall_enabled()
        .env("VERSUS_ACK_SECRET", "")
        .workers(0)
        .start()
        .await;
    let answer = created(&topo, "oncall_wait_minutes=60", &freeform(marker)).await;
    let ack_url = answer["ack_url"].as_str().expect("an ack_url").to_string();
    let secret = stored_secret(&topo).await.expect("a generated ack secret");
    (topo, ack_url, secret)
}

#[tokio::test]
async fn a_key_lost_while_incidents_exist_is_regenerated_with_an_error_and_a_count() {
    let (mut topo, ack_url, before) = with_generated_secret("lost-key").await;
    // Stopped first: a running process would put its key back.
    topo.kill(Role::Api, 0).await;
    let mut conn = topo.redis_conn().await;
    let _: () = conn.del(topo.key("ack_secret")).await.unwrap();

    topo.start_again(Role::Api, 0).await;
    assert!(
        topo.api_log(0).contains(REGENERATED_LOG),
        "{}",
        topo.api_log(0)
    );
    let after = stored_secret(&topo).await.expect("a new ack secret");
    assert_ne!(after, before);
    let metrics = topo.scrape(&topo.api_url(0)).await.expect("/metrics");
    assert_eq!(
        sample_value(&metrics, "versus_ack_secret_regenerated_total"),
        Some(1.0),
        "{metrics}"
    );
    let (status, answer) = post_ack(&topo, &ack_url).await;
    assert_eq!(status, 404, "a link signed with the lost key: {answer}");
}

#[tokio::test]
async fn a_key_deleted_while_processes_run_is_put_back_by_them_and_links_keep_working() {
    let (mut topo, ack_url, before) = with_generated_secret("kept-key").await;
    let mut conn = topo.redis_conn().await;
    let _: () = conn.del(topo.key("ack_secret")).await.unwrap();

    let restored = poll_until(std::time::Duration::from_secs(12), async || {
        stored_secret(&topo).await
    })
    .await
    .expect("the running API put its key back");
    assert_eq!(restored, before);
    // A process started now loads that key rather than generating a second one.
    topo.restart(Role::Api, 0).await;
    assert!(
        !topo.api_log(0).contains(REGENERATED_LOG),
        "{}",
        topo.api_log(0)
    );
    let (status, answer) = post_ack(&topo, &ack_url).await;
    assert_eq!(status, 200, "the link signed before the deletion: {answer}");
}

#[tokio::test]
async fn an_explicit_secret_is_used_and_nothing_is_stored() {
    let topo = Topology::builder()
        .oncall_enabled()
        .workers(0)
        .start()
        .await;
    let answer = created(&topo, "oncall_wait_minutes=60", &freeform("explicit")).await;
    assert!(answer["ack_url"].as_str().is_some(), "{answer}");
    assert_eq!(stored_secret(&topo).await, None);
    let metrics = topo.scrape(&topo.api_url(0)).await.expect("/metrics");
    assert_eq!(
        sample_value(&metrics, "versus_ack_secret_regenerated_total"),
        Some(0.0),
        "{metrics}"
    );
}

#[tokio::test]
async fn without_redis_at_start_up_a_process_waits_for_it_then_obtains_the_key() {
    let mut topo = Topology::builder()
        .oncall_enabled()
        .env("VERSUS_ACK_SECRET", "")
        .apis(0)
        .workers(0)
        .start()
        .await;
    topo.redis.kill();
    let mut api = topo.spawn_unchecked(Role::Api, &[]);
    let waiting = poll_until(SETTLE, async || {
        api.log_contents()
            .contains("cannot obtain the ack secret yet: Redis does not answer")
    })
    .await;
    assert!(waiting.is_some(), "{}", api.log_contents());
    assert!(api.try_status().is_none(), "{}", api.log_contents());

    topo.redis.start_again();
    let obtained = poll_until(SETTLE, async || api.log_contents().contains(GENERATED_LOG)).await;
    assert!(obtained.is_some(), "{}", api.log_contents());
    assert!(stored_secret(&topo).await.is_some());
    assert_eq!(api.try_status(), None, "{}", api.log_contents());
}
