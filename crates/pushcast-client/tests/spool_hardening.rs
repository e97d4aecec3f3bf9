//! The durable spool under damage, races and other local users, against a real sockudo:
//! - a damaged spool file left by a dead process (random bytes, or a real spool file truncated
//!   mid-file) is set aside, what can still be read of it is replayed, and publishing goes on
//!   without leaving files behind;
//! - many processes starting at once on one directory never take a live process's spool for a
//!   dead one's: every event they accepted is replayed by the next client;
//! - every spool file is readable by its owner only, whatever the umask.
//!
//! Child processes are this test binary run again on the `child` test with
//! [`CHILD_ROLE`] set: a fork would copy the harness's threads' locks into the child.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use pushcast_client::{Accepted, Client, ClientConfig, SpoolConfig, SpoolSync};
use pushcast_core::Event;
use pushcast_testkit::{Sockudo, SockudoOptions};

mod spool_common;
use spool_common::{file_names, listening, seqs, CHANNEL};
/// Nothing listens there: a child's events stay in its spool.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:1";

/// The child's role (`race`, `fill` or `private`); unset in an ordinary run.
const CHILD_ROLE: &str = "PUSHCAST_SPOOL_CHILD";
const CHILD_DIR: &str = "PUSHCAST_SPOOL_CHILD_DIR";
/// `race`: the event's seq; `fill`: how many events; `private`: the umask.
const CHILD_N: &str = "PUSHCAST_SPOOL_CHILD_N";
/// `race`: the file whose appearance starts every child of a round at once.
const CHILD_GO: &str = "PUSHCAST_SPOOL_CHILD_GO";

