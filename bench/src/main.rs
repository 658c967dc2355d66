//! `versus-bench` (run by `make bench`): starts a redis-server with AOF, versus-api, versus-worker and
//! zero-latency fakes of Slack and SSM Incidents on 127.0.0.1, runs the scenarios of docs/performance.md,
//! prints a table and writes every figure to a JSON file. Figures only: nothing here asserts a time.
//! `versus-bench --help` lists the options.

mod fakes;
mod loadgen;
mod payload;
mod report;
mod scenarios;
mod stack;
mod stats;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use scenarios::{large_bodies, rss_mb, Bench, Sizes};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use versus_tests::RedisServer;

/// Runs the stack under test through its scenarios and writes every figure to a JSON file.
#[derive(Debug, Parser)]
#[command(name = "versus-bench")]
struct Args {
    /// Where to write the figures, as JSON.
    #[arg(long, value_name = "PATH", default_value = "bench-results.json")]
    out: PathBuf,
    /// Keep-alive connections the load generator opens to the API.
    #[arg(long, value_name = "N", default_value_t = 32)]
    connections: usize,
    /// Smaller sizes, for development runs (about a minute).
    #[arg(long)]
    quick: bool,
    /// Run only these scenarios (comma-separated); all of them without it.
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',')]
    only: Option<Vec<Scenario>>,
    /// A longer saturation run, to profile the API under load.
    #[arg(long, value_name = "N")]
    saturation_seconds: Option<u64>,
    /// More environment for versus-api and versus-worker, e.g. to try a setting (repeatable).
    #[arg(long, value_name = "KEY=VALUE", value_parser = env_pair)]
    env: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Saturation,
    Replication,
    Notify,
    Single,
    Burst,
    Growth,
    LargeBodies,
    Failover,
    Report,
}

