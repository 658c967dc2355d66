//! `versus-worker dead-letters list|requeue`: an operator can see a dead-lettered job with its error and put
//! it back with a fresh attempt budget.

use redis::AsyncCommands;
use std::time::Duration;
use versus_shared::domain::jobs::NotifyJob;
use versus_shared::infra::queue::{JobStore, PushOptions};
use versus_tests::{RedisServer, VersusProcess, WORKER_BIN};

const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/config.yaml");

async fn run_cli(redis: &RedisServer, args: &[&str]) -> String {
    let mut all = vec!["--config", CONFIG];
    all.extend_from_slice(args);
    let env = vec![("REDIS_PORT".to_string(), redis.port().to_string())];
    let mut process = VersusProcess::spawn(WORKER_BIN, &all, &env);
    let status = process
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("the command finishes");
    let log = process.log_contents();
    assert!(status.success(), "{args:?} failed: {log}");
    log
}

#[tokio::test]
async fn an_operator_lists_and_requeues_dead_letters() {
    let redis = RedisServer::start();
    let conn = redis::aio::ConnectionManager::new(redis.client())
        .await
        .unwrap();
    let store = JobStore::for_job::<NotifyJob>(conn.clone(), "versus:", Duration::from_secs(3600));
    let job = NotifyJob {
        incident_id: "incident-1".into(),
    };
    let id = store
        .push(&job, PushOptions::default())
        .await
        .unwrap()
        .job_id()
        .to_string();
    let batch = store
        .fetch(10, "lease-1", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(batch.jobs.len(), 1);
    assert!(store
        .dead_letter(
            &id,
            "lease-1",
            "Slack refused chat.postMessage: invalid_auth"
        )
        .await
        .unwrap());

    let listed = run_cli(&redis, &["dead-letters", "list"]).await;
    assert!(listed.contains(&id), "{listed}");
    assert!(listed.contains("invalid_auth"), "{listed}");
    assert!(listed.contains("incident-1"), "{listed}");

    let requeued = run_cli(
        &redis,
        &["dead-letters", "requeue", "--queue", "notify", &id],
    )
    .await;
    assert!(
        requeued.contains("requeued 1 job(s) from notify"),
        "{requeued}"
    );
    let dead: u64 = conn
        .clone()
        .zcard("versus:queue:notify:dead")
        .await
        .unwrap();
    assert_eq!(dead, 0);
    let due: Vec<String> = conn
        .clone()
        .zrange("versus:queue:notify:due", 0, -1)
        .await
        .unwrap();
    assert_eq!(due, vec![id.clone()]);
    let attempts: u32 = conn
        .clone()
        .hget(format!("versus:queue:notify:job:{id}"), "attempts")
        .await
        .unwrap();
    assert_eq!(attempts, 0, "a requeued job gets a fresh attempt budget");
}
