//! Delivery against a real sockudo, checked by a real subscriber.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::time::Duration;

use pushcast_client::{Accepted, Client, ClientConfig};
use pushcast_core::{Error, Event};
use pushcast_testkit::{Sockudo, Subscriber, APP_KEY};

fn client(server: &Sockudo) -> Client {
    Client::new(ClientConfig::new(server.app(), server.url())).unwrap()
}

#[test]
fn ten_thousand_events_all_delivered_in_order_per_channel() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    let channels: Vec<String> = (0..20).map(|i| format!("orders.{i}")).collect();
    for c in &channels {
        sub.subscribe(&app, c);
    }
    let client = client(&server);
    const N: usize = 10_000;
    for i in 0..N {
        let channel = &channels[i % channels.len()];
        let data = format!(r#"{{"seq":{i}}}"#);
        assert_eq!(
            client
                .publish(Event::new([channel.as_str()], "Seq", data))
                .unwrap(),
            Accepted::Queued
        );
    }
    let report = client.flush(Duration::from_secs(60));
    assert_eq!(report.pending, 0, "{report:?}");
    assert_eq!(sub.wait_for(N, Duration::from_secs(30)), N);

    let mut last: HashMap<String, i64> = HashMap::new();
    for e in sub.events() {
        let seq = serde_json::from_str::<serde_json::Value>(&e.data).unwrap()["seq"]
            .as_i64()
            .unwrap();
        let previous = last.insert(e.channel.clone(), seq).unwrap_or(-1);
        assert!(seq > previous, "{}: {seq} after {previous}", e.channel);
        assert_eq!(
            seq as usize % channels.len(),
            channels.iter().position(|c| *c == e.channel).unwrap()
        );
    }
    let stats = client.stats();
    assert_eq!(
        (stats.enqueued, stats.delivered, stats.failed),
        (N as u64, N as u64, 0)
    );
    // Batching happened: far fewer requests than events.
    assert!(stats.requests_sent < N as u64 / 5, "{stats:?}");
    assert!(stats.latency_p50_us.is_some());
}

#[test]
fn socket_id_exclusion_skips_only_that_connection() {
    let server = Sockudo::start();
    let app = server.app();
    let (a, b) = (
        Subscriber::connect(server.port, APP_KEY),
        Subscriber::connect(server.port, APP_KEY),
    );
    a.subscribe(&app, "private-room.1");
    b.subscribe(&app, "private-room.1");
    let client = client(&server);
    client
        .publish(Event::new(["private-room.1"], "ToOthers", "{}").excluding(a.socket_id()))
        .unwrap();
    client
        .publish(Event::new(["private-room.1"], "ToAll", "{}"))
        .unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
    assert_eq!(b.wait_for(2, Duration::from_secs(5)), 2);
    // ToAll reaching `a` proves the earlier event had its chance to arrive too.
    assert_eq!(a.wait_for(1, Duration::from_secs(5)), 1);
    let names: Vec<String> = a.events().into_iter().map(|e| e.event).collect();
    assert_eq!(names, ["ToAll"]);
}

#[test]
fn confirmed_publish_returns_the_servers_answer() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "orders.7");
    let client = client(&server);
    let confirmed = client
        .publish_confirmed(
            Event::new(["orders.7"], "Shipped", r#"{"id":7}"#).with_info("subscription_count"),
            Duration::from_secs(10),
        )
        .unwrap();
    assert_eq!(confirmed.channels["orders.7"].subscription_count, Some(1));
    assert_eq!(sub.wait_for(1, Duration::from_secs(5)), 1);

    // A server refusal comes back typed, with the status.
    let mut wrong = server.app();
    wrong = pushcast_core::App::new(
        pushcast_core::Credentials::new("12345", APP_KEY, "wrong-secret").unwrap(),
    )
    .with_profile(wrong.profile().clone());
    let bad = Client::new(ClientConfig::new(wrong, server.url())).unwrap();
    let err = bad
        .publish_confirmed(
            Event::new(["orders.7"], "Shipped", "{}"),
            Duration::from_secs(10),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 401, .. }), "{err:?}");
    let failures = bad.drain_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].channel, "orders.7");
    assert_eq!(bad.stats().failed, 1);
}

