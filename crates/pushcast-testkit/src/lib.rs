//! Test and benchmark support for pushcast: real parts, started and stopped by the tests.
//!
//! - [`Sockudo`]: a real sockudo on a free loopback port (the binary from `SOCKUDO_BIN`, or
//!   built once by `scripts/lib/ensure-sockudo` into a version-keyed cache).
//! - [`Reverb`]: a real Laravel Reverb from `../shared/reverb` on a free loopback port (the
//!   tests skip where `../shared` is absent, except under CI).
//! - [`Subscriber`]: our tokio-tungstenite Pusher client, signing private/presence auth locally.
//! - [`Redis`]: a real `redis-server` on a free loopback port, no persistence (scale-out).
//! - [`FaultProxy`]: a TCP proxy that can refuse or stall connections, or refuse one event of a
//!   batch, for faults a real server cannot produce on demand.
//! - [`TlsProxy`]: Debian's nginx terminating TLS in front of a server, with certificates made
//!   per run ([`CertKind`]: valid or expired, from the proxy's own private CA).

// Test support: a failed expectation is a failed test, reported where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

pub mod bench;
pub mod certs;
pub mod measure;
pub mod proxy;
pub mod redis;
pub mod reverb;
pub mod scale_out;
pub mod sockudo;
pub mod subscriber;
pub mod tls;

pub use certs::CertKind;
pub use proxy::{FaultProxy, ProxyConnection, ProxyMode};
pub use redis::Redis;
pub use reverb::Reverb;
pub use sockudo::{Sockudo, SockudoOptions, APP_ID, APP_KEY, APP_SECRET};
pub use subscriber::{Received, Subscriber};
pub use tls::TlsProxy;

/// A free TCP port on 127.0.0.1 (bound and released; the caller binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// The workspace root (for scripts and fixtures).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}
