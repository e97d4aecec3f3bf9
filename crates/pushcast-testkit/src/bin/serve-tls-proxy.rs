//! Starts a local TLS proxy (Debian nginx, certificates made for this run) in front of a server
//! on a loopback port, for shell-driven suites and benchmarks ("over TLS" figures).
//!
//! Usage: `serve-tls-proxy UPSTREAM_PORT [valid|expired]` (default `valid`). Prints `port N`
//! (the TLS port on 127.0.0.1) and `ca PATH` (the PEM CA to trust) once nginx listens, then runs
//! until standard input closes, and stops nginx on the way out.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::io::{Read, Write};

use pushcast_testkit::{CertKind, TlsProxy};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: serve-tls-proxy UPSTREAM_PORT [valid|expired]";
    let upstream: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{usage}"));
    let kind = match args.next() {
        None => CertKind::Valid,
        Some(name) => CertKind::parse(&name).unwrap_or_else(|| panic!("{usage}")),
    };
    let proxy = TlsProxy::start(upstream, kind);
    println!("port {}", proxy.port);
    println!("ca {}", proxy.ca_file.display());
    std::io::stdout().flush().unwrap();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(proxy);
}
