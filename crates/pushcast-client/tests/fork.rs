//! Fork safety: children of a process whose engine is running (with events still queued at
//! the moment of the fork) publish through the same `Client` without hanging, and nothing is
//! lost or duplicated on either side.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pushcast_client::{Client, ClientConfig};
use pushcast_core::Event;
use pushcast_testkit::{Sockudo, Subscriber, APP_KEY};

const FORKS: usize = 10;
const PER_CHILD: usize = 50;
const PER_ROUND_PARENT: usize = 200;

fn publish(client: &Client, who: &str, from: usize, count: usize) {
    for i in from..from + count {
        client
            .publish(Event::new(
                ["forked"],
                "Tick",
                format!(r#"{{"who":"{who}","seq":{i}}}"#),
            ))
            .unwrap();
    }
}

/// Runs in the child: publish, flush, and report success through the exit code.
fn child(client: &Client, round: usize) -> ! {
    let who = format!("child{round}");
    publish(client, &who, 0, PER_CHILD);
    let report = client.flush(Duration::from_secs(20));
    let ok = report.pending == 0
        && report.stats.enqueued == PER_CHILD as u64
        && report.stats.delivered == PER_CHILD as u64;
    // _exit: no destructors, no atexit handlers of the parent's test harness.
    // SAFETY: terminating the child process; nothing runs after this call.
    unsafe { libc::_exit(if ok { 0 } else { 3 }) }
}

fn wait_child(pid: libc::pid_t) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            };
        }
        if Instant::now() > deadline {
            // SAFETY: killing our own hung child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("child {pid} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn forked_children_publish_without_hanging_losing_or_duplicating() {
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "forked");
    let client = Client::new(ClientConfig::new(app, server.url())).unwrap();

    for round in 0..FORKS {
        // Leave events queued in the parent at the moment of the fork.
        publish(
            &client,
            "parent",
            round * PER_ROUND_PARENT,
            PER_ROUND_PARENT,
        );
        // SAFETY: fork in a test process; the child only publishes and _exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            child(&client, round);
        }
        assert_eq!(
            wait_child(pid),
            0,
            "child {round} failed its own accounting"
        );
    }
    assert_eq!(client.flush(Duration::from_secs(30)).pending, 0);

    let expected = FORKS * (PER_ROUND_PARENT + PER_CHILD);
    assert_eq!(sub.wait_for(expected, Duration::from_secs(20)), expected);
    std::thread::sleep(Duration::from_millis(200)); // a duplicate would arrive by now
    let mut per_sender: HashMap<String, Vec<u64>> = HashMap::new();
    for e in sub.events() {
        let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
        per_sender
            .entry(v["who"].as_str().unwrap().to_owned())
            .or_default()
            .push(v["seq"].as_u64().unwrap());
    }
    let parent = &per_sender["parent"];
    assert_eq!(
        parent.len(),
        FORKS * PER_ROUND_PARENT,
        "parent events lost or duplicated"
    );
    assert!(
        parent.windows(2).all(|w| w[0] < w[1]),
        "parent order broken"
    );
    for round in 0..FORKS {
        let got = &per_sender[&format!("child{round}")];
        assert_eq!(got.len(), PER_CHILD, "child {round}");
        assert!(got.windows(2).all(|w| w[0] < w[1]));
    }
    let s = client.stats();
    assert_eq!(
        (s.enqueued, s.delivered),
        (
            (FORKS * PER_ROUND_PARENT) as u64,
            (FORKS * PER_ROUND_PARENT) as u64
        )
    );
}
