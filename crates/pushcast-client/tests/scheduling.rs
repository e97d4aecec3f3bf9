//! An idle engine's I/O thread must not take its caller's core at the moment a publish wakes
//! it: it parks as `SCHED_BATCH` when it holds no event, and works with the normal policy;
//! except in an engine whose publishers write an idle engine's events themselves (ahead.rs),
//! whose I/O thread keeps the normal policy (wake_policy.rs says why, with the measurements).
//! Read from the kernel's record of the thread (Linux `/proc`), not timed.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]
#![cfg(target_os = "linux")]

use std::io::Read;
use std::time::{Duration, Instant};

use pushcast_client::{Client, ClientConfig};
use pushcast_core::{Event, ServerProfile};
use pushcast_testkit::{Sockudo, SockudoOptions};

/// `SCHED_OTHER` and `SCHED_BATCH` in `sched.h`.
const SCHED_OTHER: u32 = 0;
const SCHED_BATCH: u32 = 3;

/// The scheduling policy of each thread of this process named `name` (field 41 of
/// `/proc/self/task/TID/stat`).
fn policies_of(name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
        // After the name's closing parenthesis, the state is field 3: field 41 is 38 on.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        out.push(fields[38].parse().unwrap());
    }
    out
}

/// Waits (up to 10 s) until the I/O thread's policy is `policy`.
fn io_thread_becomes(policy: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while policies_of("pushcast-io") != [policy] {
        assert!(
            Instant::now() < deadline,
            "the I/O thread's policy stayed {:?}, not {policy}",
            policies_of("pushcast-io")
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One test, three engines one after the other: each phase reads "the" I/O thread of the
/// process.
#[test]
fn the_io_thread_parks_as_sched_batch_only_when_the_engine_holds_nothing() {
    let server = Sockudo::start();
    an_idle_engine_parks_as_sched_batch_and_the_caller_is_left_alone(&server);
    no_io_thread_is_left();
    an_engine_waiting_for_an_answer_keeps_the_normal_policy();
    no_io_thread_is_left();
    an_engine_whose_publishers_write_ahead_keeps_the_normal_policy(&server);
}

fn no_io_thread_is_left() {
    assert!(
        policies_of("pushcast-io").is_empty(),
        "the previous engine's thread is still there"
    );
}

/// An app for `server` under a profile that keeps connections alive (hosted Pusher's): its
/// publishes always go through the I/O thread (no pre-dialled spare to write ahead on).
fn keep_alive_app(server: &Sockudo) -> pushcast_core::App {
    let limits = server.app();
    let mut profile = ServerProfile::pusher();
    profile.max_events_per_batch = limits.profile().max_events_per_batch;
    limits.with_profile(profile)
}

fn an_idle_engine_parks_as_sched_batch_and_the_caller_is_left_alone(server: &Sockudo) {
    let client = Client::new(ClientConfig::new(keep_alive_app(server), server.url())).unwrap();
    client.publish(Event::new(["sched"], "Once", "{}")).unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).stats.delivered, 1);
    io_thread_becomes(SCHED_BATCH);
    let main: String = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
    assert_eq!(policies_of(main.trim()).first(), Some(&SCHED_OTHER));
    // Shut down: its thread is joined.
    drop(client);
}

fn an_engine_waiting_for_an_answer_keeps_the_normal_policy() {
    // A server that takes the request and never answers: the event stays in flight.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (got_request, request_arrived) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            let mut conn = conn.unwrap();
            let mut byte = [0u8; 1];
            if conn.read(&mut byte).unwrap_or(0) == 1 {
                let _ = got_request.send(());
            }
            held.push(conn);
        }
    });
    let app = SockudoOptions::default().app();
    let mut profile = ServerProfile::pusher();
    profile.max_events_per_batch = app.profile().max_events_per_batch;
    let mut config = ClientConfig::new(app.with_profile(profile), url);
    config.delivery_timeout = Duration::from_secs(2);
    let client = Client::new(config).unwrap();
    client
        .publish(Event::new(["sched"], "Stuck", "{}"))
        .unwrap();
    request_arrived
        .recv_timeout(Duration::from_secs(10))
        .unwrap();
    // Woken out of idleness by the publish, and parked since with an event in flight.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(policies_of("pushcast-io"), [SCHED_OTHER]);
    // Once the event has failed (its deadline), nothing is held: idle again.
    assert_eq!(client.flush(Duration::from_secs(10)).stats.failed, 1);
    io_thread_becomes(SCHED_BATCH);
}

fn an_engine_whose_publishers_write_ahead_keeps_the_normal_policy(server: &Sockudo) {
    // sockudo's own profile over plain HTTP: it closes connections, so the engine pre-dials
    // and its publishers write an idle engine's events themselves.
    let client = Client::new(ClientConfig::new(server.app(), server.url())).unwrap();
    for _ in 0..3 {
        client
            .publish(Event::new(["sched"], "Ahead", "{}"))
            .unwrap();
        assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(policies_of("pushcast-io"), [SCHED_OTHER]);
    }
    assert_eq!(client.stats().delivered, 3);
}
