//! What Redis holds under a key prefix, as text a test can commit and load again byte for byte.
//!
//! An upgrade test needs the state an earlier release left behind. Redis's own dump formats are tied to
//! its version, so a snapshot here is one JSON object per key and line: `key`, `type` (`string`, `hash`,
//! `zset` or `list`), `value` and `pttl` (milliseconds left to live, `null` for none). Values that are
//! UTF-8 stay readable text; others (compressed payloads) are `{"hex": "..."}`.
//!
//! Loading can rebase time: see [`TimeShift`].

use std::collections::BTreeMap;

use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

/// One key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key: String,
    #[serde(flatten)]
    pub value: KeyValue,
    /// Milliseconds the key had left to live when it was read; `None` when it never expires.
    pub pttl: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum KeyValue {
    String(StoredBytes),
    Hash(BTreeMap<String, StoredBytes>),
    /// Members with their scores, lowest score first.
    Zset(Vec<(String, f64)>),
    List(Vec<StoredBytes>),
}

/// A value kept exactly: text when it is UTF-8, hex otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredBytes {
    Text(String),
    Binary { hex: String },
}

impl StoredBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => Self::Text(text),
            Err(e) => Self::Binary {
                hex: hex::encode(e.as_bytes()),
            },
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Text(text) => text.as_bytes().to_vec(),
            Self::Binary { hex } => {
                hex::decode(hex).unwrap_or_else(|e| panic!("not hex in a snapshot: {e}"))
            }
        }
    }

    /// The value as text, when it is.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Binary { .. } => None,
        }
    }
}

/// Redis server time in milliseconds (`TIME`), the clock every stored time is on.
pub async fn server_time_ms(conn: &mut MultiplexedConnection) -> i64 {
    let (secs, micros): (i64, i64) = redis::cmd("TIME")
        .query_async(conn)
        .await
        .unwrap_or_else(|e| panic!("TIME failed: {e}"));
    secs * 1000 + micros / 1000
}

/// Every key under `prefix`, sorted by key.
pub async fn dump(conn: &mut MultiplexedConnection, prefix: &str) -> Vec<KeyRecord> {
    let mut keys: Vec<String> = {
        let mut iter: redis::AsyncIter<String> = conn
            .scan_match(format!("{prefix}*"))
            .await
            .unwrap_or_else(|e| panic!("SCAN failed: {e}"));
        let mut keys = Vec::new();
        while let Some(key) = iter.next_item().await {
            keys.push(key.unwrap_or_else(|e| panic!("SCAN failed: {e}")));
        }
        keys
    };
    keys.sort();
    keys.dedup();
    let mut records = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(record) = read_key(conn, key).await {
            records.push(record);
        }
    }
    records
}

/// One key; `None` when it expired since it was listed.
async fn read_key(conn: &mut MultiplexedConnection, key: String) -> Option<KeyRecord> {
    let fail = |what: &str, e: redis::RedisError| -> ! { panic!("{what} {key} failed: {e}") };
    let kind: String = redis::cmd("TYPE")
        .arg(&key)
        .query_async(conn)
        .await
        .unwrap_or_else(|e| fail("TYPE", e));
    let value = match kind.as_str() {
        "none" => return None,
        "string" => {
            let bytes: Vec<u8> = conn.get(&key).await.unwrap_or_else(|e| fail("GET", e));
            KeyValue::String(StoredBytes::new(bytes))
        }
        "hash" => {
            let fields: BTreeMap<String, Vec<u8>> = conn
                .hgetall(&key)
                .await
                .unwrap_or_else(|e| fail("HGETALL", e));
            KeyValue::Hash(
                fields
                    .into_iter()
                    .map(|(name, bytes)| (name, StoredBytes::new(bytes)))
                    .collect(),
            )
        }
        "zset" => KeyValue::Zset(
            conn.zrange_withscores(&key, 0, -1)
                .await
                .unwrap_or_else(|e| fail("ZRANGE", e)),
        ),
        "list" => {
            let items: Vec<Vec<u8>> = conn
                .lrange(&key, 0, -1)
                .await
                .unwrap_or_else(|e| fail("LRANGE", e));
            KeyValue::List(items.into_iter().map(StoredBytes::new).collect())
        }
        other => panic!("{key} is a Redis {other}, which a snapshot does not hold"),
    };
    let pttl: i64 = conn.pttl(&key).await.unwrap_or_else(|e| fail("PTTL", e));
    Some(KeyRecord {
        key,
        value,
        pttl: (pttl >= 0).then_some(pttl),
    })
}

/// How a snapshot's stored times are moved when it is loaded, so that the loaded state stands to "now"
/// as the captured state stood to the moment of capture: a job that was due 6 s after the capture is due
/// 6 s after the load, and an incident acknowledged a minute before it reads as acknowledged a minute ago.
///
/// The rule follows what Versus stores, all on Redis server time in milliseconds: every hash field named
/// `*_ms` that holds an integer is a time (`created_ms`, `due_ms`, `acked_ms`, a job's `enqueued_ms` ...),
/// and the scores of the queue's sorted sets (`{prefix}queue:{name}:due`, `:inflight`, `:dead`) are
/// times. Each moves by `now - captured_at`. Nothing else changes: ids that contain a time are names,
/// payloads are kept byte for byte, and a TTL is already relative to the moment it was read.
#[derive(Debug, Clone, Copy)]
pub struct TimeShift {
    pub ms: i64,
}

