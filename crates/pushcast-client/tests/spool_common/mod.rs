//! Helpers shared by the spool test files (`spool.rs`, `spool_hardening.rs`).

use std::path::Path;

use pushcast_testkit::{Sockudo, Subscriber, APP_KEY};

/// The channel every spool test publishes on.
pub const CHANNEL: &str = "orders";

/// The `seq` field of each event the subscriber received, in arrival order.
pub fn seqs(sub: &Subscriber) -> Vec<u64> {
    sub.events()
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            v["seq"].as_u64().unwrap()
        })
        .collect()
}

/// A subscriber on [`CHANNEL`] of `server`.
pub fn listening(server: &Sockudo) -> Subscriber {
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&server.app(), CHANNEL);
    sub
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
