//! `versus-worker dead-letters ...`: the operator's view of jobs that failed for good, and putting them
//! back once the cause (a revoked token, a wrong ARN) is fixed.

use clap::Subcommand;
use std::time::Duration;
use versus_shared::infra::config::Settings;
use versus_shared::infra::queue::JobStore;

pub const QUEUES: [&str; 4] = ["notify", "escalate", "slack_update", "aws_resolve"];

#[derive(Debug, Clone, Subcommand)]
pub enum DeadLetterCommand {
    /// List dead-lettered jobs (all queues, or one).
    List {
        #[arg(long, value_parser = QUEUES)]
        queue: Option<String>,
    },
    /// Put dead-lettered jobs back with a fresh attempt budget.
    Requeue {
        #[arg(long, value_parser = QUEUES)]
        queue: String,
        /// Job ids to requeue; none means every job in the queue's dead-letter set.
        ids: Vec<String>,
    },
}

fn queue_name(name: &str) -> &'static str {
    QUEUES.into_iter().find(|q| *q == name).unwrap_or("notify")
}

pub async fn run(settings: &Settings, command: DeadLetterCommand) -> anyhow::Result<()> {
    let conn = versus_shared::infra::redis_conn::managed(&settings.redis)?;
    let store = |queue: &str| {
        JobStore::new(
            conn.clone(),
            &settings.redis.key_prefix,
            queue_name(queue),
            Duration::from_secs(settings.redis.retention_hours * 3600),
        )
    };
    match command {
        DeadLetterCommand::List { queue } => {
            let queues: Vec<&str> = match &queue {
                Some(queue) => vec![queue.as_str()],
                None => QUEUES.to_vec(),
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
            let moved = store(&queue).requeue_dead(ids.as_deref()).await?;
            println!("requeued {moved} job(s) from {queue}");
        }
    }
    Ok(())
}
