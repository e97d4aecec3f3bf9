//! An idle engine costs nothing: its threads sleep until there is work. Counted from the
//! kernel's per-thread context-switch counters (Linux `/proc`), not timed: a thread that wakes
//! on a timer switches once per wake-up.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Duration;

use pushcast_client::{Client, ClientConfig};
use pushcast_core::Event;
use pushcast_testkit::Sockudo;

/// Each engine thread of this process (named `pushcast-*`) → its voluntary + involuntary
/// context switches so far.
fn engine_thread_switches() -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let Ok(name) = std::fs::read_to_string(dir.join("comm")) else {
            continue; // the thread ended meanwhile
        };
        let name = name.trim().to_owned();
        if !name.starts_with("pushcast-") {
            continue;
        }
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        let switches: u64 = status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
            .sum();
        let tid = dir.file_name().unwrap().to_string_lossy().into_owned();
        out.insert(format!("{name}/{tid}"), switches);
    }
    out
}

#[test]
fn an_idle_engine_never_wakes() {
    let server = Sockudo::start();
    let client = Client::new(ClientConfig::new(server.app(), server.url())).unwrap();
    client.publish(Event::new(["idle"], "Once", "{}")).unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
    // Let the delivery's last steps (the answer's bookkeeping) settle.
    std::thread::sleep(Duration::from_millis(300));
    let before = engine_thread_switches();
    // One engine thread: the I/O thread, whose runtime also runs the dispatcher.
    assert_eq!(
        before
            .keys()
            .map(|t| t.split('/').next().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["pushcast-io"],
        "expected the I/O thread alone, found {before:?}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let after = engine_thread_switches();
    let woke: Vec<String> = after
        .iter()
        .filter_map(|(thread, n)| {
            let then = before.get(thread).copied().unwrap_or(0);
            (*n != then).then(|| format!("{thread}: {} switches", n - then))
        })
        .collect();
    assert!(
        woke.is_empty(),
        "idle for 2 s, engine threads woke: {woke:?}"
    );
    // And it still works after sleeping.
    client.publish(Event::new(["idle"], "Again", "{}")).unwrap();
    assert_eq!(client.flush(Duration::from_secs(10)).stats.delivered, 2);
}
