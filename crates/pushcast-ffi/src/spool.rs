//! The durable spool's settings.

use std::ffi::c_char;

use crate::boundary::{arg_mut, arg_str, c_enum, guard, pushcast_result, CEnum};
use crate::client::pushcast_config;
use crate::config::set_all;

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
/// pushcast_client_new(). The same as pushcast_config_set() with `spool` and the `spool_*`
/// keys, all or none.
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
        let level = match sync {
            PUSHCAST_SPOOL_SYNC_NONE => "none",
            PUSHCAST_SPOOL_SYNC_INTERVAL => "interval",
            PUSHCAST_SPOOL_SYNC_EVERY_EVENT => "every_event",
            other => return Err(SPOOL_SYNC.refuse("sync", other)),
        };
        let mut pairs = vec![("spool", dir.to_owned()), ("spool_sync", level.to_owned())];
        if sync == PUSHCAST_SPOOL_SYNC_INTERVAL {
            pairs.push(("spool_sync_interval_ms", sync_interval_ms.to_string()));
        }
        // 0 keeps the library's default, as documented above.
        if max_bytes > 0 {
            pairs.push(("spool_max_bytes", max_bytes.to_string()));
        }
        if max_age_ms > 0 {
            pairs.push(("spool_max_age_ms", max_age_ms.to_string()));
        }
        set_all(c, &pairs)
    })
}
