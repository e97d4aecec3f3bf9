//! The circuit breaker against a real sockudo that is killed and restarted: closed → open
//! after repeated connection failures → half-open probes that fail while the server is down
//! (no hot retry loop meanwhile) → closed once it is back; and the fail-fast policy's error
//! while every circuit is open.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use pushcast_client::{BreakerOpenPolicy, CircuitState, Client, ClientConfig, StatsSnapshot};
use pushcast_core::{Error, Event};
use pushcast_testkit::Sockudo;

fn client(server: &Sockudo, policy: BreakerOpenPolicy) -> Client {
    let mut config = ClientConfig::new(server.app(), server.url());
    config.max_in_flight = 1;
    config.retry_base = Duration::from_millis(10);
    config.retry_max = Duration::from_millis(40);
    config.delivery_timeout = Duration::from_secs(120);
    config.breaker_failure_threshold = 3;
    config.breaker_cooldown = Duration::from_millis(200);
    config.breaker_cooldown_max = Duration::from_millis(800);
    config.breaker_open_policy = policy;
    Client::new(config).unwrap()
}

fn event(i: usize) -> Event {
    Event::new(["status"], "Tick", format!(r#"{{"i":{i}}}"#))
}

fn wait_until(client: &Client, what: &str, done: impl Fn(&StatsSnapshot) -> bool) -> StatsSnapshot {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = client.stats();
        if done(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {s:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn state(s: &StatsSnapshot) -> CircuitState {
    assert_eq!(s.circuits.len(), 1, "{s:?}");
    s.circuits[0].state
}

fn assert_accounted(s: &StatsSnapshot) {
    assert_eq!(
        s.enqueued,
        s.delivered
            + s.failed
            + s.dropped_oldest
            + s.abandoned_at_shutdown
            + s.conflated
            + s.queue_depth,
        "{s:?}"
    );
}

#[test]
fn opens_probes_while_down_and_closes_after_restart() {
    let mut server = Sockudo::start();
    let queued = client(&server, BreakerOpenPolicy::Queue);
    let fail_fast = client(&server, BreakerOpenPolicy::FailFast);

    // Closed: delivery as usual.
    queued.publish(event(0)).unwrap();
    fail_fast.publish(event(100)).unwrap();
    assert_eq!(queued.flush(Duration::from_secs(10)).pending, 0);
    assert_eq!(fail_fast.flush(Duration::from_secs(10)).pending, 0);
    let s = queued.stats();
    assert_eq!(state(&s), CircuitState::Closed);
    assert_eq!(
        (
            s.delivered,
            s.breaker_opened,
            s.breaker_half_opened,
            s.breaker_closed
        ),
        (1, 0, 0, 0)
    );

    // Down: three failed attempts open the circuit.
    server.kill();
    queued.publish(event(1)).unwrap();
    fail_fast.publish(event(101)).unwrap();
    let s = wait_until(&queued, "the circuit to open", |s| s.breaker_opened >= 1);
    assert_ne!(state(&s), CircuitState::Closed, "{s:?}");
    assert_eq!((s.delivered, s.breaker_closed), (1, 0), "{s:?}");
    assert!(s.requests_failed >= 3, "{s:?}");

    // Fail-fast while every circuit is open: a typed error, counted, nothing queued.
    wait_until(&fail_fast, "the fail-fast client's circuit to open", |s| {
        s.breaker_opened >= 1
    });
    let error = fail_fast.publish(event(102)).unwrap_err();
    match &error {
        Error::CircuitOpen { endpoint, .. } => assert_eq!(*endpoint, server.url()),
        other => panic!("expected CircuitOpen, got {other:?}"),
    }
    assert_eq!(error.kind(), pushcast_core::ErrorKind::CircuitOpen);
    let s = fail_fast.stats();
    assert_eq!((s.rejected_circuit_open, s.enqueued), (1, 2), "{s:?}");
    assert_accounted(&s);

    // Still down: each cool-down lets one probe through, it fails and re-opens the circuit.
    let s = wait_until(&queued, "two failed probes", |s| {
        s.breaker_half_opened >= 2 && s.breaker_opened >= 3
    });
    assert_eq!(
        (s.delivered, s.breaker_closed, s.queue_depth),
        (1, 0, 1),
        "{s:?}"
    );
    // No hot loop: after the threshold's three failures, every request was a probe (one
    // may be under way, not yet counted as failed).
    let probes = s.breaker_half_opened;
    assert!(
        (3 + probes - 1..=3 + probes).contains(&s.requests_failed),
        "requests_failed {} with {probes} probes: {s:?}",
        s.requests_failed
    );
    assert!(
        (3 + probes..=4 + probes).contains(&s.requests_sent),
        "requests_sent {} with {probes} probes: {s:?}",
        s.requests_sent
    );
    assert_accounted(&s);

    // Back up: the next probe succeeds, the circuit closes, the waiting event is delivered.
    server.restart();
    let s = wait_until(&queued, "the circuit to close", |s| {
        s.breaker_closed == 1 && s.delivered == 2
    });
    assert_eq!(state(&s), CircuitState::Closed);
    assert_eq!((s.failed, s.queue_depth), (0, 0), "{s:?}");
    assert_accounted(&s);

    let s = wait_until(&fail_fast, "the fail-fast client's circuit to close", |s| {
        s.breaker_closed == 1 && s.delivered == 2
    });
    assert_eq!(state(&s), CircuitState::Closed);
    fail_fast.publish(event(103)).unwrap();
    assert_eq!(fail_fast.flush(Duration::from_secs(10)).pending, 0);
    let s = fail_fast.stats();
    assert_eq!((s.delivered, s.rejected_circuit_open, s.failed), (3, 1, 0));
    assert_accounted(&s);
}
