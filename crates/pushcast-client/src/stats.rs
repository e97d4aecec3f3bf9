//! Live statistics: atomic counters and a latency histogram, readable at any time for the cost
//! of a few relaxed loads.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::histogram::Histogram;
use crate::sync::Mutex;

/// Counters, each in events (one event on k channels counts k) unless named otherwise.
#[derive(Default)]
pub(crate) struct Counters {
    pub enqueued: AtomicU64,
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
    pub retried: AtomicU64,
    pub dropped_newest: AtomicU64,
    pub dropped_oldest: AtomicU64,
    pub rejected_queue_full: AtomicU64,
    pub abandoned_at_shutdown: AtomicU64,
    pub requests_sent: AtomicU64,
    pub requests_failed: AtomicU64,
    pub in_flight_requests: AtomicU64,
    pub failovers: AtomicU64,
    pub breaker_opened: AtomicU64,
    pub breaker_half_opened: AtomicU64,
    pub breaker_closed: AtomicU64,
    pub rejected_circuit_open: AtomicU64,
    pub conflated: AtomicU64,
    pub spool_errors: AtomicU64,
    pub resent: AtomicU64,
    pub split_batches: AtomicU64,
}

pub(crate) struct Stats {
    pub counters: Counters,
    pub latency: Histogram,
    /// The hops between publish and acknowledgement (see `crate::stages`).
    pub stages: crate::stages::Stages,
    pub last_error: Mutex<Option<String>>,
}

impl Stats {
    pub(crate) fn new() -> Self {
        Stats {
            counters: Counters::default(),
            latency: Histogram::new(),
            stages: crate::stages::Stages::new(),
            last_error: Mutex::new(None),
        }
    }

    /// Keeps `message` as the last error the stats report: the one place that writes it, so
    /// how it is kept (the whole message, the latest one) is decided here only.
    pub(crate) fn set_last_error(&self, message: impl ToString) {
        *self.last_error.lock() = Some(message.to_string());
    }

    pub(crate) fn snapshot(&self, queue_depth: usize) -> StatsSnapshot {
        let c = &self.counters;
        StatsSnapshot {
            enqueued: c.enqueued.load(Relaxed),
            delivered: c.delivered.load(Relaxed),
            failed: c.failed.load(Relaxed),
            retried: c.retried.load(Relaxed),
            dropped_newest: c.dropped_newest.load(Relaxed),
            dropped_oldest: c.dropped_oldest.load(Relaxed),
            rejected_queue_full: c.rejected_queue_full.load(Relaxed),
            abandoned_at_shutdown: c.abandoned_at_shutdown.load(Relaxed),
            requests_sent: c.requests_sent.load(Relaxed),
            requests_failed: c.requests_failed.load(Relaxed),
            in_flight_requests: c.in_flight_requests.load(Relaxed),
            failovers: c.failovers.load(Relaxed),
            queue_depth: queue_depth as u64,
            latency_p50_us: self.latency.quantile(0.50),
            latency_p99_us: self.latency.quantile(0.99),
            last_error: self.last_error.lock().clone(),
            breaker_opened: c.breaker_opened.load(Relaxed),
            breaker_half_opened: c.breaker_half_opened.load(Relaxed),
            breaker_closed: c.breaker_closed.load(Relaxed),
            rejected_circuit_open: c.rejected_circuit_open.load(Relaxed),
            conflated: c.conflated.load(Relaxed),
            spool_errors: c.spool_errors.load(Relaxed),
            resent: c.resent.load(Relaxed),
            split_batches: c.split_batches.load(Relaxed),
            circuits: Vec::new(),
            ..StatsSnapshot::default()
        }
    }
}

