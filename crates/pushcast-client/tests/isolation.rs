//! Failure isolation against a real sockudo and a real subscriber: a batch the server refuses
//! at one event delivers the others, fails only that one with the server's message, and counts
//! every event it may have repeated. The refusal comes from the test kit's fault proxy (a real
//! server can't refuse one chosen event on demand); the events it lets through, and those it
//! dispatches before refusing, go to the real server.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::time::Duration;

use pushcast_client::{Client, ClientConfig};
use pushcast_core::{Error, Event};
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, Subscriber, APP_KEY};

const CHANNEL: &str = "isolation";
const GOOD: [&str; 8] = ["E0", "E1", "E2", "E3", "E5", "E6", "E7", "E8"];

/// Publishes `E0..E3, Bad, E5..E8` so that they reach the server in ONE batch: a lead event
/// keeps the channel's lane busy (the proxy accepts its connections and closes them unanswered)
/// while the nine pile up behind it, then the proxy switches to `refusal` and the lead goes
/// through. Returns how many of the lead's tries were closed unanswered: each makes its next
/// send a counted resend (a server might have acted on a request it never answered).
fn publish_one_batch_through(proxy: &FaultProxy, client: &Client, refusal: ProxyMode) -> u64 {
    proxy.set_mode(ProxyMode::Refuse);
    client.publish(Event::new([CHANNEL], "Lead", "{}")).unwrap();
    proxy.wait_for_connections(1, Duration::from_secs(10));
    let nine: Vec<Event> = ["E0", "E1", "E2", "E3", "Bad", "E5", "E6", "E7", "E8"]
        .iter()
        .map(|name| Event::new([CHANNEL], *name, format!("{{\"n\":\"{name}\"}}")))
        .collect();
    client.publish_batch(nine).unwrap();
    proxy.set_mode(refusal);
    assert_eq!(client.flush(Duration::from_secs(20)).pending, 0);
    proxy.connections_in(ProxyMode::Refuse) as u64
}

fn setup() -> (Sockudo, FaultProxy, Subscriber, Client) {
    let server = Sockudo::start();
    let proxy = FaultProxy::start(server.port, ProxyMode::Forward);
    let subscriber = Subscriber::connect(server.port, APP_KEY);
    subscriber.subscribe(&server.app(), CHANNEL);
    let mut config = ClientConfig::new(server.app(), proxy.url());
    config.retry_base = Duration::from_millis(10);
    let client = Client::new(config).unwrap();
    (server, proxy, subscriber, client)
}

/// How many times each event name reached the subscriber, once `expected` copies arrived (or
/// after a grace period, so that a missing or an extra copy shows).
fn received(subscriber: &Subscriber, expected: usize) -> HashMap<String, usize> {
    subscriber.wait_for(expected, Duration::from_secs(10));
    // Anything beyond what is expected would arrive within this.
    std::thread::sleep(Duration::from_millis(300));
    let mut seen = HashMap::new();
    for event in subscriber.events() {
        *seen.entry(event.event).or_insert(0) += 1;
    }
    seen
}

fn the_failure_is_bad_alone_with_the_servers_message(client: &Client, status: u16) {
    let failures = client.drain_failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].event, "Bad");
    match &failures[0].error {
        Error::Api { status: s, message } => {
            assert_eq!(*s, status);
            assert_eq!(message, "refused event Bad");
        }
        other => panic!("not the server's answer: {other:?}"),
    }
}

#[test]
fn a_batch_whose_middle_event_is_refused_delivers_the_others_once() {
    let (_server, proxy, subscriber, client) = setup();
    let lead_resends = publish_one_batch_through(
        &proxy,
        &client,
        ProxyMode::RefuseEvent {
            name: "Bad",
            status: 422,
            dispatch_before: false,
        },
    );
    let seen = received(&subscriber, 1 + GOOD.len());
    for name in GOOD.iter().chain(&["Lead"]) {
        assert_eq!(seen.get(*name), Some(&1), "{name}: {seen:?}");
    }
    assert_eq!(seen.get("Bad"), None);
    the_failure_is_bad_alone_with_the_servers_message(&client, 422);
    let stats = client.stats();
    assert_eq!((stats.delivered, stats.failed), (9, 1), "{stats:?}");
    // A 4xx says the server did nothing: splitting repeats nothing. Only the lead's tries
    // after unanswered ones count.
    assert!(lead_resends >= 1);
    assert_eq!(stats.resent, lead_resends, "{stats:?}");
    // Halves: [E0..E3 Bad] [E5..E8], then [E0 E1 E2] [E3 Bad], then [E3] [Bad].
    assert_eq!(stats.split_batches, 3, "{stats:?}");
}

#[test]
fn a_server_error_after_dispatching_part_of_a_batch_repeats_only_that_part_and_counts_it() {
    let (_server, proxy, subscriber, client) = setup();
    let lead_resends = publish_one_batch_through(
        &proxy,
        &client,
        ProxyMode::RefuseEvent {
            name: "Bad",
            status: 500,
            dispatch_before: true,
        },
    );
    // E0..E3 were dispatched by the server before it failed, then resent once each as single
    // events: twice at the subscriber. E5..E8 once, Bad never.
    let seen = received(&subscriber, 1 + GOOD.len() + 4);
    for name in ["E0", "E1", "E2", "E3"] {
        assert_eq!(seen.get(name), Some(&2), "{name}: {seen:?}");
    }
    for name in ["E5", "E6", "E7", "E8", "Lead"] {
        assert_eq!(seen.get(name), Some(&1), "{name}: {seen:?}");
    }
    assert_eq!(seen.get("Bad"), None);
    the_failure_is_bad_alone_with_the_servers_message(&client, 500);
    let stats = client.stats();
    assert_eq!((stats.delivered, stats.failed), (9, 1), "{stats:?}");
    assert_eq!(stats.split_batches, 1, "{stats:?}");
    // Every event sent again after the 500 is counted, the 4 that really arrived twice among
    // them: the 8 others once each as single events, and Bad on each of its 3 tries alone
    // (and the lead's tries after unanswered ones).
    let duplicates: usize = seen.values().map(|n| n.saturating_sub(1)).sum();
    assert_eq!(duplicates, 4);
    assert_eq!(stats.resent, lead_resends + 8 + 3, "{stats:?}");
}
