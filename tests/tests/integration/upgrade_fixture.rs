//! Upgrade safety: the build under test finishes the work that a release in production left in Redis.
//!
//! Each fixture in `tests/fixtures/upgrade/` is what a release's own binaries wrote (see `capture` below):
//! escalations still to come, acknowledged, escalated and resolved incidents, and queued notify and Slack
//! update jobs. The test loads one into a fresh Redis, starts this build's API and worker against FakeSlack
//! and FakeSsm, and checks that every pending escalation pages exactly once and not before it is due, that
//! nothing else pages, and that every queued notification and Slack update lands.
//!
//! A change to what Versus stores extends this test (and says in `docs/upgrading.md` whether a rolling
//! upgrade and a rollback are safe); a release whose stored format later releases must read adds a fixture.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use versus_shared::infra::schema::{schema_key, SCHEMA_VERSION};
use versus_tests::process::{binary_path, API_BIN, WORKER_BIN};
use versus_tests::redis_snapshot::{load, server_time_ms, TimeShift};
use versus_tests::topology::KEY_PREFIX;
use versus_tests::upgrade_fixture::{
    epoch_ms, queued_jobs, Expectations, Fixture, Installation, Observed, FIXTURES_DIR,
};
use versus_tests::{Role, Topology};

/// Margin past the last due job for all the work to be done.
const FINISH_MARGIN: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_build_finishes_the_work_each_captured_release_left_in_redis() {
    let fixtures = Fixture::all();
    assert!(!fixtures.is_empty(), "no fixture in {FIXTURES_DIR}");
    for fixture in &fixtures {
        upgrade_from(fixture).await;
    }
}

async fn upgrade_from(fixture: &Fixture) {
    let header = &fixture.header;
    assert_eq!(
        header.prefix,
        KEY_PREFIX,
        "fixture {}: the topology's configuration uses another key prefix",
        fixture.name()
    );
    let mut builder = Topology::builder().apis(0).workers(0);
    for (key, value) in &header.config.env {
        builder = builder.env(key, value);
    }
    let topo = builder.start().await;
    let mut conn = topo.redis_conn().await;

    // The fixture's times are moved by (now - captured_at), on Redis's clock (see `TimeShift` for which
    // values are times). Every due time keeps its distance from "now": an escalation due 6 s after the
    // capture is due 6 s after the load, so the test can watch it page when due and not before, and an
    // overdue job is as overdue as it was.
    let shift = TimeShift::between(header.captured_at_ms, server_time_ms(&mut conn).await);
    let records: Vec<_> = fixture
        .records
        .iter()
        .map(|record| shift.apply(&header.prefix, record))
        .collect();
    load(&mut conn, &records).await;
    let expectations = Expectations::new(header, &records);
    // Slack still has the messages the release posted; the new worker updates them.
    for (ts, channel) in expectations.posted_messages() {
        topo.slack.adopt_message(&ts, &channel);
    }

    let installation =
        Installation::start(&topo, &binary_path(API_BIN), &binary_path(WORKER_BIN)).await;
    let ready_ms = epoch_ms(std::time::SystemTime::now());
    let deadline = Instant::now()
        + Duration::from_millis((expectations.last_due_ms() - ready_ms).max(0) as u64)
        + FINISH_MARGIN;
    while queued_jobs(&mut conn, &header.prefix).await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let observed = Observed::collect(&topo, &installation, &expectations).await;
    let mut problems = expectations.problems(&observed, ready_ms);
    let left = queued_jobs(&mut conn, &header.prefix).await;
    if left > 0 {
        problems.push(format!("{left} job(s) still queued or running at the end"));
    }
    // Records from before `unknown_params` read as having no unknown query parameters: no warning.
    for message in topo.slack.posts().iter().chain(&topo.slack.updates()) {
        if message.to_string().contains("unknown parameter") {
            problems.push(format!("a message warns of unknown parameters: {message}"));
        }
    }
    let schema = stored_format(&mut conn, &header.prefix).await;
    if schema != Some(SCHEMA_VERSION.to_string()) {
        problems.push(format!(
            "{} is {schema:?}, expected {SCHEMA_VERSION}",
            schema_key(&header.prefix)
        ));
    }
    assert!(
        problems.is_empty(),
        "upgrade from the Redis state of release {} (fixture {}) went wrong:\n- {}\n\nWhat each incident did:\n{}",
        header.release_commit,
        fixture.name(),
        problems.join("\n- "),
        expectations.report(&observed, ready_ms)
    );
    println!(
        "fixture {}: every job finished as expected\n{}",
        fixture.name(),
        expectations.report(&observed, ready_ms)
    );
}

