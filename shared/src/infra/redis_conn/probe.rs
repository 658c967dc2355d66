//! Asking several Redis nodes (Sentinels, cluster seeds) where the primary is, without letting one of them
//! hold up the search.
//!
//! A node that accepts TCP but never answers (a stopped process, a full network buffer) is worse than a
//! dead one: a refused connection fails at once, a silent one costs a whole timeout. So every question is
//! bounded by a fraction of `redis.timeout_ms` ([`probe_timeout`]), all nodes are asked at once, and the
//! search goes on as soon as enough of them have answered ([`gather`]), never waiting for the slowest.

use futures::stream::{FuturesUnordered, StreamExt};
use redis::{AsyncConnectionConfig, Client, Cmd, FromRedisValue, RedisError, RedisResult};
use std::future::Future;
use std::time::Duration;

/// The least a question to one node is given, so a small `redis.timeout_ms` still leaves room for a TLS
/// handshake on a local network.
const PROBE_FLOOR: Duration = Duration::from_millis(100);

/// How long one question to one node may take, connecting included: a quarter of the search's budget
/// (`redis.timeout_ms`), so that after one round of questions there is time left to connect to the primary.
pub fn probe_timeout(timeout: Duration) -> Duration {
    (timeout / 4).max(PROBE_FLOOR).min(timeout)
}

/// Connects to `client`'s node and sends `cmd`, both within `within`; a silent node is a timeout error.
pub async fn ask<T: FromRedisValue>(
    client: &Client,
    cmd: &Cmd,
    within: Duration,
) -> RedisResult<T> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(within))
        .set_response_timeout(Some(within));
    let question = async {
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        cmd.query_async(&mut conn).await
    };
    tokio::time::timeout(within, question)
        .await
        .unwrap_or_else(|_| Err(timed_out()))
}

fn timed_out() -> RedisError {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the node did not answer in time",
    )
    .into()
}

/// What one round of questions gave.
pub struct Gathered<T> {
    /// The answers, in the order they arrived, with the index of the node that gave each.
    pub answers: Vec<(usize, T)>,
    /// The nodes that answered with an error (or did not answer in time).
    pub failed: Vec<usize>,
    /// The last of those errors, to report when no node answered.
    pub last_error: Option<RedisError>,
}

/// Runs every question at once and returns as soon as `enough` have answered, or when all are done (each
/// question bounds itself, see [`ask`]). Questions still running then are dropped.
pub async fn gather<T, F>(questions: impl IntoIterator<Item = F>, enough: usize) -> Gathered<T>
where
    F: Future<Output = RedisResult<T>>,
{
    let mut running: FuturesUnordered<_> = questions
        .into_iter()
        .enumerate()
        .map(|(i, question)| async move { (i, question.await) })
        .collect();
    let mut gathered = Gathered {
        answers: Vec::new(),
        failed: Vec::new(),
        last_error: None,
    };
    while gathered.answers.len() < enough.max(1) {
        match running.next().await {
            Some((i, Ok(answer))) => gathered.answers.push((i, answer)),
            Some((i, Err(error))) => {
                gathered.failed.push(i);
                gathered.last_error = Some(error);
            }
            None => break,
        }
    }
    gathered
}

/// A majority of `n` nodes: answers from that many mean at least one of them took part in the latest
/// decision of the group (a failover needs a majority's votes).
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_probe_gets_a_quarter_of_the_budget_within_bounds() {
        assert_eq!(
            probe_timeout(Duration::from_millis(2000)),
            Duration::from_millis(500)
        );
        assert_eq!(
            probe_timeout(Duration::from_millis(200)),
            Duration::from_millis(100)
        );
        assert_eq!(
            probe_timeout(Duration::from_millis(50)),
            Duration::from_millis(50)
        );
    }

    /// A listener that accepts connections and never answers, as a stopped Redis does.
    #[tokio::test]
    async fn a_silent_node_costs_the_probe_timeout_not_more() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let mut accepted = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                accepted.push(socket);
            }
        });
        let client = Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
        let started = Instant::now();
        let answer: RedisResult<String> =
            ask(&client, &redis::cmd("PING"), Duration::from_millis(150)).await;
        let error = answer.expect_err("a silent node gives no answer");
        assert!(error.is_timeout() || error.is_io_error(), "{error}");
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "bounded by the probe, not by redis-rs's 1 s default: {:?}",
            started.elapsed()
        );
        held.abort();
    }

    #[tokio::test]
    async fn gathering_stops_at_enough_answers_without_waiting_for_the_slowest() {
        let silent = || -> std::pin::Pin<Box<dyn Future<Output = RedisResult<u8>> + Send>> {
            Box::pin(futures::future::pending())
        };
        let answer = |n: u8| -> std::pin::Pin<Box<dyn Future<Output = RedisResult<u8>> + Send>> {
            Box::pin(async move { Ok(n) })
        };
        let failing = || -> std::pin::Pin<Box<dyn Future<Output = RedisResult<u8>> + Send>> {
            Box::pin(async { Err(timed_out()) })
        };
        let gathered = tokio::time::timeout(
            Duration::from_secs(5),
            gather(vec![silent(), failing(), answer(7), answer(9)], 2),
        )
        .await
        .expect("the silent question is not waited for");
        let mut values: Vec<u8> = gathered.answers.iter().map(|(_, v)| *v).collect();
        values.sort_unstable();
        assert_eq!(values, vec![7, 9]);

        let short = gather(vec![failing(), answer(3)], 2).await;
        assert_eq!(short.answers, vec![(1, 3)]);
        assert_eq!(short.failed, vec![0]);

        let none = gather(vec![failing(), failing()], 1).await;
        assert!(none.answers.is_empty());
        assert!(none.last_error.is_some());
    }

    #[test]
    fn a_majority_is_more_than_half() {
        assert_eq!(majority(1), 1);
        assert_eq!(majority(3), 2);
        assert_eq!(majority(4), 3);
        assert_eq!(majority(6), 4);
    }
}
