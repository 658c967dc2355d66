//! Guarantees of Versus's job queue, each against a redis-server of its own, with real apalis
//! workers over `RedisBackend` running in this process: idle pickup and due-time precision, idempotency,
//! attempt limits, backoff and dead letters. Run with `--nocapture` to see the measured figures.
//!
//! The other guarantees are in `recovery` (Redis restart, a worker that cannot work, a killed worker) and
//! `load` (20,000 due at once, bounded memory, several workers on one queue).

use std::time::{Duration, Instant};
use versus_shared::infra::queue::{PushOptions, PushOutcome};
use versus_tests::probe_queue::{
    producer, runtime, stats, wait_dead_letter, wait_queue_empty, Behaviour, ProbeJob, Recorder,
    TestWorker,
};
use versus_tests::timing::ms;
use versus_tests::turns::timing_turn;
use versus_tests::{wait_until, RedisServer};

/// An idle worker with the DEFAULT idle poll (1 s) picks each new job up within 1 s; in fact a producer's
/// wake-up token makes it milliseconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_worker_picks_up_a_new_job_within_one_second() {
    let _turn = timing_turn().await;
    let redis = RedisServer::start();
    let runtime = runtime(redis.port(), "pickup");
    assert_eq!(
        runtime.idle_poll,
        Duration::from_millis(1000),
        "this test is about the default idle poll"
    );
    let recorder = Recorder::default();
    let _worker = TestWorker::start(runtime, recorder.clone(), "pickup");
    let store = producer(redis.port());
    // Let the worker find the queue empty and go idle.
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let mut latencies = Vec::new();
    for n in 0..20u64 {
        // Spacings that do not line up with the 1 s idle poll, so some pushes land early in an idle
        // wait and some late.
        tokio::time::sleep(Duration::from_millis(150 + (n * 137) % 400)).await;
        let pushed_at = Instant::now();
        let id = store
            .push(&ProbeJob::new(n), PushOptions::default())
            .await
            .expect("push")
            .job_id()
            .to_string();
        wait_until(
            Duration::from_secs(5),
            format!("job {n} to be picked up"),
            async || recorder.count_of(&id) > 0,
        )
        .await;
        let run = &recorder.runs_of(&id)[0];
        latencies.push(run.at.duration_since(pushed_at));
    }
    let mut sorted = latencies.clone();
    sorted.sort();
    let max = *sorted.last().unwrap();
    println!(
        "idle pickup latency over {} pushes (default idle_poll 1 s): min {:.1} ms, median {:.1} ms, max {:.1} ms",
        sorted.len(),
        ms(sorted[0]),
        ms(sorted[sorted.len() / 2]),
        ms(max)
    );
    assert!(
        max < Duration::from_secs(1),
        "an idle worker took {max:?} to pick up a job (all: {latencies:?})"
    );
    assert_eq!(recorder.total(), 20, "each job runs once");
}

/// Delayed jobs keep their millisecond due time, never run early and run within 1 s of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_jobs_run_within_one_second_of_due_and_never_before() {
    let _turn = timing_turn().await;
    let redis = RedisServer::start();
    let recorder = Recorder::default();
    let _worker = TestWorker::start(runtime(redis.port(), "delay"), recorder.clone(), "delay");
    let store = producer(redis.port());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let delays_ms = [1700u64, 350, 2450];
    let mut pushed = Vec::new();
    for (n, delay) in delays_ms.iter().enumerate() {
        let before = Instant::now();
        let outcome = store
            .push(
                &ProbeJob::new(n as u64),
                PushOptions {
                    delay: Duration::from_millis(*delay),
                    idempotency_key: None,
                },
            )
            .await
            .expect("push");
        pushed.push((outcome.job_id().to_string(), *delay, before));
    }
    for (id, delay, before) in &pushed {
        wait_until(
            Duration::from_secs(6),
            format!("the job delayed {delay} ms to run"),
            async || recorder.count_of(id) > 0,
        )
        .await;
        let run = &recorder.runs_of(id)[0];
        let kept = run.due_ms - run.enqueued_ms;
        let lateness = run.wall_ms - run.due_ms;
        let since_push = run.at.duration_since(*before);
        println!(
            "delay {delay} ms: due time stored as enqueued + {kept} ms; ran {lateness} ms after due ({:.0} ms after the push began)",
            ms(since_push)
        );
        assert_eq!(
            kept, *delay as i64,
            "the due time must keep millisecond precision"
        );
        // Due times are whole Redis milliseconds (floored), hence the 1 ms of slack on the local clock;
        // `lateness` above compares whole milliseconds of the same clock exactly.
        assert!(
            since_push + Duration::from_millis(1) >= Duration::from_millis(*delay),
            "a job delayed {delay} ms ran after only {since_push:?}"
        );
        assert!(lateness >= 0, "ran {} ms before its due time", -lateness);
        assert!(
            lateness < 1000,
            "ran {lateness} ms after its due time (bound: 1000 ms)"
        );
    }
    assert_eq!(recorder.total(), delays_ms.len(), "each job runs once");
}

