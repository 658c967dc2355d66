//! The alert every scenario sends: the product's own realistic Alertmanager sample (3 alerts), with a
//! `groupKey` made unique per request so that each POST opens a new incident instead of joining one.

use bytes::Bytes;
use serde_json::Value;

const SAMPLE: &str = include_str!("../../shared/src/domain/template/sample_alertmanager.json");
const MARK: &str = "@@SEQ@@";

pub struct Payload {
    prefix: Vec<u8>,
    suffix: Vec<u8>,
}

impl Payload {
    pub fn new() -> Self {
        let mut sample: Value = serde_json::from_str(SAMPLE).expect("the sample parses");
        let group = sample["groupKey"].as_str().expect("a groupKey").to_string();
        let unique = format!("{}, bench=\"{MARK}\"}}", group.trim_end_matches('}'));
        sample["groupKey"] = Value::String(unique);
        let text = serde_json::to_string(&sample).expect("serialises");
        let at = text.find(MARK).expect("the mark is kept as is");
        Self {
            prefix: text.as_bytes()[..at].to_vec(),
            suffix: text.as_bytes()[at + MARK.len()..].to_vec(),
        }
    }

    /// The body of request `seq`: compact JSON, about 3 KB.
    pub fn body(&self, seq: u64) -> Bytes {
        let digits = seq.to_string();
        let mut out = Vec::with_capacity(self.prefix.len() + digits.len() + self.suffix.len());
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(digits.as_bytes());
        out.extend_from_slice(&self.suffix);
        Bytes::from(out)
    }

    pub fn len(&self) -> usize {
        self.prefix.len() + self.suffix.len() + 6
    }
}
