//! Starts a real sockudo (the test kit's settings) for shell-driven suites (C, Python, Go).
//!
//! Prints `port N` once the server is up, then runs until standard input closes, and kills the
//! server on the way out.

#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};

fn main() {
    let server = pushcast_testkit::Sockudo::start();
    println!("port {}", server.port);
    std::io::stdout().flush().unwrap();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(server);
}