/// A second push with the same idempotency key enqueues nothing, says so, and the job runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_pushed_twice_with_one_idempotency_key_runs_once() {
    let redis = RedisServer::start();
    let recorder = Recorder::default();
    let _worker = TestWorker::start(runtime(redis.port(), "idem"), recorder.clone(), "idem");
    let store = producer(redis.port());
    let keyed = |key: &str| PushOptions {
        delay: Duration::ZERO,
        idempotency_key: Some(key.to_string()),
    };

    let first = store
        .push(&ProbeJob::new(1), keyed("alert-a"))
        .await
        .unwrap();
    let second = store
        .push(&ProbeJob::new(2), keyed("alert-a"))
        .await
        .unwrap();
    let PushOutcome::Enqueued(id) = first.clone() else {
        panic!("first push: {first:?}")
    };
    assert_eq!(second, PushOutcome::Duplicate(id.clone()));
    wait_until(Duration::from_secs(3), "the first job to run", async || {
        recorder.count_of(&id) > 0
    })
    .await;
    // Pushed again after the first run finished: still a duplicate.
    let third = store
        .push(&ProbeJob::new(3), keyed("alert-a"))
        .await
        .unwrap();
    assert_eq!(third, PushOutcome::Duplicate(id.clone()));

    // The same inside one pipeline.
    let batch = store
        .push_many(&[
            (ProbeJob::new(4), keyed("alert-b")),
            (ProbeJob::new(5), keyed("alert-b")),
            (ProbeJob::new(6), keyed("alert-c")),
        ])
        .await
        .unwrap();
    assert!(matches!(batch[0], PushOutcome::Enqueued(_)), "{batch:?}");
    assert_eq!(batch[1], PushOutcome::Duplicate(batch[0].job_id().into()));
    assert!(matches!(batch[2], PushOutcome::Enqueued(_)), "{batch:?}");

    // Give any stray copy time to run (pickup is milliseconds).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ran: Vec<u64> = recorder.runs().iter().map(|r| r.n).collect();
    println!(
        "idempotency: 6 pushes under 3 keys -> outcomes [{first:?}, {second:?}, {third:?}, {batch:?}]; probes run: {ran:?}"
    );
    let mut sorted = ran.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [1, 4, 6],
        "only the first push of each key may run, once"
    );
}

fn short_policy(runtime: &mut versus_shared::infra::queue::QueueRuntime) {
    runtime.policy.max_attempts = 3;
    runtime.policy.backoff_initial_ms = 200;
    runtime.policy.backoff_max_ms = 10_000;
}

/// `max_attempts: 3` with a 200 ms initial backoff: exactly 3 runs, spaced by the backoff (±20 % jitter),
/// then the dead-letter set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_limit_and_backoff_are_honoured_then_dead_letter() {
    let _turn = timing_turn().await;
    let redis = RedisServer::start();
    let mut runtime = runtime(redis.port(), "retry");
    short_policy(&mut runtime);
    let recorder = Recorder::default();
    let _worker = TestWorker::start(runtime, recorder.clone(), "retry");
    let store = producer(redis.port());

    let id = store
        .push(
            &ProbeJob::with(7, Behaviour::AlwaysRetry),
            PushOptions::default(),
        )
        .await
        .unwrap()
        .job_id()
        .to_string();
    wait_dead_letter(&store, Duration::from_secs(10)).await;
    // Nothing may run after the last attempt.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let runs = recorder.runs_of(&id);
    let attempts: Vec<u32> = runs.iter().map(|r| r.attempt).collect();
    let gaps: Vec<Duration> = runs.windows(2).map(|w| w[1].at - w[0].at).collect();
    println!(
        "retry policy max_attempts 3, backoff 200 ms doubling: attempts {attempts:?}, gaps between runs {:?} ms (expected >= 160, >= 320)",
        gaps.iter().map(|g| ms(*g).round()).collect::<Vec<_>>()
    );
    assert_eq!(attempts, [1, 2, 3], "exactly 3 runs");
    for (i, gap) in gaps.iter().enumerate() {
        let backoff = Duration::from_millis(200 << i);
        assert!(
            *gap >= backoff.mul_f64(0.8),
            "gap {i} was {gap:?}, below the backoff {backoff:?} minus 20 % jitter"
        );
        assert!(
            *gap <= backoff.mul_f64(1.2) + Duration::from_secs(1),
            "gap {i} was {gap:?}, far beyond the backoff {backoff:?}"
        );
    }
    let s = stats(&store).await;
    assert_eq!((s.ready, s.scheduled, s.inflight, s.dead), (0, 0, 0, 1));
    let dead = store.list_dead(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 3);
    assert!(
        dead[0].last_error.contains("fails again") && dead[0].last_error.contains('3'),
        "last error: {}",
        dead[0].last_error
    );
}