/// A point-in-time copy of the client's statistics.
///
/// Event counts are per (event, channel): an event published to three channels counts three.
/// Accounting identity at any moment (`queue_depth` is what is still pending, on disk included):
/// `enqueued + spool_replayed = delivered + failed + dropped_oldest + abandoned_at_shutdown +
/// conflated + spool_left_at_shutdown + queue_depth` (`dropped_newest`, `rejected_queue_full`
/// and `rejected_circuit_open` were never enqueued; without a spool the spool figures are 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Accepted into the queue.
    pub enqueued: u64,
    /// Acknowledged by the server (status 200).
    pub delivered: u64,
    /// Given up on: refused by the server, or out of time/retries. Each is in the failure log.
    pub failed: u64,
    /// Re-sent after a retryable failure (counted per event per retry), or in a smaller
    /// request after the server refused a batch (see `split_batches`).
    pub retried: u64,
    /// Sent again after a try the server may have acted on: a 5xx answer (a server can fail
    /// after dispatching part of a batch) or a request sent and never answered. Each may have
    /// reached subscribers twice: delivery is at least once, and this counts every repeat
    /// that can have happened. 0 means no event was repeated.
    pub resent: u64,
    /// Batches split after the server refused them, so that only the events it refuses fail:
    /// in halves after 400, 413 or 422; into single events after 500, or after 502-504 three
    /// times in a row.
    pub split_batches: u64,
    /// Not accepted because the queue was full under the drop-newest policy.
    pub dropped_newest: u64,
    /// Removed from a full queue to make room under the drop-oldest policy.
    pub dropped_oldest: u64,
    /// Refused with a queue-full error (fail-fast policy, or block policy past its deadline).
    pub rejected_queue_full: u64,
    /// Still undelivered when the client shut down.
    pub abandoned_at_shutdown: u64,
    /// HTTP requests sent (each try counts).
    pub requests_sent: u64,
    /// HTTP requests that failed (transport error or non-200).
    pub requests_failed: u64,
    /// HTTP requests under way now.
    pub in_flight_requests: u64,
    /// Switches to another endpoint after a connection failure.
    pub failovers: u64,
    /// Events accepted and not yet delivered, failed or dropped.
    pub queue_depth: u64,
    /// Median time from publish to the server's acknowledgement, microseconds.
    pub latency_p50_us: Option<u64>,
    /// 99th percentile of the same, microseconds.
    pub latency_p99_us: Option<u64>,
    /// The most recent error, as text.
    pub last_error: Option<String>,
    /// Circuits opened (closed → open, or a failed probe: half-open → open).
    pub breaker_opened: u64,
    /// Probes let through after a cool-down (open → half-open).
    pub breaker_half_opened: u64,
    /// Circuits closed by a successful request (half-open → closed).
    pub breaker_closed: u64,
    /// Refused with [`pushcast_core::Error::CircuitOpen`] (every circuit open, fail-fast policy).
    pub rejected_circuit_open: u64,
    /// Replaced in the queue by a later event of the same conflation key (never sent, never
    /// lost: the later event carries the newer value).
    pub conflated: u64,
    /// Events in the durable spool now (in memory or waiting on disk), 0 without a spool.
    pub spool_rows: u64,
    /// Bytes those events take (channel, name, data, socket id), against `spool_max_bytes`.
    pub spool_bytes: u64,
    /// Events waiting on disk only, not yet loaded into memory (part of `queue_depth`).
    pub spool_backlog: u64,
    /// Events taken over from the spools of processes that died (replayed by this one).
    pub spool_replayed: u64,
    /// Events still undelivered at shutdown and left in the spool for the next process (not
    /// lost, not abandoned).
    pub spool_left_at_shutdown: u64,
    /// Spool operations that failed in the background (a delete, a load, a sync, a claim); the
    /// message is in `last_error`. A failed delete replays an event at worst, never loses it.
    pub spool_errors: u64,
    /// Each endpoint's circuit state.
    pub circuits: Vec<crate::breaker::EndpointCircuit>,
}

