//! Backpressure, deadlines and outages. A stalled socket comes from the fault proxy (a real
//! server cannot stall on demand); outages are a real sockudo killed and restarted.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use pushcast_client::{Accepted, Backpressure, Client, ClientConfig, StatsSnapshot};
use pushcast_core::{Error, Event};
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, Subscriber, APP_KEY};

/// A client whose only endpoint stalls: capacity 4, one request in flight.
fn stalled(server: &Sockudo, policy: Backpressure) -> (FaultProxy, Client) {
    let proxy = FaultProxy::start(server.port, ProxyMode::Stall);
    let mut config = ClientConfig::new(server.app(), proxy.url());
    config.queue_capacity = 4;
    config.max_in_flight = 1;
    config.backpressure = policy;
    config.request_timeout = Duration::from_secs(30);
    config.delivery_timeout = Duration::from_secs(60);
    (proxy, Client::new(config).unwrap())
}

fn event(i: usize) -> Event {
    Event::new(["orders"], format!("e{i}"), format!(r#"{{"seq":{i}}}"#))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// enqueued = delivered + failed + dropped_oldest + abandoned: nothing unaccounted.
fn assert_accounted(s: &StatsSnapshot) {
    assert_eq!(s.queue_depth, 0, "{s:?}");
    assert_eq!(
        s.enqueued,
        s.delivered + s.failed + s.dropped_oldest + s.abandoned_at_shutdown,
        "{s:?}"
    );
}

#[test]
fn fail_fast_refuses_when_full_and_shutdown_reports_the_rest() {
    let server = Sockudo::start();
    let (_proxy, client) = stalled(&server, Backpressure::FailFast);
    for i in 0..4 {
        assert_eq!(client.publish(event(i)).unwrap(), Accepted::Queued);
    }
    assert_eq!(
        client.publish(event(4)).unwrap_err(),
        Error::QueueFull { capacity: 4 }
    );
    assert_eq!(client.stats().rejected_queue_full, 1);

    let flushed = client.flush(Duration::from_millis(300));
    assert_eq!(flushed.pending, 4);
    let report = client.shutdown(Duration::from_millis(100));
    assert_eq!(report.pending, 4);
    assert_eq!(report.stats.abandoned_at_shutdown, 4);
    assert_accounted(&report.stats);
    let failures = client.drain_failures();
    // The engine is gone after shutdown: its log went with the report.
    assert!(failures.is_empty());
    assert_eq!(
        report.stats.last_error.as_deref(),
        Some(Error::ShutDown.to_string().as_str())
    );
}

#[test]
fn drop_newest_counts_and_logs_the_dropped_event() {
    let server = Sockudo::start();
    let (_proxy, client) = stalled(&server, Backpressure::DropNewest);
    for i in 0..4 {
        client.publish(event(i)).unwrap();
    }
    assert_eq!(client.publish(event(4)).unwrap(), Accepted::Dropped);
    let stats = client.stats();
    assert_eq!((stats.enqueued, stats.dropped_newest), (4, 1));
    let failures = client.drain_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].event, "e4");
    assert_eq!(failures[0].error, Error::QueueFull { capacity: 4 });
    assert_accounted(&client.shutdown(Duration::from_millis(50)).stats);
}

#[test]
fn drop_oldest_drops_the_oldest_waiting_event_never_one_in_flight() {
    let server = Sockudo::start();
    let (_proxy, client) = stalled(&server, Backpressure::DropOldest);
    client.publish(event(0)).unwrap();
    wait_until("e0 in flight", || client.stats().in_flight_requests == 1);
    for i in 1..5 {
        assert_eq!(client.publish(event(i)).unwrap(), Accepted::Queued);
    }
    wait_until("one drop", || client.stats().dropped_oldest == 1);
    let failures = client.drain_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].event, "e1",
        "e0 is in flight, e1 is the oldest waiting"
    );
    // Accepted, then displaced: not logged as "not accepted" (the queue-full error).
    assert_eq!(
        failures[0].error,
        Error::DroppedForNewer { capacity: 4 },
        "{}",
        failures[0].error
    );
    let report = client.shutdown(Duration::from_millis(50));
    assert_eq!(report.stats.enqueued, 5);
    assert_eq!(report.stats.abandoned_at_shutdown, 4);
    assert_accounted(&report.stats);
}