fn event(i: u64) -> Event {
    Event::new([CHANNEL], "Tick", format!(r#"{{"seq":{i}}}"#))
}

fn config(app: pushcast_core::App, endpoint: &str, dir: &Path, sync: SpoolSync) -> ClientConfig {
    let mut config = ClientConfig::new(app, endpoint);
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

/// A small deterministic generator (xorshift), for file contents.
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// The child side: does nothing in an ordinary run.
#[test]
fn child() {
    let Ok(role) = std::env::var(CHILD_ROLE) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(CHILD_DIR).unwrap());
    let n: u64 = std::env::var(CHILD_N).unwrap().parse().unwrap();
    let app = SockudoOptions::default().app();
    let client = Client::new(config(app, DEAD_ENDPOINT, &dir, SpoolSync::None)).unwrap();
    let code = match role.as_str() {
        // One event, published the moment the round starts.
        "race" => {
            let go = PathBuf::from(std::env::var(CHILD_GO).unwrap());
            while !go.exists() {
                std::thread::sleep(Duration::from_micros(200));
            }
            match client.publish(event(n)) {
                Ok(Accepted::Queued) => 0,
                other => {
                    eprintln!("child {n}: {other:?}");
                    3
                }
            }
        }
        // `n` events left in the spool, then SIGKILL.
        "fill" => {
            let all = (0..n).all(|i| matches!(client.publish(event(i)), Ok(Accepted::Queued)));
            if all {
                // SAFETY: killing this very process; nothing runs after it.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            }
            3
        }
        // Under umask `n`, 20 events left in a new spool directory.
        "private" => {
            // SAFETY: umask only swaps this process's file creation mask.
            unsafe { libc::umask(n as libc::mode_t) };
            let all = (0..20).all(|i| matches!(client.publish(event(i)), Ok(Accepted::Queued)));
            if all {
                0
            } else {
                3
            }
        }
        other => panic!("unknown child role {other}"),
    };
    // Gone at once with the client still running, as a worker killed right after its publish
    // returned: no destructor runs, nothing is flushed or shut down.
    // SAFETY: ends the child; nothing runs after this call.
    unsafe { libc::_exit(code) }
}

fn spawn_child(role: &str, dir: &Path, n: u64, go: Option<&Path>) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role)
        .env(CHILD_DIR, dir)
        .env(CHILD_N, n.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if let Some(go) = go {
        command.env(CHILD_GO, go);
    }
    command.spawn().unwrap()
}

fn wait_child(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("child {} hung", child.id());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A spool file of `n` rows written by a child process killed with SIGKILL; returns its path.
fn spool_of_a_killed_process(dir: &Path, n: u64) -> PathBuf {
    let mut child = spawn_child("fill", dir, n, None);
    let status = wait_child(&mut child, Duration::from_secs(120));
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "the child did not accept all {n} events: {status:?}"
    );
    let dbs: Vec<String> = file_names(dir)
        .into_iter()
        .filter(|f| f.ends_with(".db"))
        .collect();
    assert_eq!(dbs.len(), 1, "{dbs:?}");
    dir.join(&dbs[0])
}

#[test]
fn an_orphan_of_random_bytes_is_set_aside_and_publishing_goes_on() {
    let server = Sockudo::start();
    let sub = listening(&server);
    let dir = tempfile::tempdir().unwrap();
    // A dead process's spool whose database is 64 KiB of noise.
    let stem = "spool-999999-dead";
    std::fs::write(dir.path().join(format!("{stem}.lock")), b"").unwrap();
    std::fs::write(dir.path().join(format!("{stem}.db")), noise(64 * 1024, 7)).unwrap();

    let client = Client::new(config(server.app(), &server.url(), dir.path(), interval())).unwrap();
    let n = 100;
    let mut refused = Vec::new();
    for i in 0..n {
        if let Err(e) = client.publish(event(i)) {
            refused.push(e.to_string());
        }
    }
    let files = file_names(dir.path());
    assert!(
        refused.is_empty(),
        "{} of {n} publishes refused, first: {:?}; {} files in the directory",
        refused.len(),
        refused.first(),
        files.len()
    );
    assert_eq!(client.flush(Duration::from_secs(30)).pending, 0);
    assert_eq!(
        sub.wait_for(n as usize, Duration::from_secs(20)),
        n as usize
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(seqs(&sub), (0..n).collect::<Vec<_>>());
    wait_until(
        "the damaged file to be reported",
        Duration::from_secs(10),
        || client.stats().spool_errors >= 1,
    );
    let s = client.stats();
    assert_eq!((s.delivered, s.spool_replayed), (n, 0), "{s:?}");
    let last_error = s.last_error.clone().unwrap_or_default();
    assert!(last_error.contains("damaged"), "{last_error}");

    // The damaged file is set aside (not claimed again), its lock gone; besides it, this
    // client's own files only, however many publishes there were.
    let files = file_names(dir.path());
    let aside: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with(&format!("{stem}.db.damaged-")))
        .collect();
    assert_eq!(aside.len(), 1, "{files:?}");
    assert!(
        !files.iter().any(|f| f == &format!("{stem}.db")),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f == &format!("{stem}.lock")),
        "{files:?}"
    );
    assert!(files.len() <= 4, "{files:?}");
    assert_eq!(
        files.iter().filter(|f| f.ends_with(".lock")).count(),
        1,
        "{files:?}"
    );
}

#[test]
fn a_truncated_orphan_is_salvaged_as_far_as_it_reads_and_set_aside() {
    let n = 3_000;
    let made = tempfile::tempdir().unwrap();
    let db = spool_of_a_killed_process(made.path(), n);
    // Everything into the database file (the WAL emptied).
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows as u64, n);
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let whole = std::fs::read(&db).unwrap();
    let stem = db.file_stem().unwrap().to_string_lossy().into_owned();
    // Cut a quarter in, mid-way (inside a page) and three quarters in.
    let len = whole.len();
    for cut in [len / 4, len / 2 + 1_000, len * 3 / 4 + 333] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{stem}.lock")), b"").unwrap();
        std::fs::write(dir.path().join(format!("{stem}.db")), &whole[..cut]).unwrap();
        replay_a_truncated_orphan(dir.path(), &stem, n, cut);
    }
}

