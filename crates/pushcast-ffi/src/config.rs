//! `pushcast_config_set`: every client setting by name, as text (librdkafka's
//! `rd_kafka_conf_set`). The names, defaults, parsing and checks are
//! `pushcast_client::ClientConfig::set`'s; the positional setters are thin wrappers over it.

use std::ffi::c_char;

use crate::boundary::{arg_mut, arg_str, guard, pushcast_result, Failure};
use crate::client::pushcast_config;

/// Sets one setting by name from its text, e.g. `("backpressure", "block")`,
/// `("block_timeout_ms", "250")`. Only the settings you name change; the others keep the
/// library's defaults. An unknown key, or a value that does not parse, is
/// PUSHCAST_RESULT_INVALID_CONFIG with a message naming the key, and the config is left as it
/// was; limits involving several settings are checked by pushcast_client_new().
///
/// Keys (durations in milliseconds, sizes in events or bytes, flags `true`/`false`):
/// `queue_capacity`, `backpressure` (`fail_fast`, `block`, `drop_newest`, `drop_oldest`),
/// `block_timeout_ms`, `max_in_flight`, `connect_timeout_ms`, `request_timeout_ms`,
/// `delivery_timeout_ms`, `shutdown_timeout_ms`, `retry_base_ms`, `retry_max_ms`,
/// `max_failures_kept`, `ca_file` (empty: none), `danger_accept_invalid_certs`,
/// `breaker_failure_threshold`, `breaker_cooldown_ms`, `breaker_cooldown_max_ms`,
/// `breaker_open_policy` (`queue`, `fail_fast`, `spool`), `spool` (a directory; empty: off),
/// and, after `spool`, `spool_sync` (`none`, `interval`, `every_event`),
/// `spool_sync_interval_ms`, `spool_max_bytes`, `spool_max_age_ms`. Endpoints and conflation
/// rules are lists: pushcast_config_add_endpoint(), pushcast_config_add_conflate_rule().
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile; `key` and `value` valid
/// NUL-terminated UTF-8.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_set(
    config: *mut pushcast_config,
    key: *const c_char,
    value: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (c, key, value) = unsafe {
            (
                arg_mut(config, "config")?,
                arg_str(key, "key")?,
                arg_str(value, "value")?,
            )
        };
        c.config.set(key, value)?;
        Ok(())
    })
}

/// Sets several settings at once, all or none: the positional setters' common step.
pub(crate) fn set_all(
    config: &mut pushcast_config,
    pairs: &[(&str, String)],
) -> Result<(), Failure> {
    let mut next = config.config.clone();
    for (key, value) in pairs {
        next.set(key, value)?;
    }
    config.config = next;
    Ok(())
}
