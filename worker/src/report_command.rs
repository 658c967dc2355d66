//! `versus-worker report --days N [--json]`: the on-call report in the terminal, for a team review without
//! Slack. `--json` prints exactly what `GET /api/reports/oncall?days=N` answers.

use anyhow::Context;
use clap::Args;
use std::fmt::Write as _;
use versus_shared::domain::report::{today, Percentiles, Report, ReportReader};
use versus_shared::infra::config::Settings;
use versus_shared::infra::redis_conn::RedisConnection;

#[derive(Debug, Clone, Args)]
pub struct ReportCommand {
    /// The last N UTC days, today included (1 to reports.retention_days).
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Print the report as JSON, as the API answers it.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(settings: &Settings, command: ReportCommand) -> anyhow::Result<()> {
    let conn = RedisConnection::from_settings(&settings.redis).context("invalid Redis settings")?;
    let reader = ReportReader::from_settings(conn, settings);
    let report = reader.report(command.days, today()).await?;
    if command.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", as_text(&report));
    }
    Ok(())
}

fn seconds(value: Option<f64>) -> String {
    match value {
        None => "-".to_string(),
        Some(s) if s < 1.0 => format!("{:.0} ms", s * 1000.0),
        Some(s) if s < 120.0 => format!("{s:.1} s"),
        Some(s) => format!("{:.1} min", s / 60.0),
    }
}

fn percentiles(p: &Percentiles) -> String {
    format!("p50 {}, p90 {}", seconds(p.p50), seconds(p.p90))
}

/// The report as a terminal reads it. Label values are printed as stored; control characters were
/// replaced before they reached Redis only in samples, so they are escaped here too.
pub fn as_text(report: &Report) -> String {
    let clean = |text: &str| text.escape_debug().to_string();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "On-call report, {} to {} ({} days)",
        report.from, report.to, report.days
    );
    let _ = writeln!(
        out,
        "incidents {}  acknowledged {}  escalated {} (paged {})  resolved {}  resolved without ack {}  closed unresolved {}  open {}",
        report.total, report.acknowledged, report.escalated, report.paged, report.resolved,
        report.resolved_without_ack, report.closed_unresolved, report.open
    );
    let _ = writeln!(
        out,
        "time to acknowledge: {}",
        percentiles(&report.time_to_ack_seconds)
    );
    let _ = writeln!(
        out,
        "time to resolve:     {}",
        percentiles(&report.time_to_resolve_seconds)
    );
    let _ = writeln!(
        out,
        "noise: {} ({:.1} %)",
        report.noise.count,
        report.noise.rate * 100.0
    );
    if let Some(misses) = report.heartbeat_misses {
        let _ = writeln!(out, "heartbeat misses: {misses}");
    }
    for (title, counts) in [
        ("by severity", &report.by_severity),
        ("by route", &report.by_route),
        ("by team", &report.by_team),
    ] {
        let _ = writeln!(out, "\n{title}:");
        for (label, count) in counts {
            let _ = writeln!(out, "  {:<32} {count}", clean(label));
        }
    }
    let _ = writeln!(out, "\ntimes by team:");
    for (team, times) in &report.team_times {
        let _ = writeln!(
            out,
            "  {:<32} ack {}; resolve {}",
            clean(team),
            percentiles(&times.time_to_ack_seconds),
            percentiles(&times.time_to_resolve_seconds)
        );
    }
    let _ = writeln!(out, "\nacknowledged by:");
    for (person, acks) in &report.acks_by {
        let _ = writeln!(
            out,
            "  {:<32} {} (median {})",
            clean(person),
            acks.count,
            seconds(acks.median_seconds)
        );
    }
    let _ = writeln!(
        out,
        "  {:<32} {} (median {})",
        "(ack link, no name)",
        report.unnamed_link_acks.count,
        seconds(report.unnamed_link_acks.median_seconds)
    );
    for (title, list) in [
        ("top alerts", &report.top_alerts),
        ("noisiest alerts", &report.noisy_alerts),
    ] {
        let _ = writeln!(out, "\n{title}:");
        for alert in list {
            let _ = writeln!(out, "  {:<32} {}", clean(&alert.alertname), alert.count);
        }
    }
    out
}