/// A release refuses to work on data of a newer stored format than it knows, and says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_refuses_to_start_on_a_newer_stored_format() {
    let topo = Topology::builder().apis(0).workers(0).start().await;
    let newer = store_a_newer_format(&topo).await;
    for role in [Role::Api, Role::Worker] {
        let mut process = topo.spawn_unchecked(role, &[]);
        let status = process.wait_exit(Duration::from_secs(30)).await;
        let log = process.log_contents();
        assert!(
            status.is_some_and(|s| !s.success()),
            "{role:?} must exit non-zero on stored format {newer}, got {status:?}; its log:\n{log}"
        );
        for needed in [
            format!("stored format {newer}"),
            "Roll forward".into(),
            "docs/upgrading.md".into(),
        ] {
            assert!(
                log.contains(&needed),
                "{role:?} must say {needed:?}; its log:\n{log}"
            );
        }
    }
    let kept = stored_format(&mut topo.redis_conn().await, KEY_PREFIX).await;
    assert_eq!(
        kept,
        Some(newer.to_string()),
        "an older release must not overwrite the version"
    );
}

/// Makes the fixture of a release: see `versus_tests::upgrade_fixture::capture`. By hand, never in CI:
///
/// ```sh
/// cargo build --workspace --bins
/// VERSUS_RELEASE_DIR=/path/to/release cargo test -p versus-tests --test integration \
///     -- --ignored --nocapture upgrade_fixture::capture
/// ```
///
/// `VERSUS_RELEASE_DIR` holds the release's `versus-api`, `versus-worker` and `COMMIT` (the commit they
/// were built from). Commit the directory it writes under `tests/fixtures/upgrade/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by hand to capture a release's Redis state"]
async fn capture() {
    let release = std::env::var("VERSUS_RELEASE_DIR")
        .map(PathBuf::from)
        .expect("VERSUS_RELEASE_DIR: the directory of the release's binaries");
    let fixture = versus_tests::upgrade_fixture::capture(&release).await;
    println!(
        "wrote {} keys and {} incidents to {}",
        fixture.records.len(),
        fixture.header.incidents.len(),
        fixture.dir.display()
    );
}

/// A process that started while Redis was unreachable checks the stored format once Redis answers, and
/// stops when it is newer than it knows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_started_without_redis_stops_once_redis_shows_a_newer_format() {
    let mut topo = Topology::builder().apis(0).workers(0).start().await;
    let newer = store_a_newer_format(&topo).await;
    topo.redis.stop();
    let mut api = topo.spawn_unchecked(Role::Api, &[]);
    versus_tests::wait_until(
        Duration::from_secs(30),
        || {
            format!(
                "the API to start without Redis; its log:\n{}",
                api.log_contents()
            )
        },
        async || {
            api.log_contents()
                .contains("cannot check the stored format yet")
        },
    )
    .await;
    assert!(
        api.try_status().is_none(),
        "the API must keep running until Redis answers"
    );
    topo.redis.start_again();
    let status = api.wait_exit(Duration::from_secs(15)).await;
    let log = api.log_contents();
    assert!(
        status.is_some_and(|s| !s.success()),
        "the API must exit non-zero once Redis shows stored format {newer}, got {status:?}; its log:\n{log}"
    );
    assert!(log.contains(&format!("stored format {newer}")), "{log}");
}

/// Sets the stored-format version to one newer than this build knows; returns it.
async fn store_a_newer_format(topo: &Topology) -> u32 {
    let newer = SCHEMA_VERSION + 1;
    let _: () = redis::cmd("SET")
        .arg(schema_key(KEY_PREFIX))
        .arg(newer)
        .query_async(&mut topo.redis_conn().await)
        .await
        .expect("SET the stored-format version");
    newer
}

async fn stored_format(conn: &mut MultiplexedConnection, prefix: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(schema_key(prefix))
        .query_async(conn)
        .await
        .expect("GET the stored-format version")
}