#[test]
fn block_waits_until_its_deadline_then_fails() {
    let server = Sockudo::start();
    let (_proxy, client) = stalled(
        &server,
        Backpressure::Block {
            timeout: Duration::from_millis(300),
        },
    );
    for i in 0..4 {
        client.publish(event(i)).unwrap();
    }
    let started = Instant::now();
    assert_eq!(
        client.publish(event(4)).unwrap_err(),
        Error::QueueFull { capacity: 4 }
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "did not wait"
    );
    assert_eq!(client.stats().rejected_queue_full, 1);
    assert_accounted(&client.shutdown(Duration::from_millis(50)).stats);
}

#[test]
fn blocked_publisher_proceeds_when_the_stall_clears_and_everything_arrives() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "orders");
    let proxy = FaultProxy::start(server.port, ProxyMode::Stall);
    let mut config = ClientConfig::new(app, proxy.url());
    config.queue_capacity = 4;
    config.max_in_flight = 1;
    config.backpressure = Backpressure::Block {
        timeout: Duration::from_secs(20),
    };
    config.request_timeout = Duration::from_millis(500); // the stalled try times out, then retries
    config.retry_base = Duration::from_millis(20);
    let client = Client::new(config).unwrap();
    for i in 0..4 {
        client.publish(event(i)).unwrap();
    }
    std::thread::scope(|s| {
        let blocked = s.spawn(|| client.publish(event(4)));
        std::thread::sleep(Duration::from_millis(200));
        proxy.set_mode(ProxyMode::Forward);
        assert_eq!(blocked.join().unwrap().unwrap(), Accepted::Queued);
    });
    assert_eq!(client.flush(Duration::from_secs(20)).pending, 0);
    assert_eq!(sub.wait_for(5, Duration::from_secs(5)), 5);
    let s = client.stats();
    assert_eq!((s.delivered, s.failed), (5, 0));
    assert!(s.retried >= 1, "{s:?}");
}

#[test]
fn confirmed_publish_times_out_with_a_typed_error() {
    let server = Sockudo::start();
    let (_proxy, client) = stalled(&server, Backpressure::FailFast);
    let err = client
        .publish_confirmed(event(0), Duration::from_millis(200))
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_accounted(&client.shutdown(Duration::from_millis(50)).stats);
}

