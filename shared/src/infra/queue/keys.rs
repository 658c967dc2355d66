//! Names of the queue's Redis keys, all under the configured prefix, so an operator can find every one.

/// `{prefix}queue:{queue}:due` (sorted set by due time), `:inflight` (by lease deadline), `:dead`,
/// `:wake` (list of wake-up tokens), `:job:{id}` (hash), `:idem:{key}` (idempotency key to job id).
#[derive(Debug, Clone)]
pub struct QueueKeys {
    base: String,
}

impl QueueKeys {
    pub fn new(prefix: &str, queue: &str) -> Self {
        Self {
            base: format!("{prefix}queue:{queue}:"),
        }
    }

    pub fn due(&self) -> String {
        format!("{}due", self.base)
    }

    pub fn inflight(&self) -> String {
        format!("{}inflight", self.base)
    }

    pub fn dead(&self) -> String {
        format!("{}dead", self.base)
    }

    pub fn wake(&self) -> String {
        format!("{}wake", self.base)
    }

    pub fn job(&self, id: &str) -> String {
        format!("{}job:{id}", self.base)
    }
}
