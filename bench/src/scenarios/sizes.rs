//! How big each scenario is: the full run of `make bench`, or `--quick` for development.

use std::time::Duration;

/// Sizes of the run; `--quick` shrinks them for development runs.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub connections: usize,
    pub saturation_warmup: Duration,
    pub saturation_measure: Duration,
    /// Shorter runs at other connection counts, for the latency/throughput curve.
    pub sweep: Vec<usize>,
    pub sweep_measure: Duration,
    pub notify_rate: u64,
    pub notify_seconds: u64,
    pub single_escalations: usize,
    pub single_spacing: Duration,
    pub burst: usize,
    pub burst_lead: Duration,
    pub growth: [usize; 2],
    pub growth_ingest: u64,
    pub growth_escalations: usize,
    /// Concurrent senders of maximum-size bodies, and seconds per body shape.
    pub large_body_senders: usize,
    pub large_body_seconds: u64,
}

impl Sizes {
    pub fn full(connections: usize) -> Self {
        Self {
            connections,
            saturation_warmup: Duration::from_secs(2),
            saturation_measure: Duration::from_secs(10),
            sweep: vec![16, 64, 128],
            sweep_measure: Duration::from_secs(5),
            notify_rate: 200,
            notify_seconds: 15,
            single_escalations: 200,
            single_spacing: Duration::from_millis(150),
            burst: 10_000,
            burst_lead: Duration::from_secs(30),
            growth: [1_000, 100_000],
            growth_ingest: 12_000,
            growth_escalations: 200,
            large_body_senders: 16,
            large_body_seconds: 10,
        }
    }

    pub fn quick(connections: usize) -> Self {
        Self {
            saturation_measure: Duration::from_secs(4),
            sweep: vec![64],
            sweep_measure: Duration::from_secs(2),
            notify_seconds: 5,
            single_escalations: 30,
            burst: 2_000,
            burst_lead: Duration::from_secs(12),
            growth: [1_000, 10_000],
            growth_ingest: 4_000,
            growth_escalations: 20,
            large_body_seconds: 3,
            ..Self::full(connections)
        }
    }
}
