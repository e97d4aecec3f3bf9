//! A burst of 503s, then 429s, each with `Retry-After: 1`, from the fault proxy in front of a
//! real sockudo (a real server cannot be told to answer 503 on demand). The publisher must wait
//! what the server asked between tries (the proxy logs when each try arrived), then deliver all.

use std::time::Duration;

use pushcast_client::Client;
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, Subscriber, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config, wait_until};

const CHANNEL: &str = "storm";
const EVENTS: usize = 500;
/// Storm answers of each status before the storm ends.
const ANSWERS: usize = 3;

pub fn run() -> Outcome {
    let mut ledger = Ledger::new("retry-after-storm");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let proxy = FaultProxy::start(server.port, ProxyMode::Status(503));
    let mut cfg = config(app, proxy.url());
    cfg.max_in_flight = 1; // one lane: the tries are sequential, their gaps are the waits
    cfg.retry_base = Duration::from_millis(10); // without Retry-After, tries ~10 ms apart
    cfg.delivery_timeout = Duration::from_secs(60);
    let client = Client::new(cfg).unwrap();
    for i in 0..EVENTS {
        ledger.publish(&client, CHANNEL, format!("e{i}"));
    }
    let storms = |status: u16| {
        proxy
            .accepted()
            .iter()
            .filter(|c| c.mode == ProxyMode::Status(status))
            .count()
    };
    let saw_503 = wait_until(Duration::from_secs(30), || storms(503) >= ANSWERS);
    proxy.set_mode(ProxyMode::Status(429));
    let saw_429 = wait_until(Duration::from_secs(30), || storms(429) >= ANSWERS);
    proxy.set_mode(ProxyMode::Forward);
    let report = client.flush(Duration::from_secs(60));
    let stats = client.stats();
    collect(
        &mut ledger,
        &[&sub],
        stats.delivered,
        Duration::from_secs(20),
    );
    ledger.failures(client.drain_failures());

    // Gaps between consecutive tries that were both answered by the storm.
    let log = proxy.accepted();
    let gaps: Vec<Duration> = log
        .windows(2)
        .filter(|w| matches!(w[0].mode, ProxyMode::Status(_)))
        .map(|w| w[1].at - w[0].at)
        .collect();
    let min_gap = gaps.iter().min().copied().unwrap_or_default();
    // Which tries came early, and after what: (try number, the answer before it, the gap).
    let early: Vec<String> = log
        .windows(2)
        .enumerate()
        .filter(|(_, w)| {
            matches!(w[0].mode, ProxyMode::Status(_)) && w[1].at - w[0].at < Duration::from_secs(1)
        })
        .map(|(i, w)| {
            format!(
                "try {} {:?} after a {:?}",
                i + 2,
                w[1].at - w[0].at,
                w[0].mode
            )
        })
        .collect();
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(saw_503 && saw_429, "the storm's answers did not all arrive");
    ledger.check(
        min_gap >= Duration::from_secs(1),
        format!("retries came before the Retry-After: 1 the server asked for: {early:?}"),
    );
    ledger.check(
        stats
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("429")),
        "the last error does not report the 429",
    );
    ledger.check_stats(&stats);
    ledger.figure("storm_answers", storms(503) + storms(429));
    ledger.figure("retry_gap_ms_min", min_gap.as_millis());
    ledger.finish()
}
