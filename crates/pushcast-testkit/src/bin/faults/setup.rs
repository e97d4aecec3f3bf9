//! What the scenarios share: the run's size, a client configuration, waiting, pacing.

use std::time::{Duration, Instant};

use pushcast_client::ClientConfig;
use pushcast_core::App;
use pushcast_testkit::Subscriber;

use crate::ledger::Ledger;

/// The run's size: `FAULTS_QUICK=1` (CI) shortens the outage and the streams.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// Whether this is the short run.
    pub quick: bool,
}

impl Mode {
    /// From the environment.
    pub fn from_env() -> Mode {
        Mode {
            quick: std::env::var("FAULTS_QUICK").is_ok_and(|v| !v.is_empty() && v != "0"),
        }
    }
}

/// A client configuration for a scenario: the failure log keeps every failure (the ledger
/// names each event), everything else as given.
pub fn config(app: App, endpoint: impl Into<String>) -> ClientConfig {
    let mut c = ClientConfig::new(app, endpoint);
    c.max_failures_kept = 1_000_000;
    c
}

/// Polls `done` every 5 ms until it holds or `limit` passes; returns whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sleeps until `start + period * (i + 1)`: a paced stream that catches up after a pause.
pub fn pace(start: Instant, period: Duration, i: usize) {
    let due = start + period * (i as u32 + 1);
    if let Some(wait) = due.checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
}

/// Waits until the subscribers together saw `expected` of the ledger's events (or `limit`
/// passed), then a little longer so a duplicate would show, and records what they saw.
pub fn collect(ledger: &mut Ledger, subscribers: &[&Subscriber], expected: u64, limit: Duration) {
    let seen = |subs: &[&Subscriber]| subs.iter().map(|s| s.count() as u64).sum::<u64>();
    wait_until(limit, || seen(subscribers) >= expected);
    std::thread::sleep(Duration::from_millis(300));
    for s in subscribers {
        ledger.received(s.events());
    }
    // A server that dropped a subscriber's connection loses what came after on that
    // subscriber, not in the publisher: reported, so a loss is never blamed on the wrong side
    // (scenarios that don't kill the server check it is 0).
    let closed = subscribers.iter().filter(|s| s.closed()).count();
    ledger.figure("subscribers_closed_by_server", closed);
}

/// Milliseconds, for figures.
pub fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Prints the threads' stacks of process `pid` on standard error, through gdb when installed:
/// a hang or a stuck engine is a bug to find, and the stacks say where it waits.
pub fn dump_stacks(pid: u32, why: &str) {
    let stacks = std::process::Command::new("gdb")
        .args([
            "-p",
            &pid.to_string(),
            "-batch",
            "-nx",
            "-ex",
            "thread apply all bt",
        ])
        .stdin(std::process::Stdio::null())
        .output();
    match stacks {
        Ok(out) => eprintln!(
            "{why} (process {pid}), its threads:\n{}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(e) => eprintln!("{why} (process {pid}; no stacks: gdb: {e})"),
    }
}

/// Ends a hung child process: its stacks first ([`dump_stacks`]), then SIGKILL and reaping.
pub fn kill_hung(pid: libc::pid_t) {
    dump_stacks(pid as u32, "hung child");
    let mut status = 0;
    // SAFETY: killing and reaping our own hung child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, &mut status, 0);
    }
}
