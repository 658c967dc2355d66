//! Arming of the periodic digest's schedule (`domain::digest`): every worker with the digest enabled stores
//! the anchor if none is stored and makes sure one digest job is pending, at start-up and then every
//! [`REARM_PERIOD`], which replaces a job that was lost or dead-lettered.

use anyhow::Context;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use versus_shared::domain::digest::DigestStore;
use versus_shared::infra::backoff::{retry_within, Backoff};
use versus_shared::infra::config::Settings;

pub use crate::heartbeats::REARM_PERIOD;

/// The schedule this worker's configuration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestPlan {
    /// The first period's end this worker would store (`first_at`, or the next Monday 09:00 UTC); the
    /// stored one wins.
    pub anchor_ms: i64,
    pub every: Duration,
}

impl DigestPlan {
    /// `None` when the digest is off (or `every` is not a duration, which validation refuses).
    pub fn from_settings(settings: &Settings) -> Option<Self> {
        let digest = &settings.reports.digest;
        if !digest.enable {
            return None;
        }
        Some(Self {
            anchor_ms: digest.first_anchor(Utc::now()).timestamp_millis(),
            every: digest.period()?,
        })
    }
}

/// Arms the digest at start-up (idempotent), riding out a short Redis outage; past that the error is the
/// caller's to log, and [`keep_armed`] tries again.
pub async fn arm_at_startup(store: &DigestStore, settings: &Settings) -> anyhow::Result<()> {
    let Some(plan) = DigestPlan::from_settings(settings) else {
        return Ok(());
    };
    let armed = retry_within(
        Duration::from_secs(30),
        Backoff::new(Duration::from_millis(100), Duration::from_secs(2)),
        || store.arm(plan.anchor_ms, plan.every),
        |error, _| tracing::warn!(%error, "cannot arm the digest yet; retrying"),
    )
    .await
    .context("cannot arm the digest; check that Redis is reachable")?;
    let configured = settings.reports.digest.configured_anchor();
    if let Some(configured) = configured.filter(|c| c.timestamp_millis() != armed.anchor_ms) {
        tracing::warn!(
            configured = %configured,
            stored_ms = armed.anchor_ms,
            "reports.digest.first_at differs from the anchor stored when the digest was first armed; the stored one \
             is kept so that workers never run two schedules (delete the {{prefix}}digest:anchor key to start again from first_at)"
        );
    }
    tracing::info!(job = %armed.job, anchor_ms = armed.anchor_ms, due_ms = armed.due_ms, every_s = plan.every.as_secs_f64(), "digest armed");
    Ok(())
}

/// Re-arms the digest every [`REARM_PERIOD`], forever. A failed arming is logged and tried again next time:
/// the pending job, if any, still runs meanwhile.
pub async fn keep_armed(store: DigestStore, settings: Arc<Settings>) {
    let Some(plan) = DigestPlan::from_settings(&settings) else {
        return;
    };
    let mut ticker =
        tokio::time::interval_at(tokio::time::Instant::now() + REARM_PERIOD, REARM_PERIOD);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match store.arm(plan.anchor_ms, plan.every).await {
            Ok(armed) => {
                tracing::debug!(job = %armed.job, due_ms = armed.due_ms, "digest re-armed")
            }
            Err(error) => {
                tracing::warn!(%error, "cannot re-arm the digest; trying again next period (check that Redis is reachable)")
            }
        }
    }
}
