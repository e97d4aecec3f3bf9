//! Forks that race the engine on purpose: whatever the engine's threads are doing at the moment
//! of a fork (their first publish, a shutdown), a child publishes through the same `Client`
//! without hanging. A child that hangs is killed after a deadline and counted.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_client::{Client, ClientConfig};
use pushcast_core::Event;
use pushcast_testkit::Sockudo;

/// How a forked process ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Exited(i32),
    Hung,
}

/// Waits for `pid` until `limit`, then kills it and says it hung.
fn wait(pid: libc::pid_t, limit: Duration) -> End {
    let deadline = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return End::Exited(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            });
        }
        if Instant::now() > deadline {
            // SAFETY: killing and reaping our own hung child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return End::Hung;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// In a forked child: publish one event, flush, exit 0 if it was delivered, 3 if not.
fn publish_one_and_exit(client: &Client) -> ! {
    let published = client.publish(Event::new(["race"], "Child", "{}"));
    let report = client.flush(Duration::from_secs(20));
    let ok = published.is_ok() && report.pending == 0 && report.stats.delivered == 1;
    if !ok {
        // What a failed child saw, for the test's output.
        eprintln!(
            "child {}: publish {published:?}, flush left {}, stats {:?}",
            std::process::id(),
            report.pending,
            report.stats
        );
    }
    // SAFETY: terminating the child; nothing of the parent's harness runs after this.
    unsafe { libc::_exit(if ok { 0 } else { 3 }) }
}

/// Forks a child that publishes one event and exits.
fn fork_child(client: &Client) -> libc::pid_t {
    // SAFETY: fork in a test process; the child only publishes and _exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        publish_one_and_exit(client);
    }
    pid
}

/// Waits for every child against one deadline (a healthy child is done in well under a
/// second); returns how many hung and how many failed.
fn wait_all(pids: Vec<libc::pid_t>) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut hung, mut failed) = (0, 0);
    for pid in pids {
        match wait(pid, deadline.saturating_duration_since(Instant::now())) {
            End::Hung => hung += 1,
            End::Exited(0) => {}
            End::Exited(_) => failed += 1,
        }
    }
    (hung, failed)
}

/// Each round is a fresh process image (the test binary run again for
/// [`first_publish_round`]), so every lazily initialised global is still uninitialised: a
/// process forked from this one would inherit them initialised by earlier tests. The round
/// publishes its first event and forks children while its engine threads send it for the
/// first time. Reported: rand's thread-local generator registers a fork handler in a one-time
/// init on first use in the I/O thread; a child forked inside it waited forever.
#[test]
fn children_forked_during_the_first_publish_never_hang() {
    const ROUNDS: usize = 40;
    let server = Sockudo::start();
    let (mut hung, mut failed, mut children) = (0, 0, 0);
    for _ in 0..ROUNDS {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "first_publish_round",
                "--ignored",
                "--test-threads=1",
            ])
            .env(ROUND_ENDPOINT, server.url())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        let code = status
            .code()
            .unwrap_or_else(|| panic!("round died: {status}"));
        assert!(code >= 100, "round failed before forking: {status}");
        let code = code as usize - 100;
        hung += code / 10;
        failed += code % 10;
        children += ROUND_CHILDREN;
    }
    assert_eq!(
        (hung, failed),
        (0, 0),
        "of {children} children forked during a first publish: {hung} hung, {failed} failed"
    );
}

const ROUND_ENDPOINT: &str = "PUSHCAST_FORK_RACE_ENDPOINT";
const ROUND_CHILDREN: usize = 8;

/// One round of [`children_forked_during_the_first_publish_never_hang`], in a fresh process;
/// exits with 100 + hung children × 10 + failed children.
#[test]
#[ignore = "run by children_forked_during_the_first_publish_never_hang, in a fresh process"]
fn first_publish_round() {
    let endpoint = std::env::var(ROUND_ENDPOINT).unwrap();
    let credentials = pushcast_core::Credentials::new(
        pushcast_testkit::APP_ID,
        pushcast_testkit::APP_KEY,
        pushcast_testkit::APP_SECRET,
    )
    .unwrap();
    // The sockudo profile: every batch's first send draws an idempotency key at random.
    let app =
        pushcast_core::App::new(credentials).with_profile(pushcast_core::ServerProfile::sockudo());
    let client = Client::new(ClientConfig::new(app, endpoint)).unwrap();
    client.publish(Event::new(["race"], "First", "{}")).unwrap();
    let pids = (0..ROUND_CHILDREN).map(|_| fork_child(&client)).collect();
    let (hung, failed) = wait_all(pids);
    std::process::exit((100 + hung.min(9) * 10 + failed.min(9)) as i32);
}

/// Forks while another thread is inside `shutdown` (its client's start/stop lock held):
/// reported, the child's first publish waited forever for that lock.
#[test]
fn children_forked_during_a_shutdown_never_hang() {
    const CHILDREN: usize = 40;
    let server = Sockudo::start();
    let client = Arc::new(Client::new(ClientConfig::new(server.app(), server.url())).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let looping = {
        let (client, stop) = (Arc::clone(&client), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let _ = client.publish(Event::new(["race"], "Loop", "{}"));
                client.shutdown(Duration::from_millis(300));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    let mut pids = Vec::new();
    for _ in 0..CHILDREN {
        pids.push(fork_child(&client));
        std::thread::sleep(Duration::from_millis(3));
    }
    let (hung, failed) = wait_all(pids);
    stop.store(true, Ordering::SeqCst);
    looping.join().unwrap();
    assert_eq!(
        (hung, failed),
        (0, 0),
        "of {CHILDREN} children forked during shutdowns: {hung} hung, {failed} failed"
    );
}

/// Forks while other threads of the process start and end through `std::thread`: in a Rust
/// program std takes one process-wide lock as each thread starts and ends, and a child forked
/// in that moment inherits it held. Found by the fault suite (`scripts/faults fork`: a child's
/// dispatcher and I/O threads both waiting in std's `thread_info::set_current_info`, its event
/// never sent; about 1 child in 1,600). The engine's threads are now POSIX threads started
/// directly, which never take that lock. This test puts children in that situation on every
/// run, but the moment is narrow: it did not catch the old code in 2 runs of 200 children, so
/// the fault suite's repeated runs remain the proof (see CHANGELOG).
#[test]
fn children_forked_while_std_threads_start_and_end_still_run_their_engine() {
    const CHILDREN: usize = 60;
    const CHURNING_THREADS: usize = 2;
    let server = Sockudo::start();
    let client = Client::new(ClientConfig::new(server.app(), server.url())).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Threads that start and end threads without pause, so that std's lock is often held.
    let churn: Vec<_> = (0..CHURNING_THREADS)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut started = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    std::thread::spawn(|| {}).join().unwrap();
                    started += 1;
                }
                started
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let mut pids = Vec::new();
    for _ in 0..CHILDREN {
        pids.push(fork_child(&client));
        std::thread::sleep(Duration::from_millis(2));
    }
    let (hung, failed) = wait_all(pids);
    stop.store(true, Ordering::SeqCst);
    let started: u64 = churn.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(started > 0, "the churning thread started no thread");
    assert_eq!(
        (hung, failed),
        (0, 0),
        "of {CHILDREN} children forked while {started} std threads started and ended: \
         {hung} hung, {failed} failed"
    );
}
