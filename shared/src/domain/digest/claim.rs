//! What a digest run's claim answers.

use crate::domain::incident::UnexpectedReply;

/// The claim script's answer for one run of the digest job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This run holds the period ending at `period_end_ms`: post it, then record it.
    Post {
        period_end_ms: i64,
        next_due_ms: i64,
    },
    /// That period was posted already (a rerun after the record): nothing to do.
    Posted {
        period_end_ms: i64,
        next_due_ms: i64,
    },
    /// Another job claimed the period and can still run: it posts it.
    Busy {
        period_end_ms: i64,
        next_due_ms: i64,
    },
    /// No period has ended yet; the next run is due at the first period's end.
    Early { next_due_ms: i64 },
}

/// `{outcome, period end ms, next due ms}`.
pub(super) type ClaimReply = (String, String, String);

impl Claim {
    pub(super) fn from_reply((outcome, end, next): ClaimReply) -> Result<Self, UnexpectedReply> {
        let millis = |text: &str| {
            text.parse::<i64>().map_err(|_| UnexpectedReply {
                script: "digest claim",
                answer: format!("{outcome} {end} {next}"),
            })
        };
        let (period_end_ms, next_due_ms) = (millis(&end)?, millis(&next)?);
        Ok(match outcome.as_str() {
            "post" => Claim::Post {
                period_end_ms,
                next_due_ms,
            },
            "posted" => Claim::Posted {
                period_end_ms,
                next_due_ms,
            },
            "busy" => Claim::Busy {
                period_end_ms,
                next_due_ms,
            },
            "early" => Claim::Early { next_due_ms },
            other => {
                return Err(UnexpectedReply {
                    script: "digest claim",
                    answer: other.to_string(),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(outcome: &str, end: &str, next: &str) -> ClaimReply {
        (outcome.into(), end.into(), next.into())
    }

    #[test]
    fn each_outcome_reads_back() {
        assert_eq!(
            Claim::from_reply(reply("post", "10", "20")).unwrap(),
            Claim::Post {
                period_end_ms: 10,
                next_due_ms: 20
            }
        );
        assert_eq!(
            Claim::from_reply(reply("busy", "10", "20")).unwrap(),
            Claim::Busy {
                period_end_ms: 10,
                next_due_ms: 20
            }
        );
        assert_eq!(
            Claim::from_reply(reply("early", "0", "30")).unwrap(),
            Claim::Early { next_due_ms: 30 }
        );
    }

    #[test]
    fn an_unknown_outcome_or_a_bad_number_is_an_error() {
        assert!(Claim::from_reply(reply("maybe", "1", "2")).is_err());
        assert!(Claim::from_reply(reply("post", "x", "2")).is_err());
    }
}
