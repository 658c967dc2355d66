//! A connection that follows the primary when it moves (Sentinel failover, Cluster failover or resharding).
//!
//! redis-rs's `ConnectionManager` reconnects to the address it was given, which after a failover is a dead
//! node or a replica. This one asks its [`Locator`] where the primary is whenever the node it uses fails
//! or says it is not the primary (see [`failover`](super::failover) for which errors do), connects there,
//! checks that the node answers `ROLE` as a master, and carries on; no restart is needed. Finding the
//! primary again is done by one caller at a time; the others wait for its result, and while the primary
//! cannot be found, commands fail fast for a moment instead of each asking the Sentinels (or the cluster)
//! again.

use super::cluster::ClusterLocator;
use super::failover::{verdict, Verdict};
use super::sentinel::SentinelLocator;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{
    AsyncConnectionConfig, Client, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult,
    Value,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// After a failed search for the primary, commands fail at once for this long instead of searching again.
const SEARCH_PAUSE: Duration = Duration::from_millis(200);

/// Where the primary is found.
pub enum Locator {
    Sentinel(SentinelLocator),
    Cluster(ClusterLocator),
}

impl Locator {
    async fn locate(&mut self) -> RedisResult<(Client, String)> {
        match self {
            Locator::Sentinel(sentinel) => sentinel.locate().await,
            Locator::Cluster(cluster) => cluster.locate().await,
        }
    }
}

#[derive(Clone)]
pub struct FollowedPrimary {
    shared: Arc<Shared>,
}

struct Shared {
    current: Mutex<Option<Current>>,
    search: tokio::sync::Mutex<Search>,
    generation: AtomicU64,
    /// Bound on finding and connecting to the primary.
    connect_timeout: Duration,
    config: AsyncConnectionConfig,
    db: i64,
}

#[derive(Clone)]
struct Current {
    generation: u64,
    conn: MultiplexedConnection,
}

struct Search {
    locator: Locator,
    /// The node used last, to log when the primary has moved.
    address: Option<String>,
    failed: Option<(Instant, RedisError)>,
}

impl FollowedPrimary {
    /// Nothing is connected until the first command, so a process can start while Redis is away.
    /// `response_timeout` bounds each command (`None` for blocking commands, which callers bound).
    pub fn new(
        locator: Locator,
        connect_timeout: Duration,
        response_timeout: Option<Duration>,
        db: i64,
    ) -> Self {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect_timeout))
            .set_response_timeout(response_timeout);
        Self {
            shared: Arc::new(Shared {
                current: Mutex::new(None),
                search: tokio::sync::Mutex::new(Search {
                    locator,
                    address: None,
                    failed: None,
                }),
                generation: AtomicU64::new(0),
                connect_timeout,
                config,
                db,
            }),
        }
    }

    /// Connects now: for dedicated connections, whose callers want to know at once.
    pub async fn connected(self) -> RedisResult<Self> {
        self.connection().await?;
        Ok(self)
    }

    pub fn db(&self) -> i64 {
        self.shared.db
    }

    fn current(&self) -> Option<Current> {
        self.shared.current.lock().expect("connection lock").clone()
    }

    /// Drops the connection of `generation` (unless a newer one replaced it already).
    fn forget(&self, generation: u64) {
        let mut current = self.shared.current.lock().expect("connection lock");
        if current.as_ref().is_some_and(|c| c.generation == generation) {
            *current = None;
        }
    }

    async fn connection(&self) -> RedisResult<Current> {
        if let Some(current) = self.current() {
            return Ok(current);
        }
        let mut search = self.shared.search.lock().await;
        // Another caller may have found it while this one waited.
        if let Some(current) = self.current() {
            return Ok(current);
        }
        if let Some((at, error)) = &search.failed {
            if at.elapsed() < SEARCH_PAUSE {
                return Err(error.clone());
            }
        }
        let found = tokio::time::timeout(self.shared.connect_timeout, self.find(&mut search))
            .await
            .unwrap_or_else(|_| {
                Err(unavailable(
                    "the Redis primary was not found in time",
                    format!("within {:?}", self.shared.connect_timeout),
                ))
            });
        match found {
            Ok((conn, address)) => {
                if search.address.as_deref() != Some(address.as_str()) {
                    match &search.address {
                        Some(before) => {
                            tracing::warn!(from = %before, to = %address, "the Redis primary moved; following it")
                        }
                        None => {
                            tracing::info!(primary = %address, "connected to the Redis primary")
                        }
                    }
                    search.address = Some(address);
                }
                search.failed = None;
                let current = Current {
                    generation: self.shared.generation.fetch_add(1, Ordering::Relaxed) + 1,
                    conn,
                };
                *self.shared.current.lock().expect("connection lock") = Some(current.clone());
                Ok(current)
            }
            Err(error) => {
                tracing::debug!(%error, "cannot find the Redis primary yet");
                search.failed = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    async fn find(&self, search: &mut Search) -> RedisResult<(MultiplexedConnection, String)> {
        let (client, address) = search.locator.locate().await.map_err(as_unavailable)?;
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&self.shared.config)
            .await?;
        let role: Vec<Value> = redis::cmd("ROLE").query_async(&mut conn).await?;
        match role.first() {
            Some(Value::BulkString(role)) if role.as_slice() == b"master" => Ok((conn, address)),
            _ => Err(unavailable(
                "the node named as primary is not a master (yet)",
                address,
            )),
        }
    }

    /// Sends `request` to the primary; follows it when the answer says it moved, sending again only what
    /// was certainly not run. Redis's error answers arrive as values (`Value::ServerError`), a broken
    /// connection as an error: both are judged.
    async fn run(&self, request: Request<'_>) -> RedisResult<Reply> {
        let mut current = self.connection().await?;
        let answer = request.send(&mut current.conn).await;
        let judged = match &answer {
            Ok(reply) => reply.server_error().map(|error| verdict(&error)),
            Err(error) => Some(verdict(error)),
        };
        match judged {
            None | Some(Verdict::Keep) => answer,
            Some(Verdict::Relocate { resend }) => {
                self.forget(current.generation);
                if !resend {
                    return answer;
                }
                let mut fresh = self.connection().await?;
                request.send(&mut fresh.conn).await
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Request<'a> {
    Command(&'a Cmd),
    Pipeline(&'a Pipeline, usize, usize),
}

enum Reply {
    One(Value),
    Many(Vec<Value>),
}

impl Reply {
    /// The first error answer in the reply. In a pipeline every command went to the one node, so an answer
    /// that it is not the primary for Versus's keys holds for every write in it.
    fn server_error(&self) -> Option<RedisError> {
        let values = match self {
            Reply::One(value) => std::slice::from_ref(value),
            Reply::Many(values) => values.as_slice(),
        };
        values.iter().find_map(|value| match value {
            Value::ServerError(error) => Some(error.clone().into()),
            _ => None,
        })
    }
}

impl Request<'_> {
    async fn send(self, conn: &mut MultiplexedConnection) -> RedisResult<Reply> {
        match self {
            Request::Command(cmd) => conn.req_packed_command(cmd).await.map(Reply::One),
            Request::Pipeline(pipeline, offset, count) => conn
                .req_packed_commands(pipeline, offset, count)
                .await
                .map(Reply::Many),
        }
    }
}

impl ConnectionLike for FollowedPrimary {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            match self.run(Request::Command(cmd)).await? {
                Reply::One(value) => Ok(value),
                Reply::Many(mut values) => Ok(values.pop().unwrap_or(Value::Nil)),
            }
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            match self.run(Request::Pipeline(cmd, offset, count)).await? {
                Reply::Many(values) => Ok(values),
                Reply::One(value) => Ok(vec![value]),
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.shared.db
    }
}

fn unavailable(what: &'static str, detail: String) -> RedisError {
    RedisError::from((ErrorKind::Io, what, detail))
}

/// A failed search counts as Redis being unavailable (the API answers `503`, the worker backs off),
/// except for errors a retry cannot fix, which keep their kind.
fn as_unavailable(error: RedisError) -> RedisError {
    match error.kind() {
        ErrorKind::AuthenticationFailed | ErrorKind::InvalidClientConfig | ErrorKind::Io => error,
        _ => unavailable("the Redis primary cannot be found", error.to_string()),
    }
}