fn replay_a_truncated_orphan(dir: &Path, stem: &str, n: u64, cut: usize) {
    let server = Sockudo::start();
    let sub = listening(&server);
    let client = Client::new(config(server.app(), &server.url(), dir, interval())).unwrap();
    let new = 1_000_000;
    let published = client.publish(event(new));
    assert!(
        matches!(published, Ok(Accepted::Queued)),
        "cut at {cut}: {published:?}; files: {:?}",
        file_names(dir)
    );
    assert_eq!(client.flush(Duration::from_secs(60)).pending, 0);
    let s = client.stats();
    let replayed = s.spool_replayed;
    eprintln!("cut at {cut} bytes: salvaged {replayed} of {n} events");
    assert!(replayed > 0 && replayed < n, "cut at {cut}: {s:?}");
    assert_eq!((s.delivered, s.failed), (replayed + 1, 0), "{s:?}");
    let expected = replayed as usize + 1;
    assert_eq!(sub.wait_for(expected, Duration::from_secs(20)), expected);
    std::thread::sleep(Duration::from_millis(200));
    let got = seqs(&sub);
    let distinct: BTreeSet<u64> = got.iter().copied().collect();
    assert_eq!(distinct.len(), got.len(), "duplicates: {got:?}");
    assert!(distinct.contains(&new));
    assert!(distinct.iter().all(|&i| i < n || i == new), "{got:?}");
    // Replayed oldest first: what was salvaged keeps its order.
    let replayed_seqs: Vec<u64> = got.iter().copied().filter(|&i| i < n).collect();
    assert!(replayed_seqs.windows(2).all(|w| w[0] < w[1]), "{got:?}");

    wait_until(
        "the damaged file to be reported",
        Duration::from_secs(10),
        || client.stats().spool_errors >= 1,
    );
    let last_error = client.stats().last_error.unwrap_or_default();
    assert!(last_error.contains("damaged"), "{last_error}");
    let files = file_names(dir);
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with(&format!("{stem}.db.damaged-")) && !f.ends_with("-wal"))
            .count(),
        1,
        "{files:?}"
    );
    assert!(!files.iter().any(|f| f.starts_with(&format!("{stem}.lock"))));
    assert!(
        !files.iter().any(|f| f == &format!("{stem}.db")),
        "{files:?}"
    );
}

/// Rounds of `CHILDREN` processes starting together on one directory, each publishing one
/// event to a dead endpoint and exiting at once; then one client replays them all.
#[test]
fn processes_starting_together_never_lose_each_others_events() {
    const ROUNDS: u64 = 4;
    const CHILDREN: u64 = 60;
    let server = Sockudo::start();
    let sub = listening(&server);
    let dir = tempfile::tempdir().unwrap();
    let control = tempfile::tempdir().unwrap();
    let mut accepted = BTreeSet::new();
    let mut refused = 0;
    for round in 0..ROUNDS {
        let go = control.path().join(format!("go-{round}"));
        let mut children: Vec<(u64, Child)> = (0..CHILDREN)
            .map(|i| {
                let seq = round * 1_000 + i;
                (seq, spawn_child("race", dir.path(), seq, Some(&go)))
            })
            .collect();
        // Time for every child to load and wait for the start.
        std::thread::sleep(Duration::from_millis(1_500));
        std::fs::write(&go, b"").unwrap();
        for (seq, child) in &mut children {
            let status = wait_child(child, Duration::from_secs(60));
            match status.code() {
                Some(0) => {
                    accepted.insert(*seq);
                }
                Some(3) => refused += 1,
                _ => panic!("child {seq}: {status:?}"),
            }
        }
    }

    let client = Client::new(config(server.app(), &server.url(), dir.path(), interval())).unwrap();
    client.start().unwrap();
    assert_eq!(client.flush(Duration::from_secs(60)).pending, 0);
    let _ = sub.wait_for(accepted.len(), Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    let got = seqs(&sub);
    let delivered: BTreeSet<u64> = got.iter().copied().collect();
    let lost: Vec<&u64> = accepted.difference(&delivered).collect();
    let s = client.stats();
    assert!(
        lost.is_empty(),
        "{} of {} accepted events never replayed ({refused} refused): {lost:?}; {s:?}",
        lost.len(),
        accepted.len()
    );
    assert_eq!(
        refused,
        0,
        "{refused} of {} publishes refused",
        ROUNDS * CHILDREN
    );
    assert_eq!(got.len(), delivered.len(), "duplicates");
    assert_eq!(s.spool_replayed, accepted.len() as u64, "{s:?}");
}

#[test]
fn spool_files_are_private_whatever_the_umask() {
    for mask in [0o000, 0o022, 0o277] {
        let dir = tempfile::tempdir().unwrap();
        let spool_dir = dir.path().join("spool");
        // In a child: the umask is the whole process's.
        let mut child = spawn_child("private", &spool_dir, mask, None);
        let status = wait_child(&mut child, Duration::from_secs(60));
        assert_eq!(status.code(), Some(0), "umask {mask:o}: {status:?}");
        let files = file_names(&spool_dir);
        for suffix in [".db", ".db-wal", ".lock"] {
            assert!(
                files.iter().any(|f| f.ends_with(suffix)),
                "umask {mask:o}: no {suffix} in {files:?}"
            );
        }
        for name in &files {
            let mode = std::fs::metadata(spool_dir.join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "umask {mask:o}: {name} is {mode:o}");
        }
        let mode = std::fs::metadata(&spool_dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "umask {mask:o}: the directory is {mode:o}");
    }
}
