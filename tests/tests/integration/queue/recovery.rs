//! Queue guarantees about failures: workers ride out a Redis restart without losing a job, a
//! worker that cannot work exits non-zero, and a SIGKILLed worker's job runs again while a worker
//! restarted at once starts at once. The last two run the real binaries: build them first with
//! `cargo build --workspace --bins`. Run with `--nocapture` to see the measured figures.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use versus_tests::probe_queue::{
    producer, push_retrying, runtime, stats, wait_queue_empty, Behaviour, ProbeJob, Recorder,
    TestWorker,
};
use versus_tests::timing::ms;
use versus_tests::turns::timing_turn;
use versus_tests::{
    free_port, poll_until, wait_until, Failure, FakeSlack, RedisServer, VersusProcess, API_BIN,
    WORKER_BIN,
};

/// Redis is SIGKILLed mid-work and started again from its AOF. The in-process worker (product defaults,
/// concurrency 4) reconnects and resumes by itself; every job pushed before and during the outage runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_resume_after_a_redis_restart_and_no_job_is_lost() {
    let _turn = timing_turn().await;
    let mut redis = RedisServer::start();
    let mut runtime = runtime(redis.port(), "restart");
    runtime.concurrency = 4;
    let recorder = Recorder::default();
    let worker = TestWorker::start(runtime, recorder.clone(), "restart");
    let store = producer(redis.port());

    let mut expected: HashSet<String> = HashSet::new();
    for n in 0..200 {
        let outcome = push_retrying(
            &store,
            &ProbeJob::with(n, Behaviour::SleepMs(20)),
            Duration::from_secs(5),
        )
        .await;
        expected.insert(outcome.job_id().to_string());
    }
    // Kill Redis while jobs are running and many are still waiting.
    wait_until(
        Duration::from_secs(10),
        "the worker to start on the first jobs",
        async || recorder.total() >= 40,
    )
    .await;
    let ran_before_kill = recorder.total();
    tokio::task::block_in_place(|| redis.kill());
    let killed_at = Instant::now();

    // Producers keep pushing during the outage; each push is retried until Redis takes it.
    let during = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 1000..1050 {
                let job = ProbeJob::with(n, Behaviour::SleepMs(20));
                ids.push(
                    push_retrying(&store, &job, Duration::from_secs(30))
                        .await
                        .job_id()
                        .to_string(),
                );
            }
            ids
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    tokio::task::block_in_place(|| redis.start_again());
    let up_at = Instant::now();
    let outage = up_at - killed_at;

    // Resumption: the first job a worker starts after Redis is back.
    wait_until(
        Duration::from_secs(10),
        "the workers to resume after the restart",
        async || recorder.runs().iter().any(|r| r.at > up_at),
    )
    .await;
    let resumed = up_at.elapsed();
    assert!(worker.is_running(), "the worker must not have stopped");
    expected.extend(during.await.expect("pusher"));

    let all_ran = poll_until(Duration::from_secs(40), async || {
        expected.iter().all(|id| recorder.count_of(id) > 0)
    })
    .await
    .map(|()| up_at.elapsed());
    let missing: Vec<&String> = expected
        .iter()
        .filter(|id| recorder.count_of(id) == 0)
        .collect();
    let repeated = recorder.repeated();

    // Once the backlog is gone, a new job is picked up as fast as before the restart: the worker's
    // wake-up connection came back too.
    assert!(wait_queue_empty(&store, Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pushed = Instant::now();
    let probe = push_retrying(&store, &ProbeJob::new(9999), Duration::from_secs(5))
        .await
        .job_id()
        .to_string();
    wait_until(
        Duration::from_secs(5),
        "a job pushed after the restart to be picked up",
        async || recorder.count_of(&probe) > 0,
    )
    .await;
    let probe_pickup = recorder.runs_of(&probe)[0].at - pushed;
    println!(
        "redis restart: killed with {ran_before_kill}/200 jobs run, down {:.0} ms; workers resumed {:.0} ms after Redis was back; \
         all {} jobs (200 before + 50 during the outage) ran within {} of the restart; lost {}; run more than once {}; \
         then an idle pickup took {:.1} ms",
        ms(outage),
        ms(resumed),
        expected.len(),
        all_ran.map_or("NEVER".into(), |d| format!("{:.0} ms", ms(d))),
        missing.len(),
        repeated.len(),
        ms(probe_pickup)
    );
    assert!(
        missing.is_empty(),
        "{} jobs were lost: {missing:?}",
        missing.len()
    );
    assert!(resumed < Duration::from_secs(10));
    assert!(
        probe_pickup < Duration::from_secs(1),
        "idle pickup after the restart took {probe_pickup:?}"
    );
    let s = stats(&store).await;
    assert_eq!(s.dead, 0, "no job may be dead-lettered by the outage");
    assert!(worker.is_running());
}

fn config_path() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config/config.yaml");
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .display()
        .to_string()
}

fn env(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The real `versus-worker` with Redis unreachable gives up after `redis_down_exit_seconds` and exits
/// non-zero, so Kubernetes restarts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_cannot_reach_redis_exits_non_zero() {
    let closed_port = free_port();
    let started = Instant::now();
    let mut worker = VersusProcess::spawn(
        WORKER_BIN,
        &["--config", &config_path()],
        &env(&[
            ("REDIS_PORT", closed_port.to_string()),
            ("VERSUS__WORKER__REDIS_DOWN_EXIT_SECONDS", "2".into()),
            ("VERSUS_WORKER_PORT", free_port().to_string()),
        ]),
    );
    let status = worker.wait_exit(Duration::from_secs(15)).await;
    let took = started.elapsed();
    println!(
        "worker without Redis (redis_down_exit_seconds 2): exited with {status:?} after {:.1} s",
        took.as_secs_f64()
    );
    let status = status.unwrap_or_else(|| {
        panic!(
            "versus-worker still running after 15 s without Redis; log:\n{}",
            worker.log_contents()
        )
    });
    assert!(
        status.code().is_some_and(|c| c != 0),
        "must exit with a non-zero code, got {status}; log:\n{}",
        worker.log_contents()
    );
}

