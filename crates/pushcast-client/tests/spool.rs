//! The durable spool against a real sockudo: an outage longer than the in-memory queue loses
//! nothing and keeps per-channel order; events left at shutdown are replayed by the next
//! client on the same directory; a live spool is never claimed; a full spool follows each
//! backpressure policy with exact counts; every sync level delivers; bad settings are refused
//! before anything runs; forks with a busy spool thread do not hang.
//!
//! The outage is a closed gate (the fault proxy refusing connections) rather than a killed
//! server, so the subscriber stays connected and every delivery can be checked; the process
//! kill with a real server outage is `scripts/spool-kill`.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use pushcast_client::{
    Accepted, Backpressure, Client, ClientConfig, SpoolConfig, SpoolSync, StatsSnapshot,
};
use pushcast_core::{Error, Event};
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo};

mod spool_common;
use spool_common::{file_names, listening, seqs, CHANNEL};

fn event(i: usize) -> Event {
    Event::new([CHANNEL], "Tick", format!(r#"{{"seq":{i}}}"#))
}

fn config(server: &Sockudo, endpoint: String, dir: &Path, sync: SpoolSync) -> ClientConfig {
    let mut config = ClientConfig::new(server.app(), endpoint);
    config.max_in_flight = 2;
    config.retry_base = Duration::from_millis(5);
    config.retry_max = Duration::from_millis(50);
    config.breaker_failure_threshold = 0;
    let mut spool = SpoolConfig::new(dir);
    spool.sync = sync;
    config.spool = Some(spool);
    config
}

fn interval() -> SpoolSync {
    SpoolSync::Interval(Duration::from_millis(20))
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// enqueued + replayed = delivered + failed + dropped_oldest + abandoned + conflated + left in
/// the spool + still outstanding.
fn assert_accounted(s: &StatsSnapshot) {
    assert_eq!(
        s.enqueued + s.spool_replayed,
        s.delivered
            + s.failed
            + s.dropped_oldest
            + s.abandoned_at_shutdown
            + s.conflated
            + s.spool_left_at_shutdown
            + s.queue_depth,
        "{s:?}"
    );
}

#[test]
fn an_outage_longer_than_the_queue_loses_nothing_and_keeps_order() {
    let server = Sockudo::start();
    let sub = listening(&server);
    let gate = FaultProxy::start(server.port, ProxyMode::Refuse);
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&server, gate.url(), dir.path(), interval());
    config.queue_capacity = 50;
    let client = Client::new(config).unwrap();

    let n = 2_000;
    for i in 0..n {
        // Forty times what memory holds: the rest waits on disk, no queue-full.
        assert_eq!(client.publish(event(i)).unwrap(), Accepted::Queued);
    }
    let s = client.stats();
    assert_eq!(s.spool_rows, n as u64, "{s:?}");
    assert!(s.spool_backlog >= (n - 50) as u64, "{s:?}");
    assert_eq!(s.queue_depth, n as u64, "{s:?}");
    assert_eq!(s.delivered, 0, "the gate is closed: {s:?}");
    let metrics = client.metrics();
    assert!(
        metrics.contains("\n# TYPE pushcast_spool_backlog gauge\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("\npushcast_spool_rows {n}\n")),
        "{metrics}"
    );

    gate.set_mode(ProxyMode::Forward);
    let report = client.flush(Duration::from_secs(60));
    assert_eq!(report.pending, 0, "{:?}", report.stats);
    assert_eq!(sub.wait_for(n, Duration::from_secs(20)), n);
    std::thread::sleep(Duration::from_millis(200)); // a duplicate would arrive by now
    let got = seqs(&sub);
    assert_eq!(
        got,
        (0..n as u64).collect::<Vec<_>>(),
        "lost, duplicated or reordered"
    );
    wait_until("the spool to empty", Duration::from_secs(10), || {
        client.stats().spool_rows == 0
    });
    let s = client.stats();
    assert_eq!(
        (s.delivered, s.failed, s.spool_bytes),
        (n as u64, 0, 0),
        "{s:?}"
    );
    assert_accounted(&s);
}

#[test]
fn events_left_at_shutdown_are_replayed_by_the_next_client_in_order() {
    let server = Sockudo::start();
    let sub = listening(&server);
    let gate = FaultProxy::start(server.port, ProxyMode::Refuse);
    let dir = tempfile::tempdir().unwrap();

    let first = Client::new(config(&server, gate.url(), dir.path(), SpoolSync::None)).unwrap();
    for i in 0..300 {
        first.publish(event(i)).unwrap();
    }
    let report = first.shutdown(Duration::from_millis(300));
    assert_eq!(report.pending, 300, "{:?}", report.stats);
    let s = &report.stats;
    assert_eq!(
        (
            s.spool_left_at_shutdown,
            s.abandoned_at_shutdown,
            s.failed,
            s.delivered
        ),
        (300, 0, 0, 0),
        "{s:?}"
    );
    assert!(
        first.drain_failures().is_empty(),
        "left in the spool is not a failure"
    );
    drop(first);

    let second = Client::new(config(&server, server.url(), dir.path(), interval())).unwrap();
    second.publish(event(300)).unwrap();
    assert_eq!(second.flush(Duration::from_secs(30)).pending, 0);
    assert_eq!(sub.wait_for(301, Duration::from_secs(20)), 301);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(seqs(&sub), (0..301).collect::<Vec<_>>());
    let s = second.stats();
    assert_eq!(
        (s.spool_replayed, s.enqueued, s.delivered),
        (300, 1, 301),
        "{s:?}"
    );
    assert_accounted(&s);
    // The first client's files were taken over and removed: one spool (db, WAL, lock) left.
    let files = file_names(dir.path());
    assert_eq!(
        files.iter().filter(|f| f.ends_with(".lock")).count(),
        1,
        "{files:?}"
    );
}

#[test]
fn a_live_spool_is_never_claimed() {
    let server = Sockudo::start();
    let gate = FaultProxy::start(server.port, ProxyMode::Refuse);
    let dir = tempfile::tempdir().unwrap();
    let stuck = Client::new(config(&server, gate.url(), dir.path(), SpoolSync::None)).unwrap();
    for i in 0..100 {
        stuck.publish(event(i)).unwrap();
    }
    let other = Client::new(config(&server, server.url(), dir.path(), SpoolSync::None)).unwrap();
    other.publish(event(1_000)).unwrap();
    // Past two claim scans (every 2 s) of the second client.
    std::thread::sleep(Duration::from_millis(4_500));
    assert_eq!(other.flush(Duration::from_secs(10)).pending, 0);
    let (s, t) = (stuck.stats(), other.stats());
    assert_eq!((t.spool_replayed, t.delivered), (0, 1), "{t:?}");
    assert_eq!((s.spool_rows, s.delivered), (100, 0), "{s:?}");
    // Once the gate opens the owner delivers its own events.
    gate.set_mode(ProxyMode::Forward);
    assert_eq!(stuck.flush(Duration::from_secs(30)).pending, 0);
    assert_eq!(stuck.stats().delivered, 100);
}

/// A spool holding about ten small events, one in memory, behind a closed gate.
fn tiny(server: &Sockudo, gate: &FaultProxy, dir: &Path, policy: Backpressure) -> Client {
    let mut config = config(server, gate.url(), dir, SpoolSync::None);
    config.queue_capacity = 1;
    config.max_in_flight = 1;
    config.backpressure = policy;
    if let Some(spool) = config.spool.as_mut() {
        spool.max_bytes = 200;
    }
    Client::new(config).unwrap()
}

/// Publishes until the spool refuses or drops; returns how many were queued first.
fn fill(client: &Client) -> (usize, pushcast_core::Result<Accepted>) {
    for i in 0..1_000 {
        match client.publish(event(i)) {
            Ok(Accepted::Queued) => {}
            other => return (i, other),
        }
    }
    panic!("a 200-byte spool took 1,000 events");
}

#[test]
fn a_full_spool_fails_fast_blocks_or_drops_the_newest_with_exact_counts() {
    let server = Sockudo::start();
    let gate = FaultProxy::start(server.port, ProxyMode::Refuse);
    let full = Error::SpoolFull { limit_bytes: 200 };

    let dir = tempfile::tempdir().unwrap();
    let fail_fast = tiny(&server, &gate, dir.path(), Backpressure::FailFast);
    let (queued, refused) = fill(&fail_fast);
    assert!(queued >= 5, "{queued}");
    assert_eq!(refused.unwrap_err(), full);
    let s = fail_fast.stats();
    assert_eq!(
        (s.enqueued, s.rejected_queue_full),
        (queued as u64, 1),
        "{s:?}"
    );
    assert!(s.spool_bytes <= 200, "{s:?}");

    let dir = tempfile::tempdir().unwrap();
    let block = tiny(
        &server,
        &gate,
        dir.path(),
        Backpressure::Block {
            timeout: Duration::from_millis(50),
        },
    );
    let (queued, refused) = fill(&block);
    assert_eq!(refused.unwrap_err(), full);
    assert_eq!(block.stats().rejected_queue_full, 1);

    let dir = tempfile::tempdir().unwrap();
    let drop_newest = tiny(&server, &gate, dir.path(), Backpressure::DropNewest);
    let (kept, dropped) = fill(&drop_newest);
    assert_eq!(dropped.unwrap(), Accepted::Dropped);
    let s = drop_newest.stats();
    assert_eq!((s.enqueued, s.dropped_newest), (kept as u64, 1), "{s:?}");
    let failures = drop_newest.drain_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].error, full);

    // Each delivers what it accepted once the gate opens.
    gate.set_mode(ProxyMode::Forward);
    for (client, accepted) in [
        (&fail_fast, None),
        (&block, Some(queued)),
        (&drop_newest, Some(kept)),
    ] {
        assert_eq!(client.flush(Duration::from_secs(30)).pending, 0);
        let s = client.stats();
        if let Some(accepted) = accepted {
            assert_eq!(s.delivered, accepted as u64, "{s:?}");
        }
        assert_eq!(s.delivered, s.enqueued, "{s:?}");
        assert_accounted(&s);
    }
}

#[test]
fn a_full_spool_drops_the_oldest_waiting_on_disk_and_counts_each() {
    let server = Sockudo::start();
    let sub = listening(&server);
    let gate = FaultProxy::start(server.port, ProxyMode::Refuse);
    let dir = tempfile::tempdir().unwrap();
    let client = tiny(&server, &gate, dir.path(), Backpressure::DropOldest);
    let n = 100;
    for i in 0..n {
        assert_eq!(client.publish(event(i)).unwrap(), Accepted::Queued);
    }
    let s = client.stats();
    assert!(s.dropped_oldest >= 80, "{s:?}");
    assert!(s.spool_bytes <= 200, "{s:?}");
    let failures = client.drain_failures();
    assert_eq!(failures.len() as u64, s.dropped_oldest);
    // Accepted, then displaced by newer events: logged as such, not as "not accepted".
    assert!(failures
        .iter()
        .all(|f| f.error == Error::DroppedForNewer { capacity: 200 }));

    gate.set_mode(ProxyMode::Forward);
    assert_eq!(client.flush(Duration::from_secs(30)).pending, 0);
    let s = client.stats();
    assert_eq!(s.delivered + s.dropped_oldest, n as u64, "{s:?}");
    assert_accounted(&s);
    let delivered = s.delivered as usize;
    assert_eq!(sub.wait_for(delivered, Duration::from_secs(10)), delivered);
    let got = seqs(&sub);
    // The newest survive (and whatever was in memory when the dropping began), in order.
    assert_eq!(got.last(), Some(&(n as u64 - 1)));
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
}

#[test]
fn every_sync_level_delivers_and_empties_the_spool() {
    let server = Sockudo::start();
    let sub = listening(&server);
    let levels = [SpoolSync::None, interval(), SpoolSync::EveryEvent];
    for (round, sync) in levels.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let client = Client::new(config(&server, server.url(), dir.path(), sync)).unwrap();
        for i in 0..100 {
            client.publish(event(round * 100 + i)).unwrap();
        }
        let confirmed = client
            .publish_confirmed(event(10_000 + round), Duration::from_secs(10))
            .unwrap();
        assert!(confirmed.channels.is_empty());
        assert_eq!(client.flush(Duration::from_secs(20)).pending, 0, "{sync:?}");
        wait_until("the spool to empty", Duration::from_secs(10), || {
            client.stats().spool_rows == 0
        });
        let s = client.stats();
        assert_eq!(s.delivered, 101, "{sync:?}: {s:?}");
        assert_accounted(&s);
        assert!(file_names(dir.path()).iter().any(|f| f.ends_with(".db")));
    }
    assert_eq!(sub.wait_for(303, Duration::from_secs(20)), 303);
}

