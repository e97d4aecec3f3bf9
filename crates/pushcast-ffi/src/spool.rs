//! The durable spool's settings.

use std::ffi::c_char;
use std::time::Duration;

use ::pushcast_client::{SpoolConfig, SpoolSync};

use crate::boundary::{arg_mut, arg_str, guard, pushcast_result};
use crate::client::pushcast_config;

/// How hard the spool pushes writes to disk.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum pushcast_spool_sync {
    /// Never fsync: an accepted event survives the process dying, not a power loss.
    None = 0,
    /// fsync every `sync_interval_ms` in the background: a power loss loses at most that much.
    Interval = 1,
    /// fsync before publish returns: an accepted event survives a power loss (one fsync per
    /// call; pushcast_client_publish_batch() shares it among the batch).
    EveryEvent = 2,
}

/// Turns the durable spool on: accepted events are written under `dir` (created if missing)
/// before publish returns, survive the process, and are replayed by the next process that
/// opens the same directory. `max_bytes` bounds the spool (0: 256 MiB) and the backpressure
/// policy applies there, failing with PUSHCAST_RESULT_SPOOL_FULL; `max_age_ms` (0: 24 h) is
/// how long an event may wait for delivery. The spool opens at the client's first use;
/// failures to open or write it are PUSHCAST_RESULT_SPOOL. Checked by pushcast_client_new().
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile; `dir` a valid string.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_set_spool(
    config: *mut pushcast_config,
    dir: *const c_char,
    sync: pushcast_spool_sync,
    sync_interval_ms: u64,
    max_bytes: u64,
    max_age_ms: u64,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (c, dir) = unsafe { (arg_mut(config, "config")?, arg_str(dir, "dir")?) };
        let mut spool = SpoolConfig::new(dir);
        spool.sync = match sync {
            pushcast_spool_sync::None => SpoolSync::None,
            pushcast_spool_sync::Interval => {
                SpoolSync::parse("interval", Duration::from_millis(sync_interval_ms))?
            }
            pushcast_spool_sync::EveryEvent => SpoolSync::EveryEvent,
        };
        if max_bytes > 0 {
            spool.max_bytes = max_bytes;
        }
        if max_age_ms > 0 {
            spool.max_age = Duration::from_millis(max_age_ms);
        }
        c.config.spool = Some(spool);
        Ok(())
    })
}
