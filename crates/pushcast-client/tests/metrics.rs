//! `Client::metrics()` read back by a real Prometheus text parser (the `prometheus-parse`
//! crate): names, types and values against `stats()`, after deliveries to a real sockudo.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::time::Duration;

use prometheus_parse::{Scrape, Value};
use pushcast_client::{Backpressure, Client, ClientConfig};
use pushcast_core::Event;
use pushcast_testkit::Sockudo;

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

#[test]
fn metrics_parse_and_match_the_stats() {
    let server = Sockudo::start();
    let mut config = ClientConfig::new(server.app(), server.url());
    config.queue_capacity = 50;
    config.backpressure = Backpressure::DropNewest;
    let client = Client::new(config).unwrap();

    // Before the first publish: zeros, every endpoint closed.
    let scrape = parse(&client.metrics());
    assert!(scrape
        .samples
        .iter()
        .any(|s| s.metric == "pushcast_enqueued_total"
            && matches!(s.value, Value::Counter(v) if v == 0.0)));

    for i in 0..200 {
        client
            .publish(Event::new(["m"], "E", format!(r#"{{"i":{i}}}"#)))
            .unwrap();
    }
    assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
    let stats = client.stats();
    assert!(stats.delivered > 0 && stats.dropped_newest > 0, "{stats:?}");
    let text = client.metrics();
    let scrape = parse(&text);

    let mut plain: HashMap<&str, &Value> = HashMap::new();
    for s in &scrape.samples {
        if s.labels.is_empty() || matches!(s.value, Value::Histogram(_)) {
            plain.insert(s.metric.as_str(), &s.value);
        }
    }
    for (name, value) in stats.counters() {
        let gauge = matches!(
            name,
            "queue_depth" | "in_flight_requests" | "spool_rows" | "spool_bytes" | "spool_backlog"
        );
        let metric = if gauge {
            format!("pushcast_{name}")
        } else {
            format!("pushcast_{name}_total")
        };
        let parsed = plain
            .get(metric.as_str())
            .unwrap_or_else(|| panic!("{metric} missing in:\n{text}"));
        match (gauge, parsed) {
            (true, Value::Gauge(v)) | (false, Value::Counter(v)) => {
                assert_eq!(*v, value as f64, "{metric}")
            }
            other => panic!("{metric} has the wrong type: {other:?}"),
        }
        assert!(scrape.docs.contains_key(&metric), "{metric} has no HELP");
    }

    // The latency histogram: cumulative, +Inf = count = delivered.
    let Some(Value::Histogram(buckets)) = plain.get("pushcast_publish_latency_seconds") else {
        panic!("no latency histogram in:\n{text}");
    };
    assert!(buckets.len() > 10);
    assert!(buckets
        .windows(2)
        .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count));
    let inf = buckets.last().unwrap();
    assert!(inf.less_than.is_infinite());
    assert_eq!(inf.count, stats.delivered as f64);
    let count = scrape
        .samples
        .iter()
        .find(|s| s.metric == "pushcast_publish_latency_seconds_count")
        .unwrap();
    assert!(
        matches!(count.value, Value::Untyped(v) | Value::Counter(v) if v == stats.delivered as f64)
    );
    let sum = scrape
        .samples
        .iter()
        .find(|s| s.metric == "pushcast_publish_latency_seconds_sum")
        .unwrap();
    assert!(matches!(sum.value, Value::Untyped(v) | Value::Counter(v) if v > 0.0));
    // The p99 the stats report lies within the histogram's bounds.
    let p99 = stats.latency_p99_us.unwrap() as f64 / 1e6;
    assert!(buckets.iter().any(|b| b.less_than >= p99 && b.count > 0.0));

    // Circuit state: one gauge per (endpoint, state), 1 for closed.
    let circuit: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "pushcast_circuit_state")
        .collect();
    assert_eq!(circuit.len(), 3);
    for s in circuit {
        assert_eq!(s.labels.get("endpoint"), Some(server.url().as_str()));
        let expected = if s.labels.get("state") == Some("closed") {
            1.0
        } else {
            0.0
        };
        assert!(matches!(s.value, Value::Gauge(v) if v == expected), "{s:?}");
    }
}