#[test]
fn bad_spool_settings_are_refused_before_anything_runs() {
    let server = Sockudo::start();
    let dir = tempfile::tempdir().unwrap();
    let mut bad = config(&server, server.url(), dir.path(), SpoolSync::None);
    bad.spool.as_mut().unwrap().max_bytes = 0;
    assert!(matches!(
        Client::new(bad).unwrap_err(),
        Error::InvalidConfig {
            field: "spool_max_bytes",
            ..
        }
    ));
    assert!(matches!(
        SpoolSync::parse("fsync", Duration::from_millis(1)).unwrap_err(),
        Error::InvalidConfig {
            field: "spool_sync",
            ..
        }
    ));
    assert_eq!(
        SpoolSync::parse("every_event", Duration::ZERO).unwrap(),
        SpoolSync::EveryEvent
    );

    // A directory that cannot be created: a typed error on first use, nothing sent.
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let client = Client::new(config(&server, server.url(), &file, SpoolSync::None)).unwrap();
    let error = client.publish(event(0)).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Spool {
                operation: "open",
                ..
            }
        ),
        "{error:?}"
    );
    // No engine: every counter zero, the one endpoint's circuit closed.
    let stats = client.stats();
    assert_eq!(stats.counters(), StatsSnapshot::default().counters());
    assert_eq!(stats.circuits.len(), 1);
    assert_eq!(
        stats.circuits[0].state,
        pushcast_client::CircuitState::Closed
    );
}

