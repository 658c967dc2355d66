//! `digest`: at a period's end, post the on-call digest of the period once. The run claims the period and
//! arms the next run in one atomic script; the claiming job posts, then records the post, so a rerun posts
//! only a period that was claimed and not recorded (see `domain::digest`).

use crate::deps::SharedDeps;
use crate::digest::DigestPlan;
use crate::slack::digest::{compose, ReportView};
use crate::slack::Placement;
use apalis::prelude::Data;
use std::time::Duration;
use tracing::Instrument;
use versus_shared::domain::digest::{windows, Claim, Window};
use versus_shared::domain::jobs::DigestJob;
use versus_shared::infra::backoff::{retry_within, Backoff};
use versus_shared::infra::queue::{JobError, JobMeta};

pub async fn handle(
    _job: DigestJob,
    meta: Data<JobMeta>,
    deps: Data<SharedDeps>,
) -> Result<(), JobError> {
    let span = tracing::info_span!("digest", job = %meta.id, attempt = meta.attempt);
    run(&meta, &deps).instrument(span).await
}

async fn run(meta: &JobMeta, deps: &SharedDeps) -> Result<(), JobError> {
    let Some(plan) = DigestPlan::from_settings(&deps.settings) else {
        tracing::info!("the digest is off in this worker's configuration; this run ends (a worker that has it on re-arms the schedule)");
        return Ok(());
    };
    let claim = deps
        .digest
        .claim(&meta.id, plan.anchor_ms, plan.every)
        .await
        .map_err(|e| JobError::retry_because("cannot claim the digest's period", e))?;
    let period_end_ms = match claim {
        Claim::Post { period_end_ms, .. } => period_end_ms,
        Claim::Posted {
            period_end_ms,
            next_due_ms,
        } => {
            tracing::info!(
                period_end_ms,
                next_due_ms,
                "this period's digest was posted already"
            );
            return Ok(());
        }
        Claim::Busy {
            period_end_ms,
            next_due_ms,
        } => {
            tracing::info!(
                period_end_ms,
                next_due_ms,
                "another digest job claimed this period; it posts it"
            );
            return Ok(());
        }
        Claim::Early { next_due_ms } => {
            tracing::debug!(next_due_ms, "no period has ended yet");
            return Ok(());
        }
    };
    let (current, previous) = windows(period_end_ms, plan.every);
    let message = compose(
        &report(deps, current).await?,
        &report(deps, previous).await?,
        period_end_ms,
    );
    match &deps.slack {
        None => {
            tracing::info!(period_end_ms, text = %message.text, "digest (Slack is not configured, so it is logged here)")
        }
        Some(slack) => {
            let channel = deps
                .settings
                .reports
                .digest
                .channel(&deps.settings.alert.slack.channel_id);
            tracing::info!(period_end_ms, "posting the digest");
            let posted = slack
                .post(Some(channel), message.content(), Placement::Channel)
                .await?;
            tracing::info!(period_end_ms, ts = %posted.ts, channel = %posted.channel, "digest posted");
        }
    }
    // Only a crash between Slack's answer and this record can post the period again.
    let recorded = retry_within(
        Duration::from_secs(10),
        Backoff::new(Duration::from_millis(100), Duration::from_secs(2)),
        || deps.digest.record_posted(period_end_ms),
        |error, _| tracing::warn!(%error, "cannot record the posted digest yet; retrying"),
    )
    .await
    .map_err(|e| {
        JobError::retry_because(
            "cannot record the posted digest (a rerun posts it again)",
            e,
        )
    })?;
    if !recorded {
        tracing::warn!(period_end_ms, "a later period's digest was recorded first");
    }
    Ok(())
}

/// The report of one window, read as the digest's view of it. A period longer than `reports.retention_days`
/// reports the days that are kept.
async fn report(deps: &SharedDeps, window: Window) -> Result<ReportView, JobError> {
    let days = window.days.min(deps.reports.max_days());
    deps.reports
        .report(days, window.end_day)
        .await
        .map_err(|e| JobError::retry_because("cannot read the on-call report", e))
}
