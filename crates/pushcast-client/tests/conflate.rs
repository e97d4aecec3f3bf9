//! Conflation against a real sockudo: while the only request in flight is stalled (by the
//! fault proxy: a real server cannot stall on demand), 999 more updates of the same key pile
//! up and collapse to the latest; after the release exactly the expected events arrive at a
//! real subscriber, the latest value last, and every replaced event is counted as conflated.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use pushcast_client::{Client, ClientConfig, ConflateRule};
use pushcast_core::Event;
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, Subscriber, APP_KEY};

fn update(room: u32, value: usize) -> Event {
    Event::new(
        ["rooms"],
        "RoomsUpdated",
        format!(r#"{{"room":{room},"value":{value}}}"#),
    )
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_thousand_updates_of_one_key_collapse_to_the_latest() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "rooms");
    let proxy = FaultProxy::start(server.port, ProxyMode::Stall);
    let mut config = ClientConfig::new(app, proxy.url());
    config.max_in_flight = 1;
    // The stalled request gives up after this and is retried through the released proxy.
    config.request_timeout = Duration::from_secs(2);
    config.delivery_timeout = Duration::from_secs(60);
    config.conflate = vec![ConflateRule {
        event: Some("Rooms*".into()),
        channel: Some("room?".into()),
        key: Some("room".into()),
        window: Duration::from_secs(60),
    }];
    let client = Client::new(config).unwrap();

    // The first update goes out at once and stalls in flight: it is never conflated.
    client.publish(update(1, 0)).unwrap();
    wait_until("the first request to be in flight", || {
        client.stats().in_flight_requests == 1
    });
    // 999 more of room 1 wait behind it and collapse; room 2's one update is its own key.
    for value in 1..1000 {
        client.publish(update(1, value)).unwrap();
        if value == 500 {
            client.publish(update(2, 7)).unwrap();
        }
    }
    wait_until("the updates to be conflated", || {
        client.stats().conflated == 998
    });
    let s = client.stats();
    assert_eq!(
        (s.enqueued, s.queue_depth, s.delivered),
        (1001, 3, 0),
        "{s:?}"
    );

    proxy.set_mode(ProxyMode::Forward);
    assert_eq!(client.flush(Duration::from_secs(30)).pending, 0);
    let s = client.stats();
    assert_eq!(
        (
            s.enqueued,
            s.delivered,
            s.conflated,
            s.failed,
            s.dropped_oldest
        ),
        (1001, 3, 998, 0, 0),
        "{s:?}"
    );
    assert_eq!(
        s.enqueued,
        s.delivered + s.failed + s.dropped_oldest + s.abandoned_at_shutdown + s.conflated,
    );

    assert_eq!(sub.wait_for(3, Duration::from_secs(10)), 3);
    let seen: Vec<(u64, u64)> = sub
        .events()
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            (v["room"].as_u64().unwrap(), v["value"].as_u64().unwrap())
        })
        .collect();
    // In publish order: the first update, room 2 (published before room 1's latest), then
    // room 1's latest value.
    assert_eq!(seen, vec![(1, 0), (2, 7), (1, 999)]);
}

#[test]
fn confirmed_publishes_and_other_events_are_never_conflated() {
    let server = Sockudo::start();
    let proxy = FaultProxy::start(server.port, ProxyMode::Stall);
    let mut config = ClientConfig::new(server.app(), proxy.url());
    config.max_in_flight = 1;
    config.request_timeout = Duration::from_secs(2);
    config.conflate = vec![ConflateRule::for_event(
        "RoomsUpdated",
        Duration::from_secs(60),
    )];
    let client = Client::new(config).unwrap();
    client.publish(update(1, 0)).unwrap();
    wait_until("the first request to be in flight", || {
        client.stats().in_flight_requests == 1
    });
    for i in 0..10 {
        client
            .publish(Event::new(["rooms"], "Other", format!(r#"{{"i":{i}}}"#)))
            .unwrap();
    }
    std::thread::scope(|scope| {
        let confirmed =
            scope.spawn(|| client.publish_confirmed(update(1, 1), Duration::from_secs(30)));
        wait_until("the confirmed event to be queued", || {
            client.stats().enqueued == 12
        });
        client.publish(update(1, 2)).unwrap();
        proxy.set_mode(ProxyMode::Forward);
        confirmed.join().unwrap().unwrap();
    });
    assert_eq!(client.flush(Duration::from_secs(30)).pending, 0);
    let s = client.stats();
    assert_eq!((s.enqueued, s.delivered, s.conflated), (13, 13, 0), "{s:?}");
}
