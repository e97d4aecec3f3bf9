//! The durable spool's settings.

use std::ffi::c_char;
use std::time::Duration;

use ::pushcast_client::{SpoolConfig, SpoolSync};

use crate::boundary::{arg_mut, arg_str, c_enum, guard, pushcast_result, CEnum};
use crate::client::pushcast_config;

/// How hard the spool pushes writes to disk: one of the PUSHCAST_SPOOL_SYNC_* values.
///
/// A plain `uint32_t`, not a C enum: pushcast_config_set_spool() refuses any other value with
/// PUSHCAST_RESULT_INVALID_CONFIG.
pub type pushcast_spool_sync = u32;

/// Spool sync: never fsync; an accepted event survives the process dying, not a power loss.
pub const PUSHCAST_SPOOL_SYNC_NONE: pushcast_spool_sync = 0;
/// Spool sync: fsync every `sync_interval_ms` in the background; a power loss loses at most
/// that much.
pub const PUSHCAST_SPOOL_SYNC_INTERVAL: pushcast_spool_sync = 1;
/// Spool sync: fsync before publish returns; an accepted event survives a power loss (one
/// fsync per call; pushcast_client_publish_batch() shares it among the batch).
pub const PUSHCAST_SPOOL_SYNC_EVERY_EVENT: pushcast_spool_sync = 2;

/// The accepted pushcast_spool_sync values.
pub(crate) const SPOOL_SYNC: CEnum = c_enum!(
    pushcast_spool_sync: PUSHCAST_SPOOL_SYNC_NONE,
    PUSHCAST_SPOOL_SYNC_INTERVAL,
    PUSHCAST_SPOOL_SYNC_EVERY_EVENT,
);

/// Turns the durable spool on: accepted events are written under `dir` (created if missing)
/// before publish returns, survive the process, and are replayed by the next process that
/// opens the same directory. `max_bytes` bounds the spool (0: 256 MiB) and the backpressure
/// policy applies there, failing with PUSHCAST_RESULT_SPOOL_FULL; `max_age_ms` (0: 24 h) is
/// how long an event may wait for delivery. The spool opens at the client's first use;
/// failures to open or write it are PUSHCAST_RESULT_SPOOL. A `sync` that is none of the
/// PUSHCAST_SPOOL_SYNC_* values (or INTERVAL with `sync_interval_ms` 0) is
/// PUSHCAST_RESULT_INVALID_CONFIG, and the config is left as it was; the rest is checked by
/// pushcast_client_new().
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
            PUSHCAST_SPOOL_SYNC_NONE => SpoolSync::None,
            PUSHCAST_SPOOL_SYNC_INTERVAL => {
                SpoolSync::parse("interval", Duration::from_millis(sync_interval_ms))?
            }
            PUSHCAST_SPOOL_SYNC_EVERY_EVENT => SpoolSync::EveryEvent,
            other => return Err(SPOOL_SYNC.refuse("sync", other)),
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