#[test]
fn bad_input_is_refused_before_the_network() {
    let server = Sockudo::start();
    let client = client(&server);
    assert!(matches!(
        client.publish(Event::new(["bad channel"], "e", "{}")),
        Err(Error::InvalidChannelName { .. })
    ));
    assert!(matches!(
        client.publish(Event::new(["c"], "e", "x".repeat(200 * 1024))),
        Err(Error::PayloadTooLarge { .. })
    ));
    // Nothing was queued, nothing was sent.
    let stats = client.stats();
    assert_eq!((stats.enqueued, stats.requests_sent), (0, 0));
}

#[test]
fn queries_and_send_to_user() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.join_presence(
        &app,
        "presence-chat.1",
        "42",
        &serde_json::json!({"name": "Ada"}),
    );
    let client = client(&server);
    assert_eq!(client.presence_users("presence-chat.1").unwrap(), ["42"]);
    let info = client
        .channel_info("presence-chat.1", Some("user_count"))
        .unwrap();
    assert_eq!(info.user_count, Some(1));
    let channels = client.channels(Some("presence-"), None).unwrap();
    assert!(
        channels.channels.contains_key("presence-chat.1"),
        "{channels:?}"
    );
    client.send_to_user("42", "Hello", "{}").unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
    assert_eq!(client.stats().delivered, 1);
    client.terminate_user_connections("42").unwrap();
}

#[test]
fn a_dead_endpoint_fails_over_to_a_live_one() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "failover");
    let dead = format!("http://127.0.0.1:{}", pushcast_testkit::free_port());
    let mut config = ClientConfig::new(app, dead);
    config.endpoints.push(server.url());
    config.retry_base = Duration::from_millis(5);
    // One lane: it starts on the first endpoint, the dead one (lanes spread over endpoints).
    config.max_in_flight = 1;
    let client = Client::new(config).unwrap();
    for i in 0..200 {
        client
            .publish(Event::new(
                ["failover"],
                "Tick",
                format!(r#"{{"seq":{i}}}"#),
            ))
            .unwrap();
    }
    assert_eq!(client.flush(Duration::from_secs(20)).pending, 0);
    assert_eq!(sub.wait_for(200, Duration::from_secs(5)), 200);
    let s = client.stats();
    assert_eq!((s.delivered, s.failed), (200, 0));
    assert!(s.failovers >= 1, "{s:?}");
}

/// Reported: `max_events_per_batch = SIZE_MAX` overflowed the dispatcher's arithmetic (debug
/// build): the engine thread died, publish still said OK, nothing was delivered. Every limit
/// and timeout at its largest value must work.
#[test]
fn the_largest_limits_and_timeouts_do_not_break_the_engine() {
    let server = Sockudo::start();
    let profile = pushcast_testkit::measure::with_largest_limits(server.app().profile().clone());
    let mut config = ClientConfig::new(server.app().with_profile(profile), server.url());
    config.queue_capacity = usize::MAX;
    config.delivery_timeout = Duration::MAX;
    config.request_timeout = Duration::MAX;
    config.connect_timeout = Duration::MAX;
    config.shutdown_timeout = Duration::MAX;
    let client = Client::new(config).unwrap();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&server.app(), "huge");
    for i in 0..50 {
        client
            .publish(Event::new(["huge"], "e", format!("{i}")))
            .unwrap();
    }
    client
        .publish_confirmed(Event::new(["huge"], "last", "{}"), Duration::MAX)
        .unwrap();
    assert_eq!(client.flush(Duration::MAX).pending, 0);
    assert_eq!(sub.wait_for(51, Duration::from_secs(5)), 51);
    let stats = client.shutdown(Duration::from_secs(5)).stats;
    assert_eq!((stats.delivered, stats.failed), (51, 0), "{stats:?}");
}
