//! State changes that must outlive the primary's death: sent with `WAIT` so that they are on
//! `redis.min_replicas_acked` replicas before Versus answers for them.
//!
//! Redis replicates asynchronously: a write the primary has confirmed can vanish with it. For the writes a
//! failover must not lose (an accepted alert, an ack, a resolve, the escalation claim) the script and `WAIT`
//! go out together on a dedicated connection (`pool`), so a slow replica holds only that write.
//!
//! The degrade rule: when the primary has fewer replicas online than the goal (`replicas`), the write waits
//! for those it has (none: no `WAIT` at all), is counted in `versus_redis_unreplicated_writes_total` and
//! logged (`warning`), and succeeds; with `redis.replication_strict` it fails instead with [`Shortfall`],
//! except the escalation claim, which never holds back a page (its `clientToken` makes a rerun after a lost
//! claim safe).

mod pool;
mod replicas;
#[cfg(test)]
mod tests;
mod warning;

use crate::infra::config::RedisSettings;
use crate::infra::redis_conn::RedisConnection;
use pool::{DedicatedPool, Lease};
use redis::aio::ConnectionLike;
use redis::{FromRedisValue, RedisError, ScriptInvocation, ServerErrorKind, Value};
use replicas::OnlineReplicas;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use warning::ShortfallWarning;

/// Which state change a write is: the label of `versus_redis_unreplicated_writes_total`, and whether strict
/// mode may refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicatedWrite {
    /// An accepted alert, firing or resolved.
    Ingest,
    Ack,
    /// The escalate job's `pending -> escalated` claim.
    EscalateClaim,
    /// The generated ack secret, stored once for every process of the installation.
    AckSecret,
    /// A noise mark (or its removal) for the on-call report.
    NoiseMark,
}

impl ReplicatedWrite {
    pub const ALL: [ReplicatedWrite; 5] = [
        Self::Ingest,
        Self::Ack,
        Self::EscalateClaim,
        Self::AckSecret,
        Self::NoiseMark,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::Ack => "ack",
            Self::EscalateClaim => "escalate",
            Self::AckSecret => "ack_secret",
            Self::NoiseMark => "noise_mark",
        }
    }

    /// The page is what the claim is for: holding it back would trade a possible duplicate (which AWS
    /// deduplicates by `clientToken`) for a missed page.
    fn may_be_refused(self) -> bool {
        self != Self::EscalateClaim
    }
}

/// A write that reached fewer replicas than `redis.min_replicas_acked` while `redis.replication_strict` is on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the {} reached {acked} of redis.min_replicas_acked = {goal} replicas within redis.replication_timeout_ms and redis.replication_strict is on; it is on the primary only, so retry: a retry is recognised and not applied twice", .write.label())]
pub struct Shortfall {
    pub write: ReplicatedWrite,
    pub acked: u32,
    pub goal: u32,
}

#[derive(Debug, Error)]
pub enum ReplicationError {
    #[error(transparent)]
    Redis(#[from] RedisError),
    #[error(transparent)]
    NotReplicated(#[from] Shortfall),
}

/// Runs scripts and waits for their replicas; cheap to clone. See the module documentation.
#[derive(Clone)]
pub struct ReplicatedWriter {
    inner: Arc<Inner>,
}

struct Inner {
    goal: u32,
    timeout: Duration,
    strict: bool,
    /// Bound on one write: connecting and the commands, plus the waits for replicas.
    bound: Duration,
    pool: DedicatedPool,
    replicas: OnlineReplicas,
    warning: ShortfallWarning,
}

impl ReplicatedWriter {
    /// The writer `redis.min_replicas_acked` asks for; `None` when it is 0 (no write waits).
    pub fn from_settings(settings: &RedisSettings) -> Option<Self> {
        (settings.min_replicas_acked > 0).then(|| Self {
            inner: Arc::new(Inner {
                goal: settings.min_replicas_acked,
                timeout: settings.replication_timeout(),
                strict: settings.replication_strict,
                bound: settings.timeout() + 2 * settings.replication_timeout(),
                pool: DedicatedPool::new(settings),
                replicas: OnlineReplicas::default(),
                warning: ShortfallWarning::default(),
            }),
        })
    }

    /// Runs the scripts in one round trip with `WAIT` after them, and returns their replies in order.
    /// Each script must be safe to run twice (a connection lost mid-write is retried once on a new one).
    pub async fn run<T: FromRedisValue>(
        &self,
        write: ReplicatedWrite,
        scripts: &[ScriptInvocation<'_>],
    ) -> Result<Vec<T>, ReplicationError> {
        // Boxed: the future of a pipeline on a connection that follows the primary is too deep a type to
        // nest inside every caller's.
        let write = Box::pin(self.run_unbounded(write, scripts));
        let bounded = tokio::time::timeout(self.inner.bound, write);
        match bounded.await {
            Ok(result) => result,
            Err(_) => Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "Redis did not finish a replicated write in time",
            ))
            .into()),
        }
    }

