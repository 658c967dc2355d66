//! The printed table (Markdown, so it can go into docs/performance.md as is).

use serde_json::Value;

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn fmt(v: &Value, digits: usize) -> String {
    match num(v) {
        Some(x) => format!("{x:.digits$}"),
        None => "n/a".into(),
    }
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "n/a",
    }
}

pub fn table(report: &Value) -> String {
    let r = &report["results"];
    let set = &report["redis_benchmark_set_per_s"];
    let mut rows: Vec<[String; 4]> = Vec::new();
    rows.push([
        "redis-benchmark SET, 50 clients (own redis, AOF on)".into(),
        format!(
            "{} SET/s; Redis CPU {} us per SET",
            fmt(set, 0),
            fmt(&report["redis_benchmark_redis_cpu_us_per_set"], 1)
        ),
        "(reference)".into(),
        String::new(),
    ]);

    let sat = &r["ingest_saturation"];
    if !sat.is_null() {
        let rate = num(&sat["requests_per_s"]);
        let ratio = num(&sat["ratio_to_redis_set"]);
        let p99 = num(&sat["latency_ms"]["p99"]);
        rows.push([
            format!(
                "ingest saturation, 3-alert payload, on-call on, {} connections",
                sat["connections"]
            ),
            format!(
                "{} req/s, ratio {}, p50 {} ms, p99 {} ms ({} failed); CPU per request: API {} us, Redis {} us, load generator {} us",
                fmt(&sat["requests_per_s"], 0),
                fmt(&sat["ratio_to_redis_set"], 2),
                fmt(&sat["latency_ms"]["p50"], 2),
                fmt(&sat["latency_ms"]["p99"], 2),
                sat["failed"],
                fmt(&sat["cpu_us_per_request"]["api"], 0),
                fmt(&sat["cpu_us_per_request"]["redis"], 0),
                fmt(&sat["cpu_us_per_request"]["bench"], 0)
            ),
            ">= 10,000 req/s, ratio >= 0.3, p99 < 20 ms".into(),
            verdict(match (rate, ratio, p99) {
                (Some(a), Some(b), Some(c)) => Some(a >= 10_000.0 && b >= 0.3 && c < 20.0),
                _ => None,
            })
            .into(),
        ]);
    }

    if let Some(points) = sat["by_connections"].as_array() {
        let text: Vec<String> = points
            .iter()
            .map(|p| {
                format!(
                    "{}: {} req/s, p99 {} ms",
                    p["connections"],
                    fmt(&p["requests_per_s"], 0),
                    fmt(&p["latency_ms"]["p99"], 1)
                )
            })
            .collect();
        if !text.is_empty() {
            rows.push([
                "ingest saturation at other connection counts (shorter runs)".into(),
                text.join("; "),
                "(for reading)".into(),
                String::new(),
            ]);
        }
    }

    let replication = &r["replication"];
    if !replication.is_null() {
        let side = |v: &Value| {
            format!(
                "{} req/s, p50 {} ms, p99 {} ms ({} failed)",
                fmt(&v["requests_per_s"], 0),
                fmt(&v["latency_ms"]["p50"], 2),
                fmt(&v["latency_ms"]["p99"], 2),
                v["failed"]
            )
        };
        rows.push([
            format!(
                "ingest with WAIT against one replica, {} connections (shorter runs)",
                replication["connections"]
            ),
            format!(
                "with: {}; primary alone: {}; ratio {}",
                side(&replication["with_one_replica"]),
                side(&replication["without_replica"]),
                fmt(&replication["throughput_ratio"], 2)
            ),
            "(for reading)".into(),
            String::new(),
        ]);
    }

    let notify = &r["notify_latency"];
    if !notify.is_null() {
        let l = &notify["latency_ms"];
        rows.push([
            format!(
                "notify latency at {} alerts/s (API receipt to fake Slack receipt)",
                notify["rate_per_s"]
            ),
            format!(
                "p50 {} ms, p99 {} ms, max {} ms ({} of {} posted)",
                fmt(&l["p50"], 2),
                fmt(&l["p99"], 2),
                fmt(&l["max"], 2),
                notify["posted"],
                notify["sent"]
            ),
            "p50 < 20 ms, p99 < 200 ms".into(),
            verdict(match (num(&l["p50"]), num(&l["p99"])) {
                (Some(a), Some(b)) => {
                    Some(a < 20.0 && b < 200.0 && notify["posted"] == notify["sent"])
                }
                _ => None,
            })
            .into(),
        ]);
    }

    let single = &r["single_escalation"];
    if !single.is_null() {
        let l = &single["lateness_ms"];
        rows.push([
            format!(
                "one escalation at a time ({}, {} ms apart): due to StartIncident",
                single["escalations"], single["spacing_ms"]
            ),
            format!(
                "p50 {} ms, p99 {} ms, max {} ms ({} started)",
                fmt(&l["p50"], 1),
                fmt(&l["p99"], 1),
                fmt(&l["max"], 1),
                single["started"]
            ),
            "p99 < 1 s".into(),
            verdict(
                num(&l["p99"]).map(|p| p < 1000.0 && single["started"] == single["escalations"]),
            )
            .into(),
        ]);
    }

    let burst = &r["burst"];
    if !burst.is_null() {
        let l = &burst["lateness_ms"];
        let once = burst["exactly_once"].as_bool();
        rows.push([
            format!(
                "{} unacknowledged escalations due within one second",
                burst["escalations"]
            ),
            format!(
                "p50 {} ms, p99 {} ms, max {} ms; exactly once: {} ({} started, {} StartIncident calls, {} /s)",
                fmt(&l["p50"], 0),
                fmt(&l["p99"], 0),
                fmt(&l["max"], 0),
                burst["exactly_once"],
                burst["started"],
                burst["start_calls"],
                fmt(&burst["escalations_per_s"], 0)
            ),
            "p99 < 3 s, max < 5 s, exactly once".into(),
            verdict(match (num(&l["p99"]), num(&l["max"]), once) {
                (Some(a), Some(b), Some(c)) => Some(a < 3000.0 && b < 5000.0 && c),
                _ => None,
            })
            .into(),
        ]);
    }

    let failover = &r["failover"];
    if !failover.is_null() {
        let first = num(&failover["death_to_first_accept_s"]);
        let late = num(&failover["worst_escalation_lateness_s"]);
        rows.push([
            "Sentinel failover, primary SIGKILLed (down-after 1000 ms), alert every 20 ms".into(),
            format!(
                "first accepted alert {} s after the death; worst escalation lateness {} s; {} accepted, {} lost, {} duplicate pages",
                fmt(&failover["death_to_first_accept_s"], 1),
                fmt(&failover["worst_escalation_lateness_s"], 1),
                failover["accepted"],
                failover["lost"],
                failover["duplicate_pages"]
            ),
            "both < 5 s, nothing lost".into(),
            verdict(match (first, late) {
                (Some(a), Some(b)) => Some(a < 5.0 && b < 5.0 && failover["lost"] == 0),
                _ => None,
            })
            .into(),
        ]);
    }

    let growth = &r["growth"];
    if !growth.is_null() {
        let (s, l) = (&growth["small"], &growth["large"]);
        let ratio = num(&growth["ingest_rate_ratio_large_to_small"]);
        rows.push([
            format!(
                "growth: ingest with {} vs {} pending escalations",
                s["pending_escalations_at_start"], l["pending_escalations_at_start"]
            ),
            format!(
                "{} vs {} req/s, ratio {}",
                fmt(&s["ingest"]["requests_per_s"], 0),
                fmt(&l["ingest"]["requests_per_s"], 0),
                fmt(&growth["ingest_rate_ratio_large_to_small"], 2)
            ),
            "within 1.2".into(),
            verdict(ratio.map(|r| (1.0 / 1.2..=1.2).contains(&r))).into(),
        ]);
        let (ps, pl) = (
            &s["escalation"]["lateness_ms"],
            &l["escalation"]["lateness_ms"],
        );
        let p99_ratio = num(&growth["lateness_p99_ratio_large_to_small"]);
        rows.push([
            "growth: escalation lateness, same two sizes".into(),
            format!(
                "p50 {} vs {} ms, p99 {} vs {} ms; p50 ratio {}, p99 ratio {}",
                fmt(&ps["p50"], 1),
                fmt(&pl["p50"], 1),
                fmt(&ps["p99"], 1),
                fmt(&pl["p99"], 1),
                fmt(&growth["lateness_p50_ratio_large_to_small"], 2),
                fmt(&growth["lateness_p99_ratio_large_to_small"], 2)
            ),
            "within 1.2".into(),
            verdict(p99_ratio.map(|r| r <= 1.2)).into(),
        ]);
        rows.push([
            format!(
                "notify throughput while seeding {} incidents",
                l["seeding"]["incidents"]
            ),
            format!(
                "ingest {} req/s with the worker running; all notified at {} /s",
                fmt(&l["seeding"]["ingest_per_s_with_worker"], 0),
                fmt(&l["seeding"]["notify_throughput_per_s"], 0)
            ),
            "(for reading)".into(),
            String::new(),
        ]);
        let per = num(&l["redis_bytes_per_incident"]);
        let b = &l["memory_usage_of_one_incident"];
        rows.push([
            "Redis bytes per open incident (INFO used_memory delta / incidents)".into(),
            format!(
                "{} B (record {} B with a {} B compressed payload, escalate job {} B, notify job {} B, dedup key {} B, request key {} B)",
                fmt(&l["redis_bytes_per_incident"], 0),
                b["record"],
                b["payload_stored_bytes"],
                b["escalate_job"],
                b["notify_job_done"],
                b["dedup"],
                b["request"]
            ),
            "< 4 KB".into(),
            verdict(per.map(|p| p < 4096.0)).into(),
        ]);
    }

    let m = &r["memory"];
    let api_peak = [&m["api_end"]["peak_mb"]]
        .iter()
        .filter_map(|v| num(v))
        .fold(0.0_f64, f64::max);
    let large = &r["large_bodies"];
    if !large.is_null() {
        let shapes = &large["shapes"];
        rows.push([
            format!(
                "versus-api peak RSS, {} senders of maximum-size (1 MiB) bodies",
                large["connections"]
            ),
            format!(
                "{} MB (idle {} MB); 100-incident arrays: {} answered 201, {} answered 503; tiny values: {} answered 201, {} answered 503",
                fmt(&large["api_peak_mb"], 1),
                fmt(&large["api_idle_peak_mb"], 1),
                shapes["array_of_100_incidents"]["created"],
                shapes["array_of_100_incidents"]["busy_503"],
                shapes["tiny_values"]["created"],
                shapes["tiny_values"]["busy_503"],
            ),
            "< 256 MB (chart limit)".into(),
            verdict(num(&large["api_peak_mb"]).map(|peak| peak < 256.0)).into(),
        ]);
    }
    let oncall = &r["oncall_report"];
    if !oncall.is_null() {
        rows.push([
            format!(
                "on-call report: {} days over {} incident summaries",
                oncall["days"], oncall["incidents"]
            ),
            format!(
                "report built in {} ms (median of {}, max {} ms); Redis's slowest command meanwhile {} us ({}); summary {} B, whole history {} B per incident",
                fmt(&oncall["report_ms_median"], 1),
                oncall["report_builds"],
                fmt(&oncall["report_ms_max"], 1),
                oncall["redis_worst_command_us"],
                oncall["redis_worst_command"].as_str().unwrap_or_default(),
                oncall["summary_bytes"],
                fmt(&oncall["history_bytes_per_incident"], 0),
            ),
            "summary < 300 B".into(),
            verdict(num(&oncall["summary_bytes"]).map(|b| b < 300.0)).into(),
        ]);
    }
    rows.push([
        "versus-api RSS: idle / peak".into(),
        format!(
            "{} MB / {} MB",
            fmt(&m["api_idle"]["rss_mb"], 1),
            fmt(&m["api_end"]["peak_mb"], 1)
        ),
        "< 30 MB".into(),
        verdict(num(&m["api_end"]["peak_mb"]).map(|_| api_peak < 30.0)).into(),
    ]);
    let worker_peak = num(&m["worker_peak_mb"]);
    rows.push([
        "versus-worker RSS: idle / peak".into(),
        format!(
            "{} MB / {} MB",
            fmt(&m["worker_idle"]["rss_mb"], 1),
            fmt(&m["worker_peak_mb"], 1)
        ),
        "< 50 MB".into(),
        verdict(worker_peak.map(|p| p < 50.0)).into(),
    ]);

    let mut out = String::from("| scenario | figures | target | |\n| --- | --- | --- | --- |\n");
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row[0], row[1], row[2], row[3]
        ));
    }
    out
}
