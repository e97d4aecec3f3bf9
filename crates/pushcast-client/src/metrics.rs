//! The stats in the Prometheus text exposition format (version 0.0.4), for a scrape endpoint.
//!
//! Every counter of [`StatsSnapshot::counters`] becomes `pushcast_{name}_total` (a counter),
//! except the levels `queue_depth`, `in_flight_requests` and the `spool_rows`/`bytes`/`backlog`
//! gauges (no suffix); so a
//! counter added to the stats shows up here without a list of its own. The publish-to-ack
//! latency is a histogram `pushcast_publish_latency_seconds` whose bucket bounds are bounds of
//! the log-linear histogram itself (one per power of two), so every cumulative count is exact.
//! Each endpoint's circuit is `pushcast_circuit_state{endpoint, state}`: 1 for its current
//! state, 0 for the other two (the usual encoding of an enum as a gauge).

use std::fmt::Write;

use crate::breaker::{CircuitState, EndpointCircuit};
use crate::histogram::bucket_upper;
use crate::stats::StatsSnapshot;

/// Counters that are levels, not totals.
const GAUGES: [&str; 5] = [
    "queue_depth",
    "in_flight_requests",
    "spool_rows",
    "spool_bytes",
    "spool_backlog",
];

fn help(name: &str) -> &'static str {
    match name {
        "enqueued" => "Events accepted into the queue (one per channel).",
        "delivered" => "Events acknowledged by the server.",
        "failed" => "Events given up on (refused, or out of time or retries).",
        "retried" => "Events re-sent after a retryable failure (per event per retry).",
        "dropped_newest" => "Events not accepted because the queue was full (drop-newest).",
        "dropped_oldest" => "Events removed from a full queue (drop-oldest).",
        "rejected_queue_full" => "Events refused with a queue-full error.",
        "abandoned_at_shutdown" => "Events still undelivered when the client shut down.",
        "requests_sent" => "HTTP requests sent (each try counts).",
        "requests_failed" => "HTTP requests that failed (transport error or non-200).",
        "in_flight_requests" => "HTTP requests under way now.",
        "failovers" => "Switches of a lane to another endpoint.",
        "queue_depth" => "Events accepted and not yet resolved.",
        "breaker_opened" => "Circuits opened (after repeated failures or a failed probe).",
        "breaker_half_opened" => "Probe requests let through after a cool-down.",
        "breaker_closed" => "Circuits closed by a successful probe.",
        "rejected_circuit_open" => "Events refused because every circuit was open (fail-fast).",
        "conflated" => "Events replaced in the queue by a later one with the same key.",
        "spool_rows" => "Events in the durable spool now.",
        "spool_bytes" => "Bytes of the events in the durable spool now.",
        "spool_backlog" => "Events waiting on disk, not yet loaded into memory.",
        "spool_replayed" => "Events taken over from the spools of processes that died.",
        "spool_left_at_shutdown" => "Events left in the spool at shutdown for the next process.",
        "spool_errors" => "Spool operations that failed in the background.",
        "resent" => "Events sent again after a try the server may have acted on (5xx, no answer).",
        "split_batches" => {
            "Batches split after the server refused them, to isolate refused events."
        }
        _ => "A pushcast client statistic (see StatsSnapshot).",
    }
}

/// Label values escaped as the format requires: backslash, double quote, newline.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders `stats`, the latency histogram's raw buckets and sum (µs), and the circuits.
pub(crate) fn render(
    stats: &StatsSnapshot,
    latency: &(Vec<u64>, u64),
    circuits: &[EndpointCircuit],
) -> String {
    let mut out = String::with_capacity(4096);
    for (name, value) in stats.counters() {
        let (metric, kind) = if GAUGES.contains(&name) {
            (format!("pushcast_{name}"), "gauge")
        } else {
            (format!("pushcast_{name}_total"), "counter")
        };
        let _ = writeln!(out, "# HELP {metric} {}", help(name));
        let _ = writeln!(out, "# TYPE {metric} {kind}");
        let _ = writeln!(out, "{metric} {value}");
    }

    let (counts, sum_us) = latency;
    let metric = "pushcast_publish_latency_seconds";
    let _ = writeln!(
        out,
        "# HELP {metric} Time from publish to the server's acknowledgement."
    );
    let _ = writeln!(out, "# TYPE {metric} histogram");
    let mut cumulative = 0u64;
    let mut next = 0usize;
    // One bound per power of two from 63 µs to about 134 s: the last bucket of each group.
    for group in 3..=24usize {
        let last = group * 8 + 7;
        while next <= last && next < counts.len() {
            cumulative += counts[next];
            next += 1;
        }
        let le = bucket_upper(last) as f64 / 1e6;
        let _ = writeln!(out, "{metric}_bucket{{le=\"{le}\"}} {cumulative}");
    }
    let total: u64 = counts.iter().sum();
    let _ = writeln!(out, "{metric}_bucket{{le=\"+Inf\"}} {total}");
    let _ = writeln!(out, "{metric}_sum {}", *sum_us as f64 / 1e6);
    let _ = writeln!(out, "{metric}_count {total}");

    let metric = "pushcast_circuit_state";
    let _ = writeln!(
        out,
        "# HELP {metric} Circuit breaker state per endpoint: 1 for the current state."
    );
    let _ = writeln!(out, "# TYPE {metric} gauge");
    for circuit in circuits {
        for state in [
            CircuitState::Closed,
            CircuitState::Open,
            CircuitState::HalfOpen,
        ] {
            let _ = writeln!(
                out,
                "{metric}{{endpoint=\"{}\",state=\"{}\"}} {}",
                label(&circuit.endpoint),
                state.as_str(),
                u8::from(circuit.state == state)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_label_values() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn buckets_are_cumulative() {
        let mut counts = vec![0u64; 320];
        counts[0] = 2; // 0 µs
        counts[100] = 3; // far above 63 µs
        let text = render(&StatsSnapshot::default(), &(counts, 5), &[]);
        assert!(text.contains("pushcast_publish_latency_seconds_bucket{le=\"0.000063\"} 2\n"));
        assert!(text.contains("pushcast_publish_latency_seconds_bucket{le=\"+Inf\"} 5\n"));
        assert!(text.contains("pushcast_publish_latency_seconds_count 5\n"));
        assert!(text.contains("# TYPE pushcast_queue_depth gauge\n"));
        assert!(text.contains("# TYPE pushcast_enqueued_total counter\n"));
    }
}
