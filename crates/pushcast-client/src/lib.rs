//! # pushcast-client
//!
//! A bounded background publisher for Pusher-protocol servers. `publish` validates an event and
//! puts it in a bounded queue without waiting on the network; a background engine (started
//! lazily on first use, and again after `fork()`) batches queued events into `batch_events`
//! requests within the server profile's limits, keeps up to `max_in_flight` requests in flight
//! while preserving per-channel order, retries with backoff and jitter, and accounts for every
//! event: delivered, failed (and logged), dropped by policy (and counted), or abandoned at
//! shutdown (and reported).
//!
//! Threads: one I/O thread (a tokio runtime running the dispatcher, which batches and
//! serializes, and the lanes, which drive the HTTP client), started on first use, never at load
//! time; with the durable spool (opt-in), a spool thread too.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod admission;
mod ahead;
mod breaker;
mod client;
mod config;
mod conflate;
mod deadline;
mod direct;
mod dispatch;
mod engine;
mod failover;
mod failures;
mod fork;
mod histogram;
mod http1;
mod item;
mod lane;
mod log;
mod metrics;
mod report;
mod shared;
mod spool;
mod stages;
mod stats;
mod sync;
mod thread;
mod transport;
mod wake_policy;
mod wire;

pub use breaker::{CircuitState, EndpointCircuit};
pub use client::{Accepted, Client, Confirmed, FlushReport, PendingCall, Tracked};
pub use config::{
    Backpressure, BreakerOpenPolicy, ClientConfig, ConflateRule, LogFn, LogLevel, LogSink,
};
pub use config::{SpoolConfig, SpoolSync};
pub use failures::Failure;
pub use log::set_process_log_sink;
pub use pushcast_core;
pub use report::DeliveryReport;
pub use stages::StageLatency;
pub use stats::StatsSnapshot;