impl StatsSnapshot {
    /// The counters as (name, value) pairs in a stable order, for hosts that render them
    /// (PHP arrays, `php --ri`, metrics), so each needs no list of its own.
    pub fn counters(&self) -> [(&'static str, u64); 26] {
        [
            ("enqueued", self.enqueued),
            ("delivered", self.delivered),
            ("failed", self.failed),
            ("retried", self.retried),
            ("dropped_newest", self.dropped_newest),
            ("dropped_oldest", self.dropped_oldest),
            ("rejected_queue_full", self.rejected_queue_full),
            ("abandoned_at_shutdown", self.abandoned_at_shutdown),
            ("requests_sent", self.requests_sent),
            ("requests_failed", self.requests_failed),
            ("in_flight_requests", self.in_flight_requests),
            ("failovers", self.failovers),
            ("queue_depth", self.queue_depth),
            ("breaker_opened", self.breaker_opened),
            ("breaker_half_opened", self.breaker_half_opened),
            ("breaker_closed", self.breaker_closed),
            ("rejected_circuit_open", self.rejected_circuit_open),
            ("conflated", self.conflated),
            ("spool_rows", self.spool_rows),
            ("spool_bytes", self.spool_bytes),
            ("spool_backlog", self.spool_backlog),
            ("spool_replayed", self.spool_replayed),
            ("spool_left_at_shutdown", self.spool_left_at_shutdown),
            ("spool_errors", self.spool_errors),
            ("resent", self.resent),
            ("split_batches", self.split_batches),
        ]
    }
}

impl StatsSnapshot {
    /// The names of [`counters`](Self::counters), in the same order: the one list every
    /// binding's stats are checked against.
    pub fn counter_names() -> Vec<&'static str> {
        StatsSnapshot::default()
            .counters()
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    /// The counter named `name` (one of [`counter_names`](Self::counter_names)), or `None`.
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.counters()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| *value)
    }

    /// Everything in the snapshot as one JSON object, for hosts that read stats by name (the C
    /// ABI, and through it Python and Go): a counter added to [`counters`](Self::counters)
    /// reaches them without an ABI change.
    ///
    /// `{"counters": {name: n, ..}, "latency_p50_us": n|null, "latency_p99_us": n|null,
    /// "last_error": "..."|null, "circuits": [{"endpoint": "..", "state": "closed"|"open"|
    /// "half_open"}]}`. Keys are only ever added: readers ignore the ones they do not know.
    pub fn to_json(&self) -> String {
        let counters: serde_json::Map<String, serde_json::Value> = self
            .counters()
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).into()))
            .collect();
        let circuits: Vec<serde_json::Value> = self
            .circuits
            .iter()
            .map(|c| serde_json::json!({"endpoint": c.endpoint, "state": c.state.as_str()}))
            .collect();
        serde_json::json!({
            "counters": counters,
            "latency_p50_us": self.latency_p50_us,
            "latency_p99_us": self.latency_p99_us,
            "last_error": self.last_error,
            "circuits": circuits,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_holds_every_counter_and_circuit() {
        let snapshot = StatsSnapshot {
            delivered: 7,
            latency_p50_us: Some(12),
            last_error: Some("boom \"quoted\"".into()),
            circuits: vec![crate::breaker::EndpointCircuit {
                endpoint: "http://a:1".into(),
                state: crate::breaker::CircuitState::HalfOpen,
            }],
            ..StatsSnapshot::default()
        };
        let json: serde_json::Value = serde_json::from_str(&snapshot.to_json()).unwrap();
        let names: Vec<&str> = json["counters"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, StatsSnapshot::counter_names());
        assert_eq!(json["counters"]["delivered"], 7);
        assert_eq!(json["latency_p50_us"], 12);
        assert!(json["latency_p99_us"].is_null());
        assert_eq!(json["last_error"], "boom \"quoted\"");
        assert_eq!(json["circuits"][0]["endpoint"], "http://a:1");
        assert_eq!(json["circuits"][0]["state"], "half_open");
        assert_eq!(snapshot.counter("delivered"), Some(7));
        assert_eq!(snapshot.counter("latency_p50_us"), None);
        let mut unique = StatsSnapshot::counter_names();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), StatsSnapshot::counter_names().len());
    }
}
