//! What the scenarios read from Redis itself: forks, queue sizes and memory.

use crate::stack::Stack;
use anyhow::Context;
use serde_json::{json, Value};

/// `total_forks` from INFO stats: with AOF on, each is a background rewrite of the AOF.
pub(super) async fn forks(st: &Stack) -> anyhow::Result<u64> {
    info_field(st, "stats", "total_forks").await
}

pub(super) async fn zcard(st: &Stack, key: &str) -> anyhow::Result<u64> {
    let mut conn = st.conn().await?;
    Ok(redis::cmd("ZCARD").arg(key).query_async(&mut conn).await?)
}

pub(super) async fn used_memory(st: &Stack) -> anyhow::Result<u64> {
    info_field(st, "memory", "used_memory").await
}

/// One numeric field of a section of INFO.
async fn info_field(st: &Stack, section: &str, field: &str) -> anyhow::Result<u64> {
    let mut conn = st.conn().await?;
    let info: String = redis::cmd("INFO")
        .arg(section)
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("INFO {section} has no {field}"))
}

/// MEMORY USAGE of the keys of one seeded incident (the most recent pending escalation's).
pub(super) async fn memory_breakdown(st: &Stack) -> anyhow::Result<Value> {
    let mut conn = st.conn().await?;
    let newest: Vec<String> = redis::cmd("ZRANGE")
        .arg("versus:queue:escalate:due")
        .arg(-1)
        .arg(-1)
        .query_async(&mut conn)
        .await?;
    let Some(id) = newest.into_iter().next() else {
        return Ok(Value::Null);
    };
    let mut out = serde_json::Map::new();
    for (name, key) in [
        ("record", format!("versus:incident:{id}")),
        ("notify_job_done", format!("versus:queue:notify:job:{id}")),
        ("escalate_job", format!("versus:queue:escalate:job:{id}")),
    ] {
        out.insert(name.into(), json!(memory_usage(&mut conn, &key).await?));
    }
    // As stored: compressed.
    let payload_bytes: u64 = redis::cmd("HSTRLEN")
        .arg(format!("versus:incident:{id}"))
        .arg("payload")
        .query_async(&mut conn)
        .await?;
    out.insert("payload_stored_bytes".into(), json!(payload_bytes));
    // The dedup and request keys are named by digests of the request: sample one of each.
    for (name, pattern) in [("dedup", "versus:dedup:*"), ("request", "versus:request:*")] {
        let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(0)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await?;
        let bytes = match keys.first() {
            Some(key) => memory_usage(&mut conn, key).await?,
            None => None,
        };
        out.insert(name.into(), json!(bytes));
    }
    Ok(Value::Object(out))
}

/// `MEMORY USAGE key SAMPLES 0` (every element counted); `None` when there is no such key.
async fn memory_usage(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
) -> anyhow::Result<Option<u64>> {
    Ok(redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(key)
        .arg("SAMPLES")
        .arg(0)
        .query_async(conn)
        .await?)
}
