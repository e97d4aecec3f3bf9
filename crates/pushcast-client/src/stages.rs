//! Where an event's time goes inside the engine, stage by stage: one histogram per hop, so a
//! benchmark (or an operator) can see which hop costs, not only the end-to-end figure.
//!
//! The stages follow one event: `queue` (publish → the dispatcher takes it: the I/O thread's
//! wake-up), `batch` (taken → handed to a lane: waiting for a free lane, batching),
//! `wake` (handed → the lane task runs: a task switch on the I/O thread), `send` (the lane starts →
//! the batch is resolved: signing, the connection, the server's answer, retries) and `total`
//! (publish → the server's acknowledgement, delivered events only). Recording costs a clock
//! read and a relaxed atomic add per event and hop.

use std::time::Duration;

use crate::histogram::{bucket_upper, Histogram};

/// The stages' histograms, in the order an event passes them.
pub(crate) struct Stages {
    pub queue: Histogram,
    pub batch: Histogram,
    pub wake: Histogram,
    pub send: Histogram,
}

/// One stage of the way an event takes through the engine, as measured so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageLatency {
    /// `queue`, `batch`, `wake`, `send` or `total`.
    pub stage: &'static str,
    /// What the stage measures, in words.
    pub what: &'static str,
    /// Events measured.
    pub count: u64,
    /// Median, µs (the upper bound of its histogram bucket: within 12.5 %).
    pub p50_us: Option<u64>,
    /// 99th percentile, µs (same precision).
    pub p99_us: Option<u64>,
    /// The non-empty buckets as (upper bound µs, events): histograms of several processes
    /// (PHP-FPM workers) merge by adding the counts of equal bounds.
    pub buckets: Vec<(u64, u64)>,
}

impl Stages {
    pub(crate) fn new() -> Self {
        Stages {
            queue: Histogram::new(),
            batch: Histogram::new(),
            wake: Histogram::new(),
            send: Histogram::new(),
        }
    }

    /// Every stage, `total` (the stats' publish-to-ack histogram) last.
    pub(crate) fn report(&self, total: &Histogram) -> Vec<StageLatency> {
        [
            (
                "queue",
                "publish → taken by the dispatcher (the I/O thread's wake-up)",
                &self.queue,
            ),
            (
                "batch",
                "taken → handed to a lane (a free lane, batching)",
                &self.batch,
            ),
            ("wake", "handed → the lane task runs", &self.wake),
            (
                "send",
                "the lane starts → resolved (signing, connection, the answer, retries)",
                &self.send,
            ),
            ("total", "publish → acknowledged by the server", total),
        ]
        .into_iter()
        .map(|(stage, what, histogram)| summary(stage, what, histogram))
        .collect()
    }
}

fn summary(stage: &'static str, what: &'static str, histogram: &Histogram) -> StageLatency {
    let (counts, _) = histogram.raw();
    let buckets: Vec<(u64, u64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| (bucket_upper(i), *c))
        .collect();
    StageLatency {
        stage,
        what,
        count: buckets.iter().map(|(_, c)| c).sum(),
        p50_us: histogram.quantile(0.50),
        p99_us: histogram.quantile(0.99),
        buckets,
    }
}

/// `n` events spent `value` in a stage (a batch's events share their hop).
pub(crate) fn record_n(histogram: &Histogram, value: Duration, n: usize) {
    histogram.record_n(value, n as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lists_every_stage_with_mergeable_buckets() {
        let stages = Stages::new();
        let total = Histogram::new();
        record_n(&stages.queue, Duration::from_micros(3), 2);
        record_n(&stages.send, Duration::from_micros(1000), 1);
        total.record(Duration::from_micros(1010));
        let report = stages.report(&total);
        let names: Vec<_> = report.iter().map(|s| s.stage).collect();
        assert_eq!(names, ["queue", "batch", "wake", "send", "total"]);
        assert_eq!(report[0].count, 2);
        assert_eq!(report[0].buckets, vec![(3, 2)]);
        assert_eq!(report[0].p50_us, Some(3));
        assert_eq!(report[1].count, 0);
        assert_eq!(report[1].p99_us, None);
        let send = &report[3];
        assert_eq!(send.count, 1);
        assert!((1000..=1125).contains(&send.p50_us.unwrap()));
        assert_eq!(report[4].count, 1);
    }
}
