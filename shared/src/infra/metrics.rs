//! The Prometheus recorder both binaries install, and the metric names they share.

use crate::domain::jobs::JobKind;
use crate::infra::replication::ReplicatedWrite;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_process::Collector;
use std::sync::{LazyLock, OnceLock};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The standard `process_*` metrics of the running process (Prometheus client conventions).
static PROCESS: LazyLock<Collector> = LazyLock::new(Collector::default);

/// Installs the global recorder once per process and returns the handle that renders `/metrics`.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let latency = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            let lateness = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0];
            let human = [
                30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0,
                86400.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("versus_ingest_request_duration_seconds".into()),
                    &latency,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("versus_escalation_lateness_seconds".into()),
                        &lateness,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("versus_time_to_acknowledge_seconds".into()),
                        &human,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("versus_time_to_resolve_seconds".into()),
                        &human,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("versus_notify_latency_seconds".into()),
                        &lateness,
                    )
                })
                .expect("bucket lists are non-empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::debug!("a metrics recorder was already installed");
            }
            metrics::gauge!("versus_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            PROCESS.describe();
            PROCESS.collect();
            handle
        })
        .clone()
}

/// The text of `/metrics`. The `process_*` values are read from the operating system first, so they are
/// those of the moment of the scrape.
pub fn render(handle: &PrometheusHandle) -> String {
    PROCESS.collect();
    handle.render()
}

/// Help texts of the API's metrics, and its labelled counters at 0 for every known label set, so rates and
/// `increase()` work from the first scrape (a series that appears with its first event hides that event).
/// Call after [`install`].
pub fn describe_api() {
    describe_counter!(
        "versus_incidents_received_total",
        "Incidents accepted on POST /api/incidents, by source (alertmanager, generic) and status (firing, resolved)"
    );
    describe_histogram!(
        "versus_ingest_request_duration_seconds",
        "Time to handle an ingest request, Redis writes included, in seconds"
    );
    describe_counter!(
        "versus_ingest_rejected_total",
        "Ingest requests refused, by reason; redis_unavailable, busy and not_replicated are the 503s that make senders retry, unauthorized the 401 of missing or wrong ingest_auth credentials"
    );
    describe_gauge!(
        "versus_ingest_body_bytes_in_flight",
        "Webhook body bytes held by requests in flight, against alert.body_budget_bytes"
    );
    describe_counter!(
        "versus_ingest_unknown_parameters_total",
        "Query parameters of accepted webhooks that Versus does not know, by name (the first 32 plain names; the rest are other): the alert was handled with the defaults"
    );
    describe_counter!(
        "versus_incident_deduplicated_total",
        "Re-sends of an incident that is still open (not stored or notified again)"
    );
    describe_counter!(
        "versus_acks_total",
        "Acknowledgements, by via (link, slack) and result (acked, already_acked, too_late, missing, invalid)"
    );
    describe_counter!(
        "versus_noise_marks_total",
        "Noise marks set or taken off, by via (link, slack) and result (marked, already_marked, unmarked, not_marked, missing, invalid)"
    );
    describe_histogram!(
        "versus_time_to_acknowledge_seconds",
        "Time from an incident's arrival to its acknowledgement (MTTA), in seconds"
    );
    describe_histogram!(
        "versus_time_to_resolve_seconds",
        "Time from an incident's arrival to its resolve (MTTR), in seconds"
    );
    describe_counter!(
        "versus_slack_callbacks_rejected_total",
        "Slack button callbacks refused (bad or missing signature, stale timestamp, replay)"
    );
    describe_gauge!(
        "versus_heartbeat_last_beat_timestamp_seconds",
        "Time of the last beat this API process recorded, by heartbeat name (Unix seconds); take the max across replicas"
    );
    describe_common();

    for source in ["alertmanager", "generic"] {
        for status in ["firing", "resolved"] {
            counter!("versus_incidents_received_total", "source" => source, "status" => status)
                .increment(0);
        }
    }
    for reason in [
        "invalid_json",
        "empty_body",
        "not_object",
        "too_large",
        "too_many_incidents",
        "body_timeout",
        "unsupported_media_type",
        "invalid_query",
        "unauthorized",
        "redis_unavailable",
        "busy",
        "not_replicated",
    ] {
        counter!("versus_ingest_rejected_total", "reason" => reason).increment(0);
    }
    counter!("versus_ingest_unknown_parameters_total", "name" => "other").increment(0);
    for via in ["link", "slack"] {
        for result in ["acked", "already_acked", "too_late"] {
            counter!("versus_acks_total", "via" => via, "result" => result).increment(0);
        }
        for result in ["marked", "unmarked"] {
            counter!("versus_noise_marks_total", "via" => via, "result" => result).increment(0);
        }
    }
    counter!("versus_incident_deduplicated_total").increment(0);
    counter!("versus_slack_callbacks_rejected_total").increment(0);
    metrics::gauge!("versus_ingest_body_bytes_in_flight").set(0.0);
    register_unreplicated(&[
        ReplicatedWrite::Ingest,
        ReplicatedWrite::Ack,
        ReplicatedWrite::AckSecret,
    ]);
    // Registered, so they are scraped (all buckets 0) before the first sample.
    let _ = histogram!("versus_ingest_request_duration_seconds");
    let _ = histogram!("versus_time_to_acknowledge_seconds");
    let _ = histogram!("versus_time_to_resolve_seconds");
}

