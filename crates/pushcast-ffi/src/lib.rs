//! libpushcast: the C ABI over `pushcast-core` and `pushcast-client`.
//!
//! No protocol logic lives here: each function checks its arguments, calls the core or the
//! client, and maps the one core error enum to a result code (boundary.rs, in one place).
//! Every exported function runs inside a panic guard. The header, include/pushcast.h, is
//! generated from these sources by the root build.rs; docs/c-api.md states the conventions.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
// C names for C types: the header is what users read.
#![allow(non_camel_case_types)]

mod app;
mod boundary;
mod client;
mod config;
mod delivery;
mod log;
mod message;
mod resilience;
mod spool;
mod stats;
#[cfg(test)]
mod test_handles;

pub use app::*;
pub use boundary::{
    pushcast_error, pushcast_error_code, pushcast_error_free, pushcast_error_http_status,
    pushcast_error_last, pushcast_error_message, pushcast_result, pushcast_result_code_at,
    pushcast_result_count, pushcast_result_name, pushcast_string_free, pushcast_version,
};
pub use client::*;
pub use config::*;
pub use delivery::*;
pub use log::*;
pub use message::*;
pub use resilience::*;
pub use spool::*;
pub use stats::*;
