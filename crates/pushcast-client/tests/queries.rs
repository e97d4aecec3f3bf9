//! Queries (`channels`, `channel_info`, raw requests…) go through the same circuit breakers
//! and failover as publishes: an unreachable endpoint hands over to the next one (a counted
//! failover) and counts toward its circuit; once that circuit is open, queries skip it without
//! a connection attempt; with every circuit open a query fails at once with `CircuitOpen`.
//! Against a real sockudo; the unreachable endpoints are local ports nothing listens on.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use pushcast_client::{CircuitState, Client, ClientConfig};
use pushcast_core::{Error, Event};
use pushcast_testkit::Sockudo;

/// A local endpoint nothing listens on: a privileged port (1, 2, ...), which no test server
/// takes (they use ephemeral ports), so the connection is refused at once. (A port bound and
/// released could be taken meanwhile by a server another test starts.)
fn closed_port_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

fn client(app: pushcast_core::App, endpoints: &[String], threshold: u32) -> Client {
    let mut config = ClientConfig::new(app, endpoints[0].clone());
    config.endpoints.extend(endpoints[1..].iter().cloned());
    config.breaker_failure_threshold = threshold;
    // Long enough that an opened circuit stays open for the whole test.
    config.breaker_cooldown = Duration::from_secs(600);
    config.breaker_cooldown_max = Duration::from_secs(600);
    config.connect_timeout = Duration::from_secs(2);
    Client::new(config).unwrap()
}

#[test]
fn queries_fail_over_count_toward_the_breaker_and_skip_an_open_circuit() {
    let server = Sockudo::start();
    let dead = closed_port_url(1);
    let client = client(server.app(), &[dead, server.url()], 2);

    client.channels(None, None).unwrap();
    let s = client.stats();
    assert_eq!(s.failovers, 1, "the dead endpoint handed over: {s:?}");
    assert_eq!(s.circuits[0].state, CircuitState::Closed, "{s:?}");

    client.channel_info("status", None).unwrap();
    let s = client.stats();
    assert_eq!(s.failovers, 2, "{s:?}");
    assert_eq!(
        s.circuits[0].state,
        CircuitState::Open,
        "second failure: {s:?}"
    );
    assert_eq!(s.breaker_opened, 1, "{s:?}");
    assert_eq!(s.circuits[1].state, CircuitState::Closed, "{s:?}");

    for _ in 0..3 {
        client.channels(None, None).unwrap();
    }
    let s = client.stats();
    assert_eq!(
        s.failovers, 2,
        "an open circuit is skipped, not tried and failed over from: {s:?}"
    );
    assert_eq!(s.breaker_opened, 1, "{s:?}");

    // Publishes share the circuits: the lane starts on the dead endpoint, whose circuit the
    // queries opened, and moves to the live one without a failed request.
    client
        .publish(Event::new(["status"], "Tick", "{}"))
        .unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
    let s = client.stats();
    assert_eq!((s.delivered, s.requests_failed), (1, 0), "{s:?}");
}

#[test]
fn with_every_circuit_open_a_query_fails_at_once_with_circuit_open() {
    let server = Sockudo::start();
    let endpoints = [closed_port_url(1), closed_port_url(2)];
    let client = client(server.app(), &endpoints, 1);

    let first = client.channels(None, None).unwrap_err();
    assert!(
        matches!(first, Error::Transport { .. } | Error::Timeout { .. }),
        "the connection error of the last endpoint tried: {first:?}"
    );
    let s = client.stats();
    assert_eq!(s.failovers, 1, "{s:?}");
    assert!(
        s.circuits.iter().all(|c| c.state == CircuitState::Open),
        "{s:?}"
    );

    match client.presence_users("presence-room").unwrap_err() {
        Error::CircuitOpen {
            endpoint,
            retry_in_ms,
        } => {
            assert!(endpoints.contains(&endpoint), "{endpoint}");
            assert!(retry_in_ms > 500_000, "{retry_in_ms}");
        }
        other => panic!("expected CircuitOpen, got {other:?}"),
    }
    assert_eq!(client.stats().failovers, 1, "nothing was tried");
}
