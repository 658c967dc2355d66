//! `versus-worker dead-letters ...`: the operator's view of jobs that failed for good, and putting them
//! back once the cause (a revoked token, a wrong ARN) is fixed.

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Subcommand;
use versus_shared::domain::jobs::JobKind;
use versus_shared::infra::config::Settings;
use versus_shared::infra::queue::JobStore;
use versus_shared::infra::redis_conn::RedisConnection;

fn queue_parser() -> clap::builder::MapValueParser<PossibleValuesParser, fn(String) -> JobKind> {
    PossibleValuesParser::new(JobKind::ALL.map(JobKind::queue)).map(|name: String| {
        JobKind::from_queue(&name).expect("clap admits only the names of job kinds")
    })
}

#[derive(Debug, Clone, Subcommand)]
pub enum DeadLetterCommand {
    /// List dead-lettered jobs (all queues, or one).
    List {
        #[arg(long, value_parser = queue_parser())]
        queue: Option<JobKind>,
    },
    /// Put dead-lettered jobs back with a fresh attempt budget.
    Requeue {
        #[arg(long, value_parser = queue_parser())]
        queue: JobKind,
        /// Job ids to requeue; none means every job in the queue's dead-letter set.
        ids: Vec<String>,
    },
}

pub async fn run(settings: &Settings, command: DeadLetterCommand) -> anyhow::Result<()> {
    let conn = RedisConnection::from_settings(&settings.redis).context("invalid Redis settings")?;
    let store =
        |kind: JobKind| JobStore::from_settings(conn.clone(), &settings.redis, kind.queue());
    match command {
        DeadLetterCommand::List { queue } => {
            let queues = match queue {
                Some(kind) => vec![kind],
                None => JobKind::ALL.to_vec(),
            };
            for queue in queues {
                for job in store(queue).list_dead(1000).await? {
                    println!(
                        "{queue}\t{}\tattempts={}\tdead_at={}\terror={}\tpayload={}",
                        job.id,
                        job.attempts,
                        chrono::DateTime::from_timestamp_millis(job.dead_ms)
                            .map(|t| t.to_rfc3339())
                            .unwrap_or_default(),
                        job.last_error,
                        job.payload
                    );
                }
            }
        }
        DeadLetterCommand::Requeue { queue, ids } => {
            let ids = (!ids.is_empty()).then_some(ids);
            let moved = store(queue).requeue_dead(ids.as_deref()).await?;
            println!("requeued {moved} job(s) from {queue}");
        }
    }
    Ok(())
}
