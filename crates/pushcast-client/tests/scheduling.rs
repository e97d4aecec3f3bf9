//! The I/O thread must never take its caller's core at the moment a publish wakes it: it runs
//! as `SCHED_BATCH` (see `thread::never_preempt_the_waker` for the measurements). Read from the
//! kernel's record of the thread (Linux `/proc`), not timed.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]
#![cfg(target_os = "linux")]

use std::time::Duration;

use pushcast_client::{Client, ClientConfig};
use pushcast_core::Event;
use pushcast_testkit::Sockudo;

/// `SCHED_BATCH` in `sched.h`.
const SCHED_BATCH: u32 = 3;
/// `SCHED_OTHER`, what every other thread of this process runs as.
const SCHED_OTHER: u32 = 0;

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

#[test]
fn the_io_thread_runs_as_sched_batch_and_the_caller_does_not() {
    let server = Sockudo::start();
    let client = Client::new(ClientConfig::new(server.app(), server.url())).unwrap();
    client.publish(Event::new(["sched"], "Once", "{}")).unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).stats.delivered, 1);
    assert_eq!(policies_of("pushcast-io"), [SCHED_BATCH]);
    // The caller's own thread is left as it was.
    let main: String = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
    assert_eq!(policies_of(main.trim()).first(), Some(&SCHED_OTHER));
}