/// A permanent error dead-letters after one run; `list_dead` shows it with its error; `requeue_dead` puts it
/// back with a fresh budget and it runs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_error_dead_letters_at_once_and_can_be_requeued() {
    let redis = RedisServer::start();
    let mut runtime = runtime(redis.port(), "permanent");
    short_policy(&mut runtime);
    let recorder = Recorder::default();
    let _worker = TestWorker::start(runtime, recorder.clone(), "permanent");
    let store = producer(redis.port());

    let id = store
        .push(
            &ProbeJob::with(8, Behaviour::PermanentOnFirstRun),
            PushOptions::default(),
        )
        .await
        .unwrap()
        .job_id()
        .to_string();
    wait_dead_letter(&store, Duration::from_secs(5)).await;
    let to_dead = recorder.runs_of(&id)[0].at.elapsed();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        recorder.count_of(&id),
        1,
        "a permanent error must not be retried"
    );
    let dead = store.list_dead(10).await.unwrap();
    println!(
        "permanent error: dead-lettered within {:.0} ms of its only run; list_dead: id {} attempts {} error {:?}",
        ms(to_dead),
        dead[0].id,
        dead[0].attempts,
        dead[0].last_error
    );
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 1);
    assert!(
        dead[0].last_error.contains("can never work"),
        "{}",
        dead[0].last_error
    );
    assert!(
        dead[0].payload.contains("PermanentOnFirstRun"),
        "{}",
        dead[0].payload
    );

    assert_eq!(
        store
            .requeue_dead(Some(std::slice::from_ref(&id)))
            .await
            .unwrap(),
        1
    );
    wait_until(
        Duration::from_secs(3),
        "the requeued job to run again",
        async || recorder.count_of(&id) == 2,
    )
    .await;
    assert!(wait_queue_empty(&store, Duration::from_secs(3)).await);
    let runs = recorder.runs_of(&id);
    assert_eq!(
        runs[1].attempt, 1,
        "a requeued job gets a fresh attempt budget"
    );
    assert_eq!(stats(&store).await.dead, 0);
    assert!(store.list_dead(10).await.unwrap().is_empty());
}

/// `RetryAfter` (the far side said "later") does not use up an attempt: 3 of them, then 3 real attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_does_not_consume_an_attempt() {
    let redis = RedisServer::start();
    let mut runtime = runtime(redis.port(), "retry-after");
    short_policy(&mut runtime);
    let recorder = Recorder::default();
    let _worker = TestWorker::start(runtime, recorder.clone(), "retry-after");
    let store = producer(redis.port());

    let job = ProbeJob::with(
        9,
        Behaviour::RetryAfterThenRetry {
            times: 3,
            after_ms: 150,
        },
    );
    let id = store
        .push(&job, PushOptions::default())
        .await
        .unwrap()
        .job_id()
        .to_string();
    wait_dead_letter(&store, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let runs = recorder.runs_of(&id);
    let attempts: Vec<u32> = runs.iter().map(|r| r.attempt).collect();
    let gaps: Vec<f64> = runs
        .windows(2)
        .map(|w| ms(w[1].at - w[0].at).round())
        .collect();
    println!(
        "RetryAfter x3 then Retry, max_attempts 3: attempts seen {attempts:?}, gaps {gaps:?} ms"
    );
    assert_eq!(attempts, [1, 1, 1, 1, 2, 3]);
    for gap in &gaps[..3] {
        assert!(
            *gap >= 150.0,
            "RetryAfter 150 ms was not honoured: {gaps:?}"
        );
    }
    let dead = store.list_dead(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
}