fn env_pair(pair: &str) -> Result<(String, String), String> {
    let (key, value) = pair
        .split_once('=')
        .ok_or_else(|| format!("{pair:?} is not KEY=VALUE"))?;
    Ok((key.to_string(), value.to_string()))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Two threads, like the machine the targets are set for; the fakes run on a thread of their own.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let wants = |scenario: Scenario| args.only.as_ref().is_none_or(|o| o.contains(&scenario));
    let mut sizes = if args.quick {
        Sizes::quick(args.connections)
    } else {
        Sizes::full(args.connections)
    };
    if let Some(seconds) = args.saturation_seconds {
        sizes.saturation_measure = Duration::from_secs(seconds);
    }
    let machine = machine();
    eprintln!("versus-bench: {machine}");

    eprintln!("[1/7] redis-benchmark SET, 50 clients, on its own redis-server (AOF on)");
    let (set_per_s, redis_cpu_us_per_set) = redis_benchmark()?;
    eprintln!("      {set_per_s:.0} SET/s, Redis CPU {redis_cpu_us_per_set:?} us per SET");

    let fakes = fakes::Fakes::start()?;
    let mut stack = stack::Stack::new(&fakes, &args.env);
    stack.start_api().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let api_idle = rss_mb(stack.api_pid());
    let mut bench = Bench::new(stack, fakes, sizes);
    let mut results = serde_json::Map::new();

    if wants(Scenario::Saturation) {
        eprintln!(
            "[2/7] ingest saturation ({} connections, worker not running)",
            bench.sizes.connections
        );
        let sizes = bench.sizes.clone();
        let mut r = bench
            .ingest_saturation(
                set_per_s,
                sizes.connections,
                sizes.saturation_warmup,
                sizes.saturation_measure,
            )
            .await;
        eprintln!("      {r}");
        let mut sweep = Vec::new();
        for connections in sizes.sweep {
            bench.stack.flushall().await?;
            let point = bench
                .ingest_saturation(
                    set_per_s,
                    connections,
                    Duration::from_secs(1),
                    sizes.sweep_measure,
                )
                .await;
            eprintln!("      {connections} connections: {point}");
            sweep.push(point);
        }
        r["by_connections"] = Value::Array(sweep);
        results.insert("ingest_saturation".into(), r);
        bench.stack.flushall().await?;
    }
    if wants(Scenario::Replication) {
        eprintln!(
            "[2b/7] ingest with WAIT against a replica, next to the primary alone ({} connections)",
            bench.sizes.connections
        );
        let r = bench.replication(set_per_s).await?;
        results.insert("replication".into(), r);
    }
    let api_after_saturation = rss_mb(bench.stack.api_pid());

    bench.stack.start_worker().await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let worker_idle = rss_mb(bench.stack.worker_pid());

    if wants(Scenario::Notify) {
        eprintln!(
            "[3/7] notify latency at {} alerts/s",
            bench.sizes.notify_rate
        );
        let r = bench.notify_latency().await?;
        eprintln!("      {r}");
        results.insert("notify_latency".into(), r);
    }
    if wants(Scenario::Single) {
        eprintln!(
            "[4/7] {} escalations, one at a time",
            bench.sizes.single_escalations
        );
        let r = bench
            .single_escalations(bench.sizes.single_escalations, Duration::from_secs(3))
            .await?;
        eprintln!("      {r}");
        results.insert("single_escalation".into(), r);
    }
    if wants(Scenario::Burst) {
        eprintln!(
            "[5/7] {} escalations due in the same second",
            bench.sizes.burst
        );
        let r = bench.burst().await?;
        eprintln!("      {r}");
        results.insert("burst".into(), r);
    }
    if wants(Scenario::Growth) {
        let [small, large] = bench.sizes.growth;
        eprintln!(
            "[6/7] growth: {small} and {large} pending escalations, seeding two installations"
        );
        eprintln!("[7/7] growth: alternating rounds of escalations and of ingest");
        let r = bench.growth(&args.env).await?;
        eprintln!("      {r}");
        results.insert("growth".into(), r);
    }

    if wants(Scenario::LargeBodies) {
        let (senders, seconds) = (
            bench.sizes.large_body_senders,
            bench.sizes.large_body_seconds,
        );
        eprintln!("[+] API memory: {senders} senders of maximum-size bodies, {seconds} s per shape, on an API of its own");
        let r = large_bodies(&bench.fakes, &args.env, senders, seconds).await?;
        eprintln!("      {r}");
        results.insert("large_bodies".into(), r);
    }
    if wants(Scenario::Failover) {
        eprintln!("[+] Sentinel failover under a stream of on-call alerts (primary SIGKILLed)");
        let r = scenarios::failover::sentinel_failover().await;
        eprintln!("      {r}");
        results.insert("failover".into(), r);
    }

    if wants(Scenario::Report) {
        eprintln!("[+] on-call report: 90 days over 100,000 incident summaries, Redis SLOWLOG at threshold 0");
        let r = scenarios::report::oncall_report().await?;
        eprintln!("      {r}");
        results.insert("oncall_report".into(), r);
    }

    results.insert(
        "memory".into(),
        json!({
            "api_idle": api_idle,
            "api_after_saturation": api_after_saturation,
            "api_end": rss_mb(bench.stack.api_pid()),
            "worker_idle": worker_idle,
            "worker_end": rss_mb(bench.stack.worker_pid()),
            "worker_peak_mb": stats::round(bench.stack.worker_peak_kb() as f64 / 1024.0),
        }),
    );
    results.insert("logs".into(), bench.check_logs());
    let report = json!({
        "machine": machine,
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "extra_env": args.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        "finished_at": chrono::Utc::now().to_rfc3339(),
        "load_average_at_end": load_average(),
        "runtime_s": stats::round(started.elapsed().as_secs_f64()),
        "payload_bytes": bench.payload_bytes(),
        "redis_benchmark_set_per_s": set_per_s.round(),
        "redis_benchmark_redis_cpu_us_per_set": redis_cpu_us_per_set,
        "results": Value::Object(results),
    });
    println!("{}", report::table(&report));
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("figures written to {}", args.out.display());
    Ok(())
}

/// `redis-benchmark -t set -c 50 -n 200000 -q` against a redis-server of its own (AOF on, as the
/// one under test), in SET/s.
fn redis_benchmark() -> anyhow::Result<(f64, Option<f64>)> {
    let redis = RedisServer::start();
    let cpu_before = redis.pid().and_then(stack::cpu_seconds);
    let output = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &redis.port().to_string()])
        .args(["-t", "set", "-c", "50", "-n", "200000", "-q"])
        .output()
        .context("cannot run redis-benchmark (apt-get install redis-tools)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .rsplit(['\r', '\n'])
        .find(|l| l.starts_with("SET: ") && l.contains("requests per second"))
        .with_context(|| format!("unexpected redis-benchmark output: {text}"))?;
    let rate = line["SET: ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("cannot read a rate in {line:?}"))?;
    // Redis's own CPU per SET, to compare with its CPU per ingest.
    let cpu_us = match (cpu_before, redis.pid().and_then(stack::cpu_seconds)) {
        (Some(a), Some(b)) => Some(stats::round((b - a) * 1e6 / 200_000.0)),
        _ => None,
    };
    Ok((rate, cpu_us))
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_default();
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    let redis = Command::new("redis-server")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memory_gb": stats::round(mem_kb as f64 / 1024.0 / 1024.0),
        "redis": redis,
        "load_average_at_start": load_average(),
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