/// Help texts of the worker's metrics, and its labelled counters at 0 (see [`describe_api`]). The
/// notification channels are `slack` and `slack_update` when Slack is on, `log` when it is off.
/// Call after [`install`].
pub fn describe_worker(slack_enabled: bool) {
    describe_gauge!(
        "versus_queue_depth",
        "Jobs due now and waiting for a worker, by queue (the same value from every worker)"
    );
    describe_gauge!(
        "versus_queue_scheduled",
        "Jobs due later (escalations during the on-call wait, retries in backoff), by queue"
    );
    describe_gauge!("versus_queue_inflight", "Jobs being run, by queue");
    describe_gauge!(
        "versus_dead_letter_jobs",
        "Jobs in the dead-letter set (failed permanently or out of attempts), by queue"
    );
    describe_counter!(
        "versus_jobs_total",
        "Job runs by queue and outcome (done, retry, dead)"
    );
    describe_counter!(
        "versus_notifications_sent_total",
        "Notifications delivered, by channel (slack, slack_update, log)"
    );
    describe_counter!(
        "versus_notifications_failed_total",
        "Notification attempts that failed, by channel and reason (a bounded Slack error class)"
    );
    describe_counter!(
        "versus_slack_rate_limited_total",
        "Slack 429 (rate limited) responses"
    );
    describe_counter!(
        "versus_slack_retry_after_clamped_total",
        "Slack 429 answers whose Retry-After asked for more than 5 minutes (the worker waited 5 minutes)"
    );
    describe_counter!(
        "versus_slack_rate_limit_wait_seconds_total",
        "Seconds Slack calls were held back by Slack's Retry-After, in whole seconds"
    );
    describe_histogram!(
        "versus_notify_latency_seconds",
        "Time from an incident's arrival to its Slack message being posted, in seconds"
    );
    describe_counter!(
        "versus_template_errors_total",
        "Messages whose template failed to render (a fallback message was sent instead)"
    );
    describe_counter!(
        "versus_escalations_total",
        "Escalate jobs by outcome (started, suppressed_ack, suppressed_resolve, failed)"
    );
    describe_histogram!(
        "versus_escalation_lateness_seconds",
        "Seconds from an escalation's due time to its StartIncident call"
    );
    describe_counter!(
        "versus_aws_api_errors_total",
        "Failed AWS Incident Manager calls, by operation and AWS error code"
    );
    describe_counter!(
        "versus_heartbeat_missed_total",
        "Incidents opened for a missed heartbeat, by name; each outage is counted by the one worker that opened it, so sum across workers"
    );
    describe_common();

    for queue in JobKind::ALL.map(JobKind::queue) {
        for outcome in ["done", "retry", "dead"] {
            counter!("versus_jobs_total", "queue" => queue, "outcome" => outcome).increment(0);
        }
    }
    let channels: &[&'static str] = if slack_enabled {
        &["slack", "slack_update"]
    } else {
        &["log"]
    };
    for &channel in channels {
        counter!("versus_notifications_sent_total", "channel" => channel).increment(0);
        if channel != "log" {
            for reason in ["rate_limited", "server_error", "network", "other"] {
                counter!("versus_notifications_failed_total", "channel" => channel, "reason" => reason)
                    .increment(0);
            }
        }
    }
    for outcome in ["started", "suppressed_ack", "suppressed_resolve", "failed"] {
        counter!("versus_escalations_total", "outcome" => outcome).increment(0);
    }
    counter!("versus_slack_rate_limited_total").increment(0);
    counter!("versus_slack_rate_limit_wait_seconds_total").increment(0);
    counter!("versus_slack_retry_after_clamped_total").increment(0);
    counter!("versus_template_errors_total").increment(0);
    register_unreplicated(&[ReplicatedWrite::EscalateClaim, ReplicatedWrite::AckSecret]);
    let _ = histogram!("versus_escalation_lateness_seconds");
    let _ = histogram!("versus_notify_latency_seconds");
}

/// The writes this process makes that wait for replicas, at 0.
fn register_unreplicated(writes: &[ReplicatedWrite]) {
    for write in writes {
        counter!("versus_redis_unreplicated_writes_total", "operation" => write.label())
            .increment(0);
    }
}

fn describe_common() {
    describe_counter!(
        "versus_redis_unreplicated_writes_total",
        "State changes that reached fewer replicas than redis.min_replicas_acked, by operation (ingest, ack, escalate, ack_secret); \
         answered 201 unless redis.replication_strict"
    );
    describe_counter!(
        crate::infra::ack_secret::REGENERATED_METRIC,
        "Ack secrets this process generated while incidents already existed: the key that signed their ack links was lost from Redis, so those links no longer work"
    );
    counter!(crate::infra::ack_secret::REGENERATED_METRIC).increment(0);
    describe_gauge!(
        "versus_redis_up",
        "1 when this process reaches Redis, 0 when it does not"
    );
    describe_gauge!(
        "versus_build_info",
        "Always 1; the version label carries the running version"
    );
}
