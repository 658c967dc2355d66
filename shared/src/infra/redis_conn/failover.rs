//! What an error from the primary means for a connection that follows a moving primary (Sentinel or
//! Cluster): keep the connection, or find the primary again, and whether the command may be sent again.
//!
//! A command is sent again only when the node certainly did not run it: it answered that it is a replica
//! (`READONLY`: a replica runs no write, and a script's first write stops it), still loading, cut off from
//! its primary, or not the owner of the slot. An error that leaves the outcome unknown (a broken
//! connection, no answer in time) is returned to the caller, whose own retry is safe: every Versus write is
//! an idempotent script or guarded by a lease token, and the API's caller retries a `503`.

use redis::{ErrorKind, RedisError, ServerErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An answer about the command itself (a script error, a wrong type): the connection is fine.
    Keep,
    /// The node is not (or may no longer be) the primary: find it again. `resend` when the command was
    /// certainly not run.
    Relocate { resend: bool },
}

pub fn verdict(error: &RedisError) -> Verdict {
    match error.kind() {
        ErrorKind::Server(
            ServerErrorKind::ReadOnly
            | ServerErrorKind::BusyLoading
            | ServerErrorKind::MasterDown
            | ServerErrorKind::Moved
            | ServerErrorKind::ClusterDown,
        ) => Verdict::Relocate { resend: true },
        ErrorKind::Io | ErrorKind::Parse => Verdict::Relocate { resend: false },
        _ if names_a_replica(error) => Verdict::Relocate { resend: true },
        _ => Verdict::Keep,
    }
}

/// True when Redis could not be asked (unreachable, connection lost, too slow), as opposed to an answer
/// it gave.
pub fn unanswered(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
}

/// A script stopped by a replica reports the `READONLY` error of its write inside its own error text.
fn names_a_replica(error: &RedisError) -> bool {
    let text = error.to_string();
    text.contains("READONLY") || text.contains("-LOADING") || text.contains("MASTERDOWN")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(line: &str) -> RedisError {
        redis::parse_redis_value(format!("-{line}\r\n").as_bytes())
            .and_then(|value| value.extract_error())
            .expect_err("an error reply")
    }

    #[test]
    fn a_replica_or_a_moved_slot_is_followed_and_the_command_sent_again() {
        for line in [
            "READONLY You can't write against a read only replica.",
            "LOADING Redis is loading the dataset in memory",
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            "MOVED 3999 127.0.0.1:6381",
            "CLUSTERDOWN The cluster is down",
            "ERR Error running script (call to f_x): @user_script:3: -READONLY You can't write against a read only replica.",
        ] {
            assert_eq!(
                verdict(&server_error(line)),
                Verdict::Relocate { resend: true },
                "{line}"
            );
        }
    }

    #[test]
    fn a_lost_connection_is_followed_but_never_sent_again() {
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(
            verdict(&RedisError::from(reset)),
            Verdict::Relocate { resend: false }
        );
        let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer");
        assert_eq!(
            verdict(&RedisError::from(timed_out)),
            Verdict::Relocate { resend: false }
        );
    }

    #[test]
    fn an_answer_about_the_command_keeps_the_connection() {
        for line in [
            "ERR wrong number of arguments",
            "NOSCRIPT No matching script",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ] {
            assert_eq!(verdict(&server_error(line)), Verdict::Keep, "{line}");
        }
    }
}
