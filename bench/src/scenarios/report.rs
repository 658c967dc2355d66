//! The on-call report over 90 days of history: 100,000 incident summaries written by the report's own Lua
//! helpers (each opened, most acked or paged, most closed, some marked noise, spread over 90 days), then the
//! 90-day report built repeatedly through `ReportReader` while every command Redis runs is timed by its
//! SLOWLOG (threshold 0). Reports the report's build time, Redis's slowest command meanwhile, and the memory
//! the history takes per incident.

use crate::stats::round;
use anyhow::Context;
use redis::AsyncCommands;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use versus_shared::domain::report::{scripts::library, today, ReportReader, DAY_MS};
use versus_tests::RedisServer;

const INCIDENTS: u64 = 100_000;
const DAYS: u32 = 90;
const BATCH: u64 = 1_000;
const BUILDS: usize = 20;
const PREFIX: &str = "versus:";

/// Writes one batch of incidents: ARGV 1 prefix, 2 retention ms, then 9 values per incident.
const SEED: &str = r#"
local prefix, retention = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 9 do
  local id, opened = ARGV[i], tonumber(ARGV[i + 1])
  local ack, page, close = tonumber(ARGV[i + 5]), ARGV[i + 6] == '1', tonumber(ARGV[i + 7])
  vr_open(prefix, id, opened, {ARGV[i + 2], ARGV[i + 3], 'team-' .. ARGV[i + 4], ARGV[i + 4], 'api', ''}, retention)
  if ack >= 0 then
    vr_ack(prefix, id, opened + ack, ack % 2 == 0 and 'slack' or 'link', 'person-' .. (ack % 7))
  end
  if page then
    vr_escalate(prefix, id, opened + 180000)
    vr_paged(prefix, id)
  end
  if close >= 0 then
    vr_close(prefix, id, opened + close, close % 10 == 0 and 'unresolved' or 'resolved')
  end
  if ARGV[i + 8] == '1' then
    vr_noise(prefix, id, true, 'person-1')
  end
end
return 1
"#;

const SEVERITIES: [&str; 4] = ["critical", "warning", "info", "page"];
const TEAMS: [&str; 6] = ["db", "web", "platform", "payments", "search", "edge"];

/// A deterministic spread of incidents: the `n`th one's nine seed values.
fn incident_args(n: u64, first_day: i64) -> [String; 9] {
    let day = first_day + (n % u64::from(DAYS)) as i64;
    let opened = day * DAY_MS + ((n * 7_919) % DAY_MS as u64) as i64;
    let acked = !n.is_multiple_of(5);
    let ack_ms = if acked { (n * 37 % 600_000) as i64 } else { -1 };
    let page = !acked && n.is_multiple_of(2);
    let close_ms = if n.is_multiple_of(11) {
        -1
    } else {
        (n * 53 % 7_200_000) as i64 + 600_000
    };
    [
        format!("{:032x}", n),
        opened.to_string(),
        SEVERITIES[(n % 4) as usize].to_string(),
        format!("Alert{}", n % 150),
        TEAMS[(n % 6) as usize].to_string(),
        ack_ms.to_string(),
        if page { "1" } else { "0" }.to_string(),
        close_ms.to_string(),
        if n.is_multiple_of(13) { "1" } else { "0" }.to_string(),
    ]
}

async fn used_memory(conn: &mut redis::aio::MultiplexedConnection) -> anyhow::Result<i64> {
    let info: String = redis::cmd("INFO").arg("memory").query_async(conn).await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .context("INFO memory has no used_memory")
}

pub async fn oncall_report() -> anyhow::Result<Value> {
    let redis = RedisServer::start();
    let mut conn = redis.conn().await;
    let manager = redis::aio::ConnectionManager::new(redis.client()).await?;
    let script = redis::Script::new(&format!("{}\n{SEED}", library()));
    let retention_ms = u64::from(DAYS) * DAY_MS as u64;
    let end_day = today();
    let first_day = end_day + 1 - i64::from(DAYS);
    let before = used_memory(&mut conn).await?;
    let seeding = Instant::now();
    for start in (0..INCIDENTS).step_by(BATCH as usize) {
        let mut invocation = script.prepare_invoke();
        invocation
            .key(format!("{PREFIX}report:seed"))
            .arg(PREFIX)
            .arg(retention_ms);
        for n in start..(start + BATCH).min(INCIDENTS) {
            for value in incident_args(n, first_day) {
                invocation.arg(value);
            }
        }
        let _: i64 = invocation.invoke_async(&mut conn).await?;
    }
    let seed_s = seeding.elapsed().as_secs_f64();
    let after = used_memory(&mut conn).await?;
    let summary_key = format!("{PREFIX}report:incident:{:032x}", 12_345u64);
    let summary_bytes: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(&summary_key)
        .query_async(&mut conn)
        .await?;

    redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(0)
        .query_async::<()>(&mut conn)
        .await?;
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-max-len")
        .arg(100_000)
        .query_async::<()>(&mut conn)
        .await?;
    redis::cmd("SLOWLOG")
        .arg("RESET")
        .query_async::<()>(&mut conn)
        .await?;
    let reader = ReportReader::new(
        manager,
        PREFIX,
        Duration::from_secs(168 * 3600),
        DAYS,
        false,
    );
    let mut build_ms = Vec::new();
    let mut total = 0;
    for _ in 0..BUILDS {
        let started = Instant::now();
        let report = reader.report(DAYS, end_day).await?;
        build_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        total = report.total;
    }
    let entries: Vec<redis::Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(-1)
        .query_async(&mut conn)
        .await?;
    let (mut worst_us, mut worst_command, mut commands) = (0i64, String::new(), 0usize);
    for entry in entries {
        let redis::Value::Array(fields) = entry else {
            continue;
        };
        let (Some(redis::Value::Int(us)), Some(redis::Value::Array(args))) =
            (fields.get(2), fields.get(3))
        else {
            continue;
        };
        let name = match args.first() {
            Some(redis::Value::BulkString(bytes)) => String::from_utf8_lossy(bytes).to_string(),
            _ => String::new(),
        };
        if name.eq_ignore_ascii_case("slowlog") || name.eq_ignore_ascii_case("config") {
            continue;
        }
        commands += 1;
        if *us > worst_us {
            worst_us = *us;
            worst_command = name;
        }
    }
    let day_bytes: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!("{PREFIX}report:day:{end_day}"))
        .query_async(&mut conn)
        .await?;
    let times_bytes: i64 = conn
        .strlen(format!("{PREFIX}report:times:{end_day}"))
        .await?;
    build_ms.sort_by(f64::total_cmp);
    Ok(json!({
        "incidents": INCIDENTS,
        "days": DAYS,
        "report_total": total,
        "seed_s": round(seed_s),
        "history_bytes_per_incident": round((after - before) as f64 / INCIDENTS as f64),
        "summary_bytes": summary_bytes,
        "day_totals_bytes": day_bytes,
        "day_samples_bytes": times_bytes,
        "report_builds": BUILDS,
        "report_ms_median": round(build_ms[BUILDS / 2]),
        "report_ms_max": round(build_ms[BUILDS - 1]),
        "redis_commands_timed": commands,
        "redis_worst_command_us": worst_us,
        "redis_worst_command": worst_command,
    }))
}