/// Established TCP connections to 127.0.0.1:`port`, from /proc/net/tcp.
fn connections_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let remote = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3 && fields[2] == remote && fields[3] == "01"
        })
        .count()
}

async fn post_alert(client: &reqwest::Client, api: &str, marker: &str) {
    let body = serde_json::json!({
        "ServiceName": marker,
        "Severity": "critical",
        "Logs": format!("queue recovery test {marker}"),
    });
    let resp = client
        .post(format!("{api}/api/incidents"))
        .json(&body)
        .send()
        .await
        .expect("POST /api/incidents");
    assert_eq!(resp.status().as_u16(), 201, "{:?}", resp.text().await);
}

/// First accepted Slack post whose body mentions `marker`, with its receive time.
fn post_with(slack: &FakeSlack, marker: &str) -> Option<Instant> {
    slack
        .calls()
        .iter()
        .find(|c| {
            c.method == "chat.postMessage" && c.outcome.is_accepted() && c.raw_body.contains(marker)
        })
        .map(|c| c.received_at)
}

/// A worker SIGKILLed in the middle of a notify job: the job runs again within 30 s (lease 15 s, the
/// default), and a worker restarted at once serves `/healthz` and processes a new alert at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_runs_again_and_a_restarted_worker_starts_at_once() {
    let _turn = timing_turn().await;
    let redis = RedisServer::start();
    let slack = FakeSlack::start();
    let api_port = free_port();
    let worker_port = free_port();
    let vars = env(&[
        ("SLACK_ENABLE", "true".into()),
        ("SLACK_TOKEN", slack.token()),
        ("SLACK_CHANNEL_ID", "C1".into()),
        ("SLACK_API_URL", slack.url()),
        ("REDIS_PORT", redis.port().to_string()),
        ("VERSUS_HOST", "127.0.0.1".into()),
        ("VERSUS_PORT", api_port.to_string()),
        ("VERSUS_WORKER_PORT", worker_port.to_string()),
    ]);
    let config = config_path();
    let args = ["--config", config.as_str()];
    let api = format!("http://127.0.0.1:{api_port}");
    let healthz = format!("http://127.0.0.1:{worker_port}/healthz");
    let mut api_process = VersusProcess::spawn(API_BIN, &args, &vars);
    let mut worker = VersusProcess::spawn(WORKER_BIN, &args, &vars);
    api_process
        .wait_http_ok(&format!("{api}/healthz"), Duration::from_secs(20))
        .await;
    worker.wait_http_ok(&healthz, Duration::from_secs(20)).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();

    // The notify job hangs in its Slack call.
    slack.set_mode(Failure::Delay(Duration::from_secs(20)));
    post_alert(&client, &api, "killed-job-alert").await;
    let mut conn = redis.conn().await;
    wait_until(
        Duration::from_secs(10),
        "the worker to call Slack",
        async || connections_to(slack.port()) > 0,
    )
    .await;
    let inflight: u64 = redis::cmd("ZCARD")
        .arg("versus:queue:notify:inflight")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(inflight, 1, "the notify job should be leased by the worker");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let killed_at = Instant::now();
    worker.sigkill();
    assert!(worker.wait_exit(Duration::from_secs(5)).await.is_some());
    slack.clear_mode();

    // A new worker at once.
    let restarted = Instant::now();
    let mut worker2 = VersusProcess::spawn(WORKER_BIN, &args, &vars);
    worker2
        .wait_http_ok(&healthz, Duration::from_secs(10))
        .await;
    let healthy_after = restarted.elapsed();
    let posted = Instant::now();
    post_alert(&client, &api, "fresh-alert").await;
    let fresh = poll_until(Duration::from_secs(10), async || {
        post_with(&slack, "fresh-alert").is_some()
    })
    .await;
    let fresh_after = post_with(&slack, "fresh-alert").map(|at| at - posted);

    let again = poll_until(Duration::from_secs(40), async || {
        post_with(&slack, "killed-job-alert").is_some_and(|at| at > killed_at)
    })
    .await;
    let again_after = slack
        .calls()
        .iter()
        .filter(|c| c.outcome.is_accepted() && c.raw_body.contains("killed-job-alert"))
        .map(|c| c.received_at)
        .find(|at| *at > killed_at)
        .map(|at| at - killed_at);
    println!(
        "killed worker: restarted worker answered /healthz {:.0} ms after spawn and posted a new alert {} after it was sent; \
         the killed worker's notify job was posted {} after SIGKILL (lease 15 s)",
        ms(healthy_after),
        fresh_after.map_or("NEVER".into(), |d| format!("{:.0} ms", ms(d))),
        again_after.map_or("NEVER".into(), |d| format!("{:.1} s", d.as_secs_f64()))
    );
    assert!(
        healthy_after < Duration::from_secs(3),
        "the restarted worker took {healthy_after:?} to answer /healthz"
    );
    assert!(
        fresh.is_some(),
        "the restarted worker never processed a new alert"
    );
    assert!(
        fresh_after.unwrap() < Duration::from_secs(2),
        "the restarted worker took {fresh_after:?} to post a new alert"
    );
    assert!(
        again.is_some(),
        "the killed worker's job did not run again within 40 s"
    );
    assert!(
        again_after.unwrap() < Duration::from_secs(30),
        "the killed worker's job ran again only after {again_after:?}"
    );
    drop(worker2);
    drop(api_process);
}
