//! Process exit with events pending: a child process (this binary, hidden subcommand) publishes
//! a burst and returns from `main` at once; dropping its client flushes for up to
//! `shutdown_timeout`, then reports on standard error how many events were not delivered. The
//! server in front of the child answers a few requests and then hangs (the fault proxy's
//! forward-then-stall: a real server cannot be told to do that), so part of the burst is flushed
//! during the exit and the rest must be reported, never silently lost.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pushcast_client::Client;
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, SockudoOptions, Subscriber, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config, ms};

const CHANNEL: &str = "exit";
const EVENTS: usize = 1_000;
const SHUTDOWN: Duration = Duration::from_millis(1_500);
/// Requests the server answers before it hangs.
const ANSWERED: usize = 3;
/// The hidden subcommand.
pub const CHILD: &str = "__exit-child";

/// The child: publish `EVENTS` to `endpoint`, say how many were acknowledged so far, return.
pub fn child(endpoint: &str) {
    let mut cfg = config(SockudoOptions::default().app(), endpoint);
    cfg.max_in_flight = 1;
    cfg.shutdown_timeout = SHUTDOWN;
    cfg.request_timeout = Duration::from_secs(30); // the hung request stays in flight
    let client = Client::new(cfg).unwrap();
    for i in 0..EVENTS {
        client
            .publish(crate::ledger::event(CHANNEL, &format!("e{i}")))
            .unwrap();
    }
    eprintln!("exit-child acked_before_exit={}", client.stats().delivered);
    // `client` is dropped here, on the way out of the process.
}

/// The number right after `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let start = text.find(key)? + key.len();
    text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

pub fn run() -> Outcome {
    let mut ledger = Ledger::new("exit-with-pending");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let proxy = FaultProxy::start(server.port, ProxyMode::ForwardThenStall(ANSWERED));
    ledger.published_elsewhere((0..EVENTS).map(|i| format!("e{i}")));

    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([CHILD, &proxy.url()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let status = child.wait().unwrap();
    let exit = started.elapsed();

    let before = number_after(&stderr, "acked_before_exit=");
    let reported = stderr
        .lines()
        .find(|l| l.starts_with("pushcast: ") && l.contains("not delivered before shutdown"))
        .and_then(|l| number_after(l, "pushcast: "));
    let delivered_expected = EVENTS as u64 - reported.unwrap_or(0);
    collect(
        &mut ledger,
        &[&sub],
        delivered_expected,
        Duration::from_secs(10),
    );
    ledger.failed_count(reported.unwrap_or(0));
    ledger.check(status.success(), format!("the child exited with {status}"));
    ledger.check(
        reported.is_some_and(|r| r > 0),
        format!("the child reported no undelivered events; its stderr: {stderr:?}"),
    );
    let flushed = (ledger.delivered() as u64).saturating_sub(before.unwrap_or(0));
    // The exit waits for the shutdown deadline (the server hangs), plus process start-up.
    ledger.check(
        exit < SHUTDOWN + Duration::from_secs(3),
        format!("the child took {exit:?} to exit (shutdown_timeout {SHUTDOWN:?})"),
    );
    ledger.figure("acked_before_exit", before.unwrap_or(0));
    ledger.figure("flushed_during_exit", flushed);
    ledger.figure("shutdown_timeout_ms", ms(SHUTDOWN));
    ledger.figure("exit_ms", ms(exit));
    ledger.finish()
}