#[test]
fn forks_while_the_spool_thread_works_never_hang() {
    let server = Sockudo::start();
    let sub = listening(&server);
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(config(&server, server.url(), dir.path(), interval())).unwrap();
    let forks = 20;
    for round in 0..forks {
        for i in 0..100 {
            client.publish(event(round * 1_000 + i)).unwrap();
        }
        // SAFETY: fork in a test process; the child only publishes and _exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            client.publish(event(round * 1_000 + 500)).unwrap();
            let report = client.flush(Duration::from_secs(20));
            let ok = report.pending == 0 && report.stats.delivered == 1;
            if !ok {
                eprintln!("child {round}: {report:?}");
            }
            // SAFETY: terminating the child process; nothing runs after this call.
            unsafe { libc::_exit(if ok { 0 } else { 3 }) }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut status = 0;
            // SAFETY: waitpid on our own child with a valid status pointer.
            let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if done == pid {
                assert!(
                    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                    "child {round} failed its accounting"
                );
                break;
            }
            if Instant::now() > deadline {
                // SAFETY: killing our own hung child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!("child {round} hung");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert_eq!(client.flush(Duration::from_secs(30)).pending, 0);
    let expected = forks * 101;
    assert_eq!(sub.wait_for(expected, Duration::from_secs(20)), expected);
    let s = client.stats();
    assert_eq!(s.delivered, (forks * 100) as u64, "{s:?}");
    assert_accounted(&s);
}

#[test]
fn with_every_circuit_open_the_spool_policy_keeps_events_on_disk_until_a_probe_succeeds() {
    let server = Sockudo::start();
    let sub = listening(&server);
    let gate = FaultProxy::start(server.port, ProxyMode::Refuse);
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&server, gate.url(), dir.path(), SpoolSync::None);
    config.breaker_failure_threshold = 3;
    config.breaker_cooldown = Duration::from_millis(100);
    config.breaker_cooldown_max = Duration::from_millis(200);
    config.breaker_open_policy = pushcast_client::BreakerOpenPolicy::Spool;
    let client = Client::new(config).unwrap();
    for i in 0..10 {
        client.publish(event(i)).unwrap();
    }
    wait_until("the circuit to open", Duration::from_secs(10), || {
        client.stats().breaker_opened >= 1
    });
    for i in 10..1_010 {
        client.publish(event(i)).unwrap();
    }
    let s = client.stats();
    let in_memory = s.queue_depth - s.spool_backlog;
    // One probe batch at most (sockudo's profile: 100 events per batch) besides the first ten.
    assert!(in_memory <= 110, "{s:?}");
    assert!(s.spool_backlog >= 900, "{s:?}");
    assert_eq!(s.delivered + s.failed, 0, "{s:?}");

    gate.set_mode(ProxyMode::Forward);
    assert_eq!(client.flush(Duration::from_secs(60)).pending, 0);
    assert_eq!(sub.wait_for(1_010, Duration::from_secs(20)), 1_010);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(seqs(&sub), (0..1_010).collect::<Vec<_>>());
    let s = client.stats();
    assert!(s.breaker_closed >= 1, "{s:?}");
    assert_eq!(s.delivered, 1_010, "{s:?}");
    assert_accounted(&s);
}

#[test]
fn an_event_retrying_at_shutdown_is_kept_in_the_spool_and_counted() {
    let server = Sockudo::start();
    let dir = tempfile::tempdir().unwrap();
    // The defaults (circuit breaker on) and an endpoint that refuses connections.
    let mut config = ClientConfig::new(server.app(), "http://127.0.0.1:1");
    config.spool = Some(SpoolConfig::new(dir.path()));
    let client = Client::new(config).unwrap();
    client.publish(event(0)).unwrap();
    client.publish(event(1)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let report = client.shutdown(Duration::from_millis(100));
    let s = &report.stats;
    assert_eq!(report.pending, 2, "{s:?}");
    assert_eq!(
        (s.spool_left_at_shutdown, s.abandoned_at_shutdown),
        (2, 0),
        "{s:?}"
    );
    assert_accounted(s);
}
