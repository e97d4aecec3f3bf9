//! The largest limits and timeouts a configuration can hold: every profile limit `usize::MAX`,
//! the queue's capacity `usize::MAX`, every timeout `Duration::MAX`, and a confirmed publish
//! and a flush that wait `Duration::MAX`. Everything must be delivered to the real subscriber.
//! Ported from `crates/pushcast-client/tests/delivery.rs::
//! the_largest_limits_and_timeouts_do_not_break_the_engine`.
//!
//! Old behaviour: `max_events_per_batch = usize::MAX` overflowed and killed the dispatcher
//! thread in debug builds (the client kept accepting events it would never send: the flush
//! below waits forever, and the suite reports the scenario hung), and `Duration::MAX` made any
//! publish panic on its deadline (`Instant + Duration::MAX`).

use std::time::Duration;

use pushcast_client::Client;
use pushcast_testkit::{Sockudo, Subscriber, APP_KEY};

use crate::ledger::{event, Ledger, Outcome};
use crate::setup::{collect, config};

const CHANNEL: &str = "huge";
const EVENTS: usize = 50;

pub fn largest() -> Outcome {
    let mut ledger = Ledger::new("limits-largest");
    let server = Sockudo::start();
    let profile = pushcast_testkit::measure::with_largest_limits(server.app().profile().clone());
    let mut cfg = config(server.app().with_profile(profile), server.url());
    cfg.queue_capacity = usize::MAX;
    cfg.delivery_timeout = Duration::MAX;
    cfg.request_timeout = Duration::MAX;
    cfg.connect_timeout = Duration::MAX;
    cfg.shutdown_timeout = Duration::MAX;
    let client = Client::new(cfg).unwrap();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&server.app(), CHANNEL);
    for i in 0..EVENTS {
        ledger.publish(&client, CHANNEL, format!("e{i}"));
    }
    ledger.published_elsewhere(["last".to_owned()]);
    let confirmed = client.publish_confirmed(event(CHANNEL, "last"), Duration::MAX);
    let flushed = client.flush(Duration::MAX);
    collect(
        &mut ledger,
        &[&sub],
        EVENTS as u64 + 1,
        Duration::from_secs(10),
    );
    ledger.failures(client.drain_failures());
    let report = client.shutdown(Duration::from_secs(5));
    if let Err(e) = &confirmed {
        ledger.failed("last", e.clone());
    }
    ledger.check(
        confirmed.is_ok(),
        format!("the confirmed publish failed: {confirmed:?}"),
    );
    ledger.check(
        flushed.pending == 0 && report.pending == 0,
        "events still pending",
    );
    let s = &report.stats;
    ledger.check(
        (s.delivered, s.failed) == (EVENTS as u64 + 1, 0),
        format!(
            "delivered/failed = {:?}, expected ({}, 0); last error {:?}",
            (s.delivered, s.failed),
            EVENTS + 1,
            s.last_error
        ),
    );
    ledger.check_stats(s);
    ledger.finish()
}
