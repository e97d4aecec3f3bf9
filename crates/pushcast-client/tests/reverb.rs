//! Against the real Laravel Reverb 1.10.2 from `../shared/reverb` (skipped, with a message,
//! where `../shared` is absent outside CI), checked by real subscribers.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use pushcast_client::{Client, ClientConfig};
use pushcast_core::{Error, Event, ServerProfile};
use pushcast_testkit::{FaultProxy, ProxyMode, Reverb, Subscriber, APP_KEY};

fn names(subscriber: &Subscriber) -> Vec<String> {
    subscriber.events().into_iter().map(|e| e.event).collect()
}

/// The issue's scenario: subscribers A and B on `hold`; E1, E2 excluding A, E3, flush. Reverb
/// answers 500 to a batch item with the socket id of a subscribed connection, so E2 must go
/// alone through POST /events.
#[test]
fn to_others_on_reverb_delivers_every_event_once_and_never_to_the_sender() {
    let Some(reverb) = Reverb::start() else {
        return;
    };
    let app = reverb.app();
    let (a, b) = (
        Subscriber::connect(reverb.port, APP_KEY),
        Subscriber::connect(reverb.port, APP_KEY),
    );
    a.subscribe(&app, "hold");
    b.subscribe(&app, "hold");
    let client = Client::new(ClientConfig::new(app, reverb.url())).unwrap();
    client.publish(Event::new(["hold"], "E1", "{}")).unwrap();
    client
        .publish(Event::new(["hold"], "E2", "{}").excluding(a.socket_id()))
        .unwrap();
    client.publish(Event::new(["hold"], "E3", "{}")).unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
    assert_eq!(b.wait_for(3, Duration::from_secs(5)), 3);
    // E3 reaching A after E2 was published before it proves E2 had its chance to arrive.
    assert_eq!(a.wait_for(2, Duration::from_secs(5)), 2);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(names(&a), ["E1", "E3"]);
    assert_eq!(names(&b), ["E1", "E2", "E3"]);
    let stats = client.stats();
    assert_eq!(
        (stats.delivered, stats.failed, stats.resent, stats.retried),
        (3, 0, 0, 0),
        "{stats:?}"
    );
}

/// Without the routing (a profile claiming batch items may carry a socket id), Reverb really
/// dispatches the items before the bad one and answers 500: the batch is split, E1 is sent
/// again once (counted), E3 is delivered once, and only E2 fails, with Reverb's answer.
#[test]
fn reverbs_own_500_midway_through_a_batch_fails_only_the_event_it_refuses() {
    let Some(reverb) = Reverb::start() else {
        return;
    };
    let mut profile = ServerProfile::reverb();
    profile.socket_id_in_batches = true;
    let app = reverb.app_with(profile);
    let (a, b) = (
        Subscriber::connect(reverb.port, APP_KEY),
        Subscriber::connect(reverb.port, APP_KEY),
    );
    a.subscribe(&app, "hold");
    b.subscribe(&app, "hold");
    // The three must reach Reverb in one batch: a lead event keeps the lane busy (the proxy
    // closes its connections unanswered) while they pile up behind it.
    let proxy = FaultProxy::start(reverb.port, ProxyMode::Refuse);
    let mut config = ClientConfig::new(app, proxy.url());
    config.retry_base = Duration::from_millis(10);
    let client = Client::new(config).unwrap();
    client.publish(Event::new(["hold"], "Lead", "{}")).unwrap();
    proxy.wait_for_connections(1, Duration::from_secs(10));
    client
        .publish_batch(vec![
            Event::new(["hold"], "E1", "{}"),
            Event::new(["hold"], "E2", "{}").excluding(a.socket_id()),
            Event::new(["hold"], "E3", "{}"),
        ])
        .unwrap();
    proxy.set_mode(ProxyMode::Forward);
    assert_eq!(client.flush(Duration::from_secs(20)).pending, 0);
    let lead_resends = proxy.connections_in(ProxyMode::Refuse) as u64;
    // B: Lead, E1 (dispatched before the 500), E1 again (alone), E3.
    assert_eq!(b.wait_for(4, Duration::from_secs(5)), 4);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(names(&b), ["Lead", "E1", "E1", "E3"]);
    assert_eq!(names(&a), ["Lead", "E1", "E1", "E3"]);
    let failures = client.drain_failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].event, "E2");
    assert!(
        matches!(failures[0].error, Error::Api { status: 500, .. }),
        "{:?}",
        failures[0].error
    );
    let stats = client.stats();
    assert_eq!((stats.delivered, stats.failed), (3, 1), "{stats:?}");
    assert_eq!(stats.split_batches, 1, "{stats:?}");
    // E1 and E3 once each as single events, E2 on each of its 3 tries alone: every repeat
    // that can have happened (E1's really did) is counted.
    assert_eq!(stats.resent, lead_resends + 2 + 3, "{stats:?}");
}

