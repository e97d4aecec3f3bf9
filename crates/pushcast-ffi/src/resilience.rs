//! Circuit breaker and conflation settings, and the Prometheus metrics text.

use std::ffi::c_char;
use std::time::Duration;

use ::pushcast_client::ConflateRule;

use crate::boundary::{
    arg_mut, arg_opt_str, arg_ref, c_enum, check_out, guard, owned_string, pushcast_result,
    write_out, CEnum,
};
use crate::client::{pushcast_client, pushcast_config};
use crate::config::set_all;

/// What publish does while every endpoint's circuit is open: one of the
/// PUSHCAST_BREAKER_POLICY_* values.
///
/// A plain `uint32_t`, not a C enum: pushcast_config_set_breaker() refuses any other value with
/// PUSHCAST_RESULT_INVALID_CONFIG.
pub type pushcast_breaker_policy = u32;

/// Breaker policy: queue as usual (the default); queued events wait for a probe to close a
/// circuit.
pub const PUSHCAST_BREAKER_POLICY_QUEUE: pushcast_breaker_policy = 0;
/// Breaker policy: fail at once with PUSHCAST_RESULT_CIRCUIT_OPEN (counted).
pub const PUSHCAST_BREAKER_POLICY_FAIL_FAST: pushcast_breaker_policy = 1;
/// Breaker policy: with the durable spool (pushcast_config_set_spool()), events wait on disk
/// while every circuit is open, memory holds one probe batch. Without a spool, as QUEUE.
pub const PUSHCAST_BREAKER_POLICY_SPOOL: pushcast_breaker_policy = 2;

/// The accepted pushcast_breaker_policy values.
pub(crate) const BREAKER_POLICY: CEnum = c_enum!(
    pushcast_breaker_policy: PUSHCAST_BREAKER_POLICY_QUEUE,
    PUSHCAST_BREAKER_POLICY_FAIL_FAST,
    PUSHCAST_BREAKER_POLICY_SPOOL,
);

/// Sets the circuit breaker: `failure_threshold` consecutive failed attempts to an endpoint
/// (connection error, timeout, 5xx) open its circuit for `cooldown_ms`, then one probe
/// request closes it or re-opens it with a doubled cool-down up to `cooldown_max_ms`.
/// `failure_threshold` 0 turns the breaker off. A `policy` that is none of the
/// PUSHCAST_BREAKER_POLICY_* values is PUSHCAST_RESULT_INVALID_CONFIG, and the config is left
/// as it was; the rest is checked by pushcast_client_new(). The same as pushcast_config_set()
/// with the four `breaker_*` keys, all or none.
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_set_breaker(
    config: *mut pushcast_config,
    failure_threshold: u32,
    cooldown_ms: u64,
    cooldown_max_ms: u64,
    policy: pushcast_breaker_policy,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let c = unsafe { arg_mut(config, "config")? };
        let policy = match policy {
            PUSHCAST_BREAKER_POLICY_QUEUE => "queue",
            PUSHCAST_BREAKER_POLICY_FAIL_FAST => "fail_fast",
            PUSHCAST_BREAKER_POLICY_SPOOL => "spool",
            other => return Err(BREAKER_POLICY.refuse("policy", other)),
        };
        set_all(
            c,
            &[
                ("breaker_failure_threshold", failure_threshold.to_string()),
                ("breaker_cooldown_ms", cooldown_ms.to_string()),
                ("breaker_cooldown_max_ms", cooldown_max_ms.to_string()),
                ("breaker_open_policy", policy.to_owned()),
            ],
        )
    })
}

/// Adds a conflation rule: events whose name matches `event_glob` and whose channel matches
/// `channel_glob` (globs with `*` and `?`; either may be NULL, not both), with the same value
/// of the payload's top-level field `key` (NULL: no key), replace a still-queued earlier one
/// published within `window_ms` of its run's first event. Checked by pushcast_client_new().
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile; strings NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_add_conflate_rule(
    config: *mut pushcast_config,
    event_glob: *const c_char,
    channel_glob: *const c_char,
    key: *const c_char,
    window_ms: u64,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (c, event, channel, key) = unsafe {
            (
                arg_mut(config, "config")?,
                arg_opt_str(event_glob, "event_glob")?,
                arg_opt_str(channel_glob, "channel_glob")?,
                arg_opt_str(key, "key")?,
            )
        };
        c.config.conflate.push(ConflateRule {
            event: event.map(str::to_owned),
            channel: channel.map(str::to_owned),
            key: key.map(str::to_owned),
            window: Duration::from_millis(window_ms),
        });
        Ok(())
    })
}

/// Writes the live statistics in the Prometheus text format (counters, queue gauges, the
/// latency histogram, each endpoint's circuit state) to `*text_out`. Never blocks. The
/// caller frees `*text_out` with pushcast_string_free().
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_metrics(
    client: *const pushcast_client,
    text_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        check_out(text_out, "text_out")?;
        // SAFETY: caller's contract.
        let client = unsafe { arg_ref(client, "client")? };
        let text = client.client.metrics();
        // SAFETY: checked non-NULL above.
        unsafe { write_out(text_out, owned_string(text)?) };
        Ok(())
    })
}