    async fn run_unbounded<T: FromRedisValue>(
        &self,
        write: ReplicatedWrite,
        scripts: &[ScriptInvocation<'_>],
    ) -> Result<Vec<T>, ReplicationError> {
        let mut lease = self.inner.pool.lease(false).await?;
        let mut outcome = self.write_and_wait(&mut lease, scripts).await;
        if lease.reused && outcome.as_ref().is_err_and(went_stale) {
            // An idle connection that Redis closed meanwhile (a restart, a failover) fails on first use. Once
            // more on a new connection: the scripts are safe to run twice.
            drop(lease);
            lease = self.inner.pool.lease(true).await?;
            outcome = self.write_and_wait(&mut lease, scripts).await;
        }
        let (replies, acked) = outcome?;
        lease.release();
        self.judge(write, acked)?;
        replies
            .into_iter()
            .map(|reply| Ok(T::from_redis_value(reply.extract_error()?).map_err(RedisError::from)?))
            .collect()
    }

    /// The scripts' replies and how many replicas acknowledged them.
    async fn write_and_wait(
        &self,
        lease: &mut Lease<'_>,
        scripts: &[ScriptInvocation<'_>],
    ) -> Result<(Vec<Value>, u32), RedisError> {
        let inner = &self.inner;
        let conn = lease.conn();
        let online = inner.replicas.get(conn).await?;
        let waiting_for = inner.goal.min(online);
        let (replies, mut acked) = match self.send(conn, scripts, waiting_for).await? {
            Sent::Done(replies, acked) => (replies, acked),
            Sent::ScriptsMissing => {
                // A Redis that never saw the scripts (new, restarted, promoted): nothing ran, so load and send again.
                for script in scripts {
                    script.load_async(conn).await?;
                }
                match self.send(conn, scripts, waiting_for).await? {
                    Sent::Done(replies, acked) => (replies, acked),
                    Sent::ScriptsMissing => return Err(scripts_not_loaded()),
                }
            }
        };
        if acked < inner.goal {
            // The count may be older than a replica that has attached since: worth one more wait.
            let online = inner.replicas.refresh(conn).await?;
            let reachable = inner.goal.min(online);
            if reachable > waiting_for && reachable > acked {
                acked = wait(conn, reachable, inner.timeout).await?;
            }
        }
        Ok((replies, acked))
    }

    async fn send(
        &self,
        conn: &mut RedisConnection,
        scripts: &[ScriptInvocation<'_>],
        waiting_for: u32,
    ) -> Result<Sent, RedisError> {
        let mut pipe = redis::pipe();
        for script in scripts {
            pipe.invoke_script(script);
        }
        if waiting_for > 0 {
            pipe.cmd("WAIT")
                .arg(waiting_for)
                .arg(self.inner.timeout.as_millis() as u64);
        }
        let count = pipe.len();
        let mut replies = conn.req_packed_commands(&pipe, 0, count).await?;
        if replies.iter().any(is_missing_script) {
            return Ok(Sent::ScriptsMissing);
        }
        let acked = match waiting_for {
            0 => 0,
            _ => acked_count(replies.pop())?,
        };
        Ok(Sent::Done(replies, acked))
    }

    /// Counts and logs a write short of the goal; refuses it in strict mode when it may be refused.
    fn judge(&self, write: ReplicatedWrite, acked: u32) -> Result<(), Shortfall> {
        let goal = self.inner.goal;
        if acked >= goal {
            return Ok(());
        }
        metrics::counter!("versus_redis_unreplicated_writes_total", "operation" => write.label())
            .increment(1);
        let refused = self.inner.strict && write.may_be_refused();
        self.inner.warning.note(write, acked, goal, refused);
        match refused {
            true => Err(Shortfall { write, acked, goal }),
            false => Ok(()),
        }
    }
}

/// Runs one script, through `writer` (waiting for replicas) when there is one, else straight on `conn`.
///
/// The future is boxed as a trait object: its type, nested in every job handler's, is otherwise too deep
/// for the compiler to prove `Send`.
pub fn run_one<'a, T: FromRedisValue + Send + 'a>(
    writer: Option<&'a ReplicatedWriter>,
    conn: &'a RedisConnection,
    write: ReplicatedWrite,
    script: ScriptInvocation<'a>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ReplicationError>> + Send + 'a>> {
    Box::pin(async move {
        let Some(writer) = writer else {
            return Ok(script.invoke_async(&mut conn.clone()).await?);
        };
        let mut replies = writer.run(write, std::slice::from_ref(&script)).await?;
        replies.pop().ok_or_else(|| {
            RedisError::from(std::io::Error::other(format!(
                "Redis answered nothing to the {} write",
                write.label()
            )))
            .into()
        })
    })
}

enum Sent {
    Done(Vec<Value>, u32),
    ScriptsMissing,
}

async fn wait(
    conn: &mut RedisConnection,
    replicas: u32,
    timeout: Duration,
) -> Result<u32, RedisError> {
    redis::cmd("WAIT")
        .arg(replicas)
        .arg(timeout.as_millis() as u64)
        .query_async(conn)
        .await
}

fn acked_count(reply: Option<Value>) -> Result<u32, RedisError> {
    let reply = reply.unwrap_or(Value::Nil).extract_error()?;
    Ok(u32::from_redis_value(reply)?)
}

fn is_missing_script(reply: &Value) -> bool {
    matches!(reply, Value::ServerError(e) if e.kind() == Some(ServerErrorKind::NoScript))
}

/// The error of a connection that was closed while it sat idle, as opposed to one that failed mid-write.
fn went_stale(error: &RedisError) -> bool {
    error.is_connection_dropped() || error.is_connection_refusal() || error.is_io_error()
}

fn scripts_not_loaded() -> RedisError {
    RedisError::from(std::io::Error::other(
        "Redis lost the scripts right after loading them (a flush or a failover mid-write)",
    ))
}