/// Reverb encodes empty maps as `[]`; every query must read them.
#[test]
fn reverb_queries_with_empty_answers() {
    let Some(reverb) = Reverb::start() else {
        return;
    };
    let client = Client::new(ClientConfig::new(reverb.app(), reverb.url())).unwrap();
    let none = client.channels(Some("nothing-"), None).unwrap();
    assert!(none.channels.is_empty());
    let none = client
        .channels(Some("nothing-"), Some("subscription_count"))
        .unwrap();
    assert!(none.channels.is_empty());
    let info = client.channel_info("empty", Some("occupied")).unwrap();
    assert_eq!(info.occupied, Some(false));
    assert!(client.presence_users("presence-empty").unwrap().is_empty());
    let subscriber = Subscriber::connect(reverb.port, APP_KEY);
    subscriber.subscribe(&reverb.app(), "busy");
    let busy = client.channels(None, Some("subscription_count")).unwrap();
    assert_eq!(busy.channels["busy"].subscription_count, Some(1));
    let confirmed = client
        .publish_confirmed(
            Event::new(["busy"], "e", "{}").with_info("subscription_count"),
            Duration::from_secs(5),
        )
        .unwrap();
    assert_eq!(confirmed.channels["busy"].subscription_count, Some(1));
}

/// Reverb counts the whole request, headers included, against `max_request_size`: the largest
/// event pushcast accepts is delivered (Reverb would answer 413 to one byte more on the wire),
/// and one byte more is refused before the network.
#[test]
fn the_largest_event_within_reverbs_request_limit_is_delivered() {
    for (limit, env) in [
        (10_000, vec![]),
        (100_000, vec![("REVERB_MAX_REQUEST_SIZE", "100000")]),
    ] {
        let Some(reverb) = Reverb::start_with(&env) else {
            return;
        };
        let mut profile = ServerProfile::reverb();
        profile.max_request_bytes = Some(limit);
        let app = reverb.app_with(profile);
        let subscriber = Subscriber::connect(reverb.port, APP_KEY);
        subscriber.subscribe(&app, "big");
        let client = Client::new(ClientConfig::new(app, reverb.url())).unwrap();
        let fits = |n: usize| {
            client
                .app()
                .check_fits_alone(
                    &client
                        .app()
                        .prepare(Event::new(["big"], "e", "x".repeat(n)))
                        .unwrap()[0],
                )
                .is_ok()
        };
        // The largest data length that fits: a binary search.
        let (mut low, mut high) = (0, limit);
        while low + 1 < high {
            let mid = (low + high) / 2;
            if fits(mid) {
                low = mid;
            } else {
                high = mid;
            }
        }
        assert!(
            low > limit - 400,
            "{low} leaves more than headers' room under {limit}"
        );
        client
            .publish_confirmed(
                Event::new(["big"], "e", "x".repeat(low)),
                Duration::from_secs(5),
            )
            .unwrap();
        match client.publish(Event::new(["big"], "e", "x".repeat(low + 1))) {
            Err(Error::PayloadTooLarge { size, limit: l, .. }) => {
                assert_eq!((size, l), (limit + 1, limit));
            }
            other => panic!("one byte over was not refused: {other:?}"),
        }
        assert_eq!(subscriber.wait_for(1, Duration::from_secs(5)), 1);
        assert_eq!(subscriber.events()[0].data.len(), low);
    }
}

#[test]
fn user_sign_in_is_refused_on_reverb_before_the_network() {
    let Some(reverb) = Reverb::start() else {
        return;
    };
    let client = Client::new(ClientConfig::new(reverb.app(), reverb.url())).unwrap();
    for result in [
        client.send_to_user("42", "e", "{}").map(drop),
        client
            .publish(Event::new(["#server-to-user-42"], "e", "{}"))
            .map(drop),
        client
            .app()
            .authenticate_user("1.1", r#"{"id":"42"}"#)
            .map(drop),
    ] {
        assert!(
            matches!(
                result,
                Err(Error::Unsupported {
                    server: "reverb",
                    ..
                })
            ),
            "{result:?}"
        );
    }
    assert_eq!(client.stats().requests_sent, 0);
}
