//! The jobs this process holds a lease on, so that they can be renewed while they run and handed back on
//! shutdown. A lease token is unique per fetch: a job reaped from a stalled worker and fetched again gets a
//! new token, and the stalled run can no longer settle it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct LeaseRegistry {
    held: Arc<Mutex<HashMap<String, String>>>,
    instance: Arc<str>,
    counter: Arc<AtomicU64>,
}

impl LeaseRegistry {
    pub fn new(instance: &str) -> Self {
        Self {
            held: Arc::default(),
            instance: instance.into(),
            counter: Arc::default(),
        }
    }

    /// A fresh token for the next fetch.
    pub fn next_token(&self) -> String {
        format!(
            "{}-{}",
            self.instance,
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub fn insert(&self, id: &str, lease: &str) {
        self.held
            .lock()
            .expect("lease lock")
            .insert(id.to_string(), lease.to_string());
    }

    /// Forgets `id` if `lease` still holds it: a stale run finishing late must not drop the entry of the
    /// run that owns the job now (that run's lease would stop being renewed).
    pub fn remove(&self, id: &str, lease: &str) {
        let mut held = self.held.lock().expect("lease lock");
        if held.get(id).is_some_and(|current| current == lease) {
            held.remove(id);
        }
    }

    /// (job id, lease) pairs currently held.
    pub fn snapshot(&self) -> Vec<(String, String)> {
        self.held
            .lock()
            .expect("lease lock")
            .iter()
            .map(|(id, lease)| (id.clone(), lease.clone()))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.held.lock().expect("lease lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_run_cannot_drop_the_current_runs_lease() {
        let leases = LeaseRegistry::new("w1");
        leases.insert("job", "w1-1");
        leases.insert("job", "w1-2"); // reaped and fetched again by this process
        leases.remove("job", "w1-1"); // the stale run finishes late
        assert_eq!(
            leases.snapshot(),
            vec![("job".to_string(), "w1-2".to_string())]
        );
        leases.remove("job", "w1-2");
        assert!(leases.is_empty());
    }
}
