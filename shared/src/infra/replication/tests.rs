use super::replicas::online_replicas;
use super::warning::ShortfallWarning;
use super::*;

const PRIMARY_WITH_TWO: &str = "# Replication\r\nrole:master\r\nconnected_slaves:3\r\n\
slave0:ip=10.0.0.2,port=6379,state=online,offset=1234,lag=0\r\n\
slave1:ip=10.0.0.3,port=6379,state=online,offset=1234,lag=1\r\n\
slave2:ip=10.0.0.4,port=6379,state=wait_bgsave,offset=0,lag=0\r\n\
master_failover_state:no-failover\r\nmaster_repl_offset:1234\r\n";

const REPLICA: &str = "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n\
master_link_status:up\r\nslave_read_repl_offset:1234\r\nslave_repl_offset:1234\r\nconnected_slaves:0\r\n";

#[test]
fn only_online_replicas_of_a_primary_count() {
    assert_eq!(online_replicas(PRIMARY_WITH_TWO), 2);
    assert_eq!(
        online_replicas("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"),
        0
    );
    assert_eq!(
        online_replicas(REPLICA),
        0,
        "a replica's writes cannot be acknowledged"
    );
    assert_eq!(online_replicas(""), 0);
}

#[test]
fn no_writer_when_the_goal_is_zero() {
    let mut settings = RedisSettings::default();
    assert!(
        ReplicatedWriter::from_settings(&settings).is_some(),
        "the default goal is 1"
    );
    settings.min_replicas_acked = 0;
    assert!(ReplicatedWriter::from_settings(&settings).is_none());
}

#[test]
fn a_shortfall_names_the_write_the_keys_and_what_to_do() {
    let text = Shortfall {
        write: ReplicatedWrite::Ingest,
        acked: 0,
        goal: 1,
    }
    .to_string();
    for needle in [
        "ingest",
        "0 of",
        "redis.min_replicas_acked = 1",
        "redis.replication_strict",
        "retry",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {text:?}");
    }
}

#[test]
fn only_the_escalation_claim_is_never_refused() {
    let refusable: Vec<_> = ReplicatedWrite::ALL
        .into_iter()
        .filter(|w| w.may_be_refused())
        .map(ReplicatedWrite::label)
        .collect();
    assert_eq!(refusable, ["ingest", "ack", "ack_secret", "noise_mark"]);
}

#[test]
fn one_warning_line_stands_for_the_shortfalls_of_its_window() {
    let warning = ShortfallWarning::default();
    assert!(warning.note(ReplicatedWrite::Ingest, 0, 1, false));
    for write in ReplicatedWrite::ALL {
        assert!(
            !warning.note(write, 0, 1, false),
            "a second line within the window"
        );
    }
}