#[test]
fn server_killed_and_restarted_mid_stream_loses_nothing() {
    let mut server = Sockudo::start();
    let app = server.app();
    // The gate holds the publisher off while the restarted server's subscriber reconnects;
    // the outage itself is a real SIGKILL.
    let gate = FaultProxy::start(server.port, ProxyMode::Forward);
    let mut config = ClientConfig::new(app.clone(), gate.url());
    config.retry_base = Duration::from_millis(20);
    config.retry_max = Duration::from_millis(200);
    let client = Client::new(config).unwrap();
    let first = Subscriber::connect(server.port, APP_KEY);
    first.subscribe(&app, "stream");

    const N: usize = 3_000;
    let pace = Duration::from_micros(500); // 2,000 events/s
    let start = Instant::now();
    let mut second = None;
    for i in 0..N {
        if i == N / 3 {
            // sockudo answers a publish before its websocket writes reach the subscriber, and a
            // SIGKILL resets the subscriber's connection, dropping what was still on its way:
            // the server's loss, which no publisher can see (it already has its 200). So the
            // kill comes once the subscriber has caught up; from then on, every event published
            // (through the outage, retried) must arrive.
            assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
            let acknowledged = client.stats().delivered as usize;
            assert_eq!(
                first.wait_for(acknowledged, Duration::from_secs(10)),
                acknowledged
            );
            server.kill();
            gate.set_mode(ProxyMode::Refuse);
        }
        if i == N / 2 {
            server.restart();
            let sub = Subscriber::connect(server.port, APP_KEY);
            sub.subscribe(&app, "stream");
            second = Some(sub);
            gate.set_mode(ProxyMode::Forward);
        }
        client
            .publish(Event::new(["stream"], "Tick", format!(r#"{{"seq":{i}}}"#)))
            .unwrap();
        let due = start + pace * (i as u32 + 1);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let report = client.flush(Duration::from_secs(30));
    assert_eq!(report.pending, 0, "{report:?}");
    let second = second.unwrap();
    // Everything from the kill on reaches the second subscriber (the outage's events too,
    // once a probe closes the circuit breaker).
    second.wait_for(N - N / 3, Duration::from_secs(10));
    let mut seen = HashSet::new();
    let mut received = 0;
    for e in first.events().into_iter().chain(second.events()) {
        let seq = serde_json::from_str::<serde_json::Value>(&e.data).unwrap()["seq"]
            .as_u64()
            .unwrap();
        seen.insert(seq);
        received += 1;
    }
    let s = client.stats();
    println!(
        "restart: received={received} distinct={} duplicates={} retried={} stats={s:?}",
        seen.len(),
        received - seen.len(),
        s.retried
    );
    assert_eq!(seen.len(), N, "lost {} events", N - seen.len());
    assert_eq!((s.delivered, s.failed), (N as u64, 0));
    assert!(
        s.retried > 0 && s.requests_failed > 0,
        "the outage was not seen: {s:?}"
    );
}

#[test]
fn a_503_and_429_storm_is_retried_after_retry_after_and_nothing_is_lost() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "storm");
    let proxy = FaultProxy::start(server.port, ProxyMode::Status(503));
    let mut config = ClientConfig::new(app, proxy.url());
    config.retry_base = Duration::from_millis(10);
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    for i in 0..100 {
        client
            .publish(Event::new(["storm"], "Tick", format!(r#"{{"seq":{i}}}"#)))
            .unwrap();
    }
    wait_until("503s", || client.stats().requests_failed >= 1);
    proxy.set_mode(ProxyMode::Status(429));
    let before = client.stats().requests_failed;
    wait_until("429s", || client.stats().requests_failed > before);
    proxy.set_mode(ProxyMode::Forward);
    assert_eq!(client.flush(Duration::from_secs(20)).pending, 0);
    assert_eq!(sub.wait_for(100, Duration::from_secs(5)), 100);
    let s = client.stats();
    assert_eq!((s.delivered, s.failed), (100, 0), "{s:?}");
    assert!(s.retried > 0);
    // Retry-After: 1 was honoured at least twice (a 10 ms backoff alone would be far quicker).
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        s.last_error.unwrap().contains("429"),
        "the storm's last answer is reported"
    );
}

#[test]
fn other_4xx_answers_fail_at_once_without_retry() {
    let server = Sockudo::start();
    let proxy = FaultProxy::start(server.port, ProxyMode::Status(413));
    let client = Client::new(ClientConfig::new(server.app(), proxy.url())).unwrap();
    let err = client
        .publish_confirmed(event(0), Duration::from_secs(10))
        .unwrap_err();
    assert!(
        matches!(err, Error::Api { status: 413, ref message } if message == "storm"),
        "{err:?}"
    );
    let s = client.stats();
    assert_eq!((s.failed, s.retried, s.requests_sent), (1, 0, 1));
}

/// An event that reaches its deadline while waiting behind a batch that retried (it never had
/// a try of its own) fails with the reason the lane could not deliver, not a bare timeout.
/// Seen in the fault suite's dns-failure scenario, depending on how events were batched.
#[test]
fn events_that_never_had_a_try_fail_with_the_lanes_error() {
    let server = Sockudo::start();
    let proxy = FaultProxy::start(server.port, ProxyMode::Refuse);
    let mut config = ClientConfig::new(server.app(), proxy.url());
    config.max_in_flight = 1; // one lane: the second event waits behind the first
    config.delivery_timeout = Duration::from_millis(800);
    config.retry_base = Duration::from_millis(20);
    let client = Client::new(config).unwrap();
    client.publish(event(0)).unwrap();
    proxy.wait_for_connections(1, Duration::from_secs(5));
    client.publish(event(1)).unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
    let failures = client.drain_failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    for f in &failures {
        assert!(
            matches!(f.error, Error::Transport { .. }),
            "{} failed with {:?}",
            f.event,
            f.error
        );
    }
}
