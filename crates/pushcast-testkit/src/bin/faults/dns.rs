//! DNS failure: the endpoint's host is under `.invalid` (RFC 2606: never resolves). Every
//! event must fail within its delivery deadline with a transport error that says the name
//! could not be resolved, and be reported; none may vanish. Nothing can be delivered (there is
//! no server), so no subscriber is started.

use std::time::Duration;

use pushcast_client::Client;
use pushcast_core::Error;
use pushcast_testkit::SockudoOptions;

use crate::ledger::{Ledger, Outcome};
use crate::setup::config;

const EVENTS: usize = 50;
/// What the resolver's failure reads like in the error's cause chain.
const DNS_WORDS: &str = "dns error";

pub fn run() -> Outcome {
    let mut ledger = Ledger::new("dns-failure");
    let mut cfg = config(
        SockudoOptions::default().app(),
        "http://pushcast-nonexistent.invalid:6001",
    );
    cfg.delivery_timeout = Duration::from_secs(3);
    cfg.retry_max = Duration::from_millis(500);
    let client = Client::new(cfg).unwrap();
    for i in 0..EVENTS {
        ledger.publish(&client, "dns", format!("e{i}"));
    }
    let report = client.flush(Duration::from_secs(30));
    let stats = client.stats();
    ledger.failures(client.drain_failures());
    let errors: Vec<String> = ledger.failure_errors().map(Error::to_string).collect();
    let distinct: std::collections::BTreeSet<&String> = errors.iter().collect();
    let clear = ledger
        .failure_errors()
        .all(|e| matches!(e, Error::Transport { reason, .. } if reason.contains(DNS_WORDS)));
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        clear && errors.len() == EVENTS,
        format!("expected {EVENTS} transport errors naming the DNS failure: {} error(s), distinct: {distinct:?}", errors.len()),
    );
    ledger.check_stats(&stats);
    ledger.figure("requests_failed", stats.requests_failed);
    ledger.figure(
        "error",
        format!("{:?}", errors.first().map(String::as_str).unwrap_or("none")),
    );
    ledger.finish()
}