impl TimeShift {
    pub fn between(captured_at_ms: i64, now_ms: i64) -> Self {
        Self {
            ms: now_ms - captured_at_ms,
        }
    }

    fn field(&self, name: &str, value: &StoredBytes) -> StoredBytes {
        match value.text().map(str::parse::<i64>) {
            Some(Ok(time)) if name.ends_with("_ms") => {
                StoredBytes::Text((time + self.ms).to_string())
            }
            _ => value.clone(),
        }
    }

    fn scores_are_times(prefix: &str, key: &str) -> bool {
        key.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("queue:"))
            .is_some_and(|rest| {
                [":due", ":inflight", ":dead"]
                    .iter()
                    .any(|s| rest.ends_with(s))
            })
    }

    /// `record` with its times moved.
    pub fn apply(&self, prefix: &str, record: &KeyRecord) -> KeyRecord {
        let value = match &record.value {
            KeyValue::Hash(fields) => KeyValue::Hash(
                fields
                    .iter()
                    .map(|(name, value)| (name.clone(), self.field(name, value)))
                    .collect(),
            ),
            KeyValue::Zset(members) if Self::scores_are_times(prefix, &record.key) => {
                KeyValue::Zset(
                    members
                        .iter()
                        .map(|(member, score)| (member.clone(), score + self.ms as f64))
                        .collect(),
                )
            }
            other => other.clone(),
        };
        KeyRecord {
            value,
            ..record.clone()
        }
    }
}

/// Writes `records` into Redis as they are (replacing keys of the same names), each with its TTL.
pub async fn load(conn: &mut MultiplexedConnection, records: &[KeyRecord]) {
    for record in records {
        let key = &record.key;
        let mut pipe = redis::pipe();
        pipe.atomic().del(key).ignore();
        match &record.value {
            KeyValue::String(value) => {
                pipe.set(key, value.bytes()).ignore();
            }
            KeyValue::Hash(fields) => {
                let pairs: Vec<(&str, Vec<u8>)> = fields
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.bytes()))
                    .collect();
                pipe.hset_multiple(key, &pairs).ignore();
            }
            KeyValue::Zset(members) => {
                let items: Vec<(f64, &str)> =
                    members.iter().map(|(m, s)| (*s, m.as_str())).collect();
                pipe.zadd_multiple(key, &items).ignore();
            }
            KeyValue::List(items) => {
                let items: Vec<Vec<u8>> = items.iter().map(StoredBytes::bytes).collect();
                pipe.rpush(key, items).ignore();
            }
        }
        if let Some(pttl) = record.pttl {
            pipe.pexpire(key, pttl.max(1)).ignore();
        }
        pipe.query_async::<()>(conn)
            .await
            .unwrap_or_else(|e| panic!("loading {key} failed: {e}"));
    }
}

/// One JSON line per record.
pub fn to_json_lines(records: &[KeyRecord]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).expect("a record serialises") + "\n")
        .collect()
}

/// The records of [`to_json_lines`]' text; panics naming the line that is not one.
pub fn from_json_lines(text: &str) -> Vec<KeyRecord> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {} is not a snapshot record: {e}", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(key: &str, fields: &[(&str, StoredBytes)]) -> KeyRecord {
        KeyRecord {
            key: key.into(),
            value: KeyValue::Hash(
                fields
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.clone()))
                    .collect(),
            ),
            pttl: Some(1000),
        }
    }

    #[test]
    fn records_survive_a_round_trip_through_text_byte_for_byte() {
        let records = vec![
            hash(
                "v:incident:1",
                &[
                    (
                        "payload",
                        StoredBytes::new(vec![0x28, 0xb5, 0x2f, 0xfd, 0xff]),
                    ),
                    ("title", StoredBytes::new(b"disk full".to_vec())),
                ],
            ),
            KeyRecord {
                key: "v:queue:escalate:due".into(),
                value: KeyValue::Zset(vec![("1".into(), 1_733_000_000_123.0)]),
                pttl: None,
            },
            KeyRecord {
                key: "v:queue:notify:wake".into(),
                value: KeyValue::List(vec![StoredBytes::new(b"1".to_vec())]),
                pttl: None,
            },
        ];
        let text = to_json_lines(&records);
        assert!(text.contains(r#""hex":"28b52ffdff""#), "{text}");
        assert_eq!(from_json_lines(&text), records);
    }

    #[test]
    fn a_shift_moves_times_and_leaves_everything_else() {
        let shift = TimeShift::between(1_000_000, 1_500_000);
        let incident = hash(
            "v:incident:1",
            &[
                ("due_ms", StoredBytes::Text("1006000".into())),
                ("resends", StoredBytes::Text("2".into())),
                ("id", StoredBytes::Text("1-resolved-1000000".into())),
            ],
        );
        let KeyValue::Hash(fields) = shift.apply("v:", &incident).value else {
            unreachable!("a hash stays a hash")
        };
        assert_eq!(fields["due_ms"].text(), Some("1506000"));
        assert_eq!(fields["resends"].text(), Some("2"));
        assert_eq!(fields["id"].text(), Some("1-resolved-1000000"));

        let due = KeyRecord {
            key: "v:queue:escalate:due".into(),
            value: KeyValue::Zset(vec![("a".into(), 1_006_000.0)]),
            pttl: None,
        };
        assert_eq!(
            shift.apply("v:", &due).value,
            KeyValue::Zset(vec![("a".into(), 1_506_000.0)])
        );
        let other = KeyRecord {
            key: "v:leaderboard".into(),
            ..due
        };
        assert_eq!(shift.apply("v:", &other), other);
    }
}
