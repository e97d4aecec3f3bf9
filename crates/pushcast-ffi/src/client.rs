//! `pushcast_config` and `pushcast_client`: the background publisher.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use ::pushcast_client::{Accepted, Client, ClientConfig};
use pushcast_core::Event;
use serde_json::json;

use crate::app::pushcast_app;
use crate::boundary::{
    arg_mut, arg_opt_str, arg_ref, arg_slice, arg_str, arg_text, c_enum, check_out, guard,
    guard_value, owned_string, pushcast_result, write_optional, write_out, CEnum, Failure,
};
use crate::config::set_all;
use crate::delivery::DeliveryCallback;

/// Publisher settings. Underneath: `pushcast_client::ClientConfig`.
///
/// Ownership: pushcast_config_new() / pushcast_config_free(). Thread-safety: not shared; use
/// from one thread at a time. pushcast_client_new() copies it (the delivery callback
/// included): free it right after if you like.
pub struct pushcast_config {
    pub(crate) config: ClientConfig,
    /// pushcast_config_set_delivery_callback()'s callback, if any.
    pub(crate) delivery: Option<Arc<DeliveryCallback>>,
}

/// What to do when the queue is full: one of the PUSHCAST_BACKPRESSURE_* values.
///
/// A plain `uint32_t`, not a C enum: pushcast_config_set_queue() refuses any other value with
/// PUSHCAST_RESULT_INVALID_CONFIG.
pub type pushcast_backpressure = u32;

/// Backpressure: fail with PUSHCAST_RESULT_QUEUE_FULL (the default).
pub const PUSHCAST_BACKPRESSURE_FAIL_FAST: pushcast_backpressure = 0;
/// Backpressure: wait for room up to the given timeout, then fail with
/// PUSHCAST_RESULT_QUEUE_FULL.
pub const PUSHCAST_BACKPRESSURE_BLOCK: pushcast_backpressure = 1;
/// Backpressure: drop the new event (counted, logged); publish reports
/// PUSHCAST_ACCEPTED_DROPPED.
pub const PUSHCAST_BACKPRESSURE_DROP_NEWEST: pushcast_backpressure = 2;
/// Backpressure: drop the oldest event not yet sent (counted, logged).
pub const PUSHCAST_BACKPRESSURE_DROP_OLDEST: pushcast_backpressure = 3;

/// The accepted pushcast_backpressure values.
pub(crate) const BACKPRESSURE: CEnum = c_enum!(
    pushcast_backpressure: PUSHCAST_BACKPRESSURE_FAIL_FAST,
    PUSHCAST_BACKPRESSURE_BLOCK,
    PUSHCAST_BACKPRESSURE_DROP_NEWEST,
    PUSHCAST_BACKPRESSURE_DROP_OLDEST,
);

/// What happened to a published event.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum pushcast_accepted {
    /// In the queue.
    Queued = 0,
    /// Dropped by the drop-newest policy (counted, logged).
    Dropped = 1,
}

/// One event to publish. All strings NUL-terminated UTF-8 except `data` (pointer + length).
/// A length larger than any object can be is refused before anything is read:
/// `channels_len` with PUSHCAST_RESULT_TOO_MANY_CHANNELS, `data_len` with
/// PUSHCAST_RESULT_PAYLOAD_TOO_LARGE.
#[repr(C)]
pub struct pushcast_event {
    /// Array of `channels_len` channel names.
    pub channels: *const *const c_char,
    /// Number of channels (at least 1).
    pub channels_len: usize,
    /// Event name.
    pub name: *const c_char,
    /// The `data` string (JSON text), `data_len` bytes of UTF-8; NULL allowed when 0.
    pub data: *const u8,
    /// Length of `data` in bytes.
    pub data_len: usize,
    /// A socket id to exclude from delivery, or NULL.
    pub socket_id: *const c_char,
}

/// Creates settings for `app` (copied) and one endpoint base URL (`http://127.0.0.1:6001`).
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_new(
    app: *const pushcast_app,
    endpoint: *const c_char,
    config_out: *mut *mut pushcast_config,
) -> pushcast_result {
    guard(|| {
        check_out(config_out, "config_out")?;
        // SAFETY: caller's contract.
        let (app, endpoint) = unsafe { (arg_ref(app, "app")?, arg_str(endpoint, "endpoint")?) };
        let config = ClientConfig::new(app.app.clone(), endpoint);
        // SAFETY: checked non-NULL above.
        unsafe {
            write_out(
                config_out,
                Box::into_raw(Box::new(pushcast_config {
                    config,
                    delivery: None,
                })),
            )
        };
        Ok(())
    })
}

/// Adds another endpoint (failover and load spreading).
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_add_endpoint(
    config: *mut pushcast_config,
    endpoint: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (c, endpoint) = unsafe { (arg_mut(config, "config")?, arg_str(endpoint, "endpoint")?) };
        c.config.endpoints.push(endpoint.to_owned());
        Ok(())
    })
}

/// Sets the queue capacity (events), the backpressure policy (with its timeout for Block) and
/// the most requests in flight. A `policy` that is none of the PUSHCAST_BACKPRESSURE_* values
/// is PUSHCAST_RESULT_INVALID_CONFIG, and the config is left as it was. The capacity (at least
/// 1) and `max_in_flight` (1 to 256) are checked by pushcast_client_new().
///
/// The same as pushcast_config_set() with `queue_capacity`, `backpressure`,
/// `block_timeout_ms` and `max_in_flight`, all or none.
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_set_queue(
    config: *mut pushcast_config,
    capacity: usize,
    policy: pushcast_backpressure,
    block_timeout_ms: u64,
    max_in_flight: usize,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let c = unsafe { arg_mut(config, "config")? };
        let policy = match policy {
            PUSHCAST_BACKPRESSURE_FAIL_FAST => "fail_fast",
            PUSHCAST_BACKPRESSURE_BLOCK => "block",
            PUSHCAST_BACKPRESSURE_DROP_NEWEST => "drop_newest",
            PUSHCAST_BACKPRESSURE_DROP_OLDEST => "drop_oldest",
            other => return Err(BACKPRESSURE.refuse("policy", other)),
        };
        set_all(
            c,
            &[
                ("queue_capacity", capacity.to_string()),
                ("backpressure", policy.to_owned()),
                ("block_timeout_ms", block_timeout_ms.to_string()),
                ("max_in_flight", max_in_flight.to_string()),
            ],
        )
    })
}

/// Sets the timeouts, in milliseconds: connect, whole request, delivery (per event, retries
/// included) and shutdown (how long pushcast_client_free() waits for pending events). The same
/// as pushcast_config_set() with the four `*_timeout_ms` keys, all or none.
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_set_timeouts(
    config: *mut pushcast_config,
    connect_ms: u64,
    request_ms: u64,
    delivery_ms: u64,
    shutdown_ms: u64,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let c = unsafe { arg_mut(config, "config")? };
        set_all(
            c,
            &[
                ("connect_timeout_ms", connect_ms.to_string()),
                ("request_timeout_ms", request_ms.to_string()),
                ("delivery_timeout_ms", delivery_ms.to_string()),
                ("shutdown_timeout_ms", shutdown_ms.to_string()),
            ],
        )
    })
}

/// TLS: an extra PEM CA file to trust (NULL: none), and whether to skip certificate checks
/// entirely (dangerous; prints a warning when the client starts). The same as
/// pushcast_config_set() with `ca_file` and `danger_accept_invalid_certs`, all or none.
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_set_tls(
    config: *mut pushcast_config,
    ca_file: *const c_char,
    danger_accept_invalid_certs: bool,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (c, ca) = unsafe { (arg_mut(config, "config")?, arg_opt_str(ca_file, "ca_file")?) };
        set_all(
            c,
            &[
                ("ca_file", ca.unwrap_or_default().to_owned()),
                (
                    "danger_accept_invalid_certs",
                    danger_accept_invalid_certs.to_string(),
                ),
            ],
        )
    })
}

/// Frees a config. NULL is allowed.
///
/// # Safety
/// `config` must be NULL or a live config, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_free(config: *mut pushcast_config) {
    guard_value((), || {
        if !config.is_null() {
            // SAFETY: made by Box::into_raw in pushcast_config_new, freed once by contract.
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

/// The background publisher. Underneath: `pushcast_client::Client`.
///
/// Ownership: pushcast_client_new() / pushcast_client_free(). Thread-safety: every function
/// may be called from several threads at once. Threads: none until the first publish or
/// query; then one I/O thread (with the durable spool, a spool thread too). After fork():
/// the child's first call starts its own engine; the parent's queued events stay the parent's.
///
/// Lifecycle: 1. pushcast_client_new  2. publish / confirmed / batch / queries, from any
/// thread  3. optional pushcast_client_flush or _shutdown  4. pushcast_client_free (flushes
/// for the configured shutdown timeout, then abandons and reports the rest).
pub struct pushcast_client {
    pub(crate) client: Client,
    /// The config's delivery callback, for pushcast_client_publish_message().
    pub(crate) delivery: Option<Arc<DeliveryCallback>>,
}

/// Checks the settings and creates a client. Starts no thread.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_new(
    config: *const pushcast_config,
    client_out: *mut *mut pushcast_client,
) -> pushcast_result {
    guard(|| {
        check_out(client_out, "client_out")?;
        // SAFETY: caller's contract.
        let config = unsafe { arg_ref(config, "config")? };
        let client = pushcast_client {
            client: Client::new(config.config.clone())?,
            delivery: config.delivery.clone(),
        };
        // SAFETY: checked non-NULL above.
        unsafe { write_out(client_out, Box::into_raw(Box::new(client))) };
        Ok(())
    })
}

/// Frees a client after flushing for its shutdown timeout. NULL is allowed. Blocks up to that
/// timeout.
///
/// # Safety
/// `client` must be NULL or a live client no other thread uses any more.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_free(client: *mut pushcast_client) {
    guard_value((), || {
        if !client.is_null() {
            // SAFETY: made by Box::into_raw in pushcast_client_new, freed once by contract.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Reads a C event description into a core event.
///
/// # Safety
/// `event`'s pointers must be valid as documented on pushcast_event.
unsafe fn read_event(e: &pushcast_event) -> Result<Event, Failure> {
    use pushcast_result as R;
    // SAFETY: `channels_len` pointers per the contract.
    let raw = unsafe {
        arg_slice(
            e.channels,
            e.channels_len,
            "event.channels",
            R::TooManyChannels,
        )?
    };
    let channels = raw
        .iter()
        // SAFETY: each channel name per the contract.
        .map(|c| unsafe { arg_str(*c, "event.channels[i]") }.map(str::to_owned))
        .collect::<Result<Vec<String>, _>>()?;
    // SAFETY: per the contract.
    let (name, data, socket) = unsafe {
        (
            arg_str(e.name, "event.name")?,
            arg_text(e.data, e.data_len, "event.data", R::PayloadTooLarge)?,
            arg_opt_str(e.socket_id, "event.socket_id")?,
        )
    };
    let mut event = Event::new(channels, name, data);
    event.socket_id = socket.map(str::to_owned);
    Ok(event)
}

/// Validates and queues an event; never waits on the network (except under the Block policy,
/// up to its timeout). `accepted_out` may be NULL.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_publish(
    client: *const pushcast_client,
    event: *const pushcast_event,
    accepted_out: *mut pushcast_accepted,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, event) = unsafe { (arg_ref(client, "client")?, arg_ref(event, "event")?) };
        // SAFETY: caller's contract.
        let accepted = client.client.publish(unsafe { read_event(event)? })?;
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_optional(accepted_out, accepted_code(accepted)) };
        Ok(())
    })
}

pub(crate) fn accepted_code(a: Accepted) -> pushcast_accepted {
    match a {
        Accepted::Queued => pushcast_accepted::Queued,
        Accepted::Dropped => pushcast_accepted::Dropped,
    }
}

/// Validates all `events_len` events first, then queues them all (none if any is invalid).
/// An `events_len` larger than any array can be is PUSHCAST_RESULT_TOO_MANY_EVENTS.
///
/// # Safety
/// `events` must point to `events_len` valid event descriptions.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_publish_batch(
    client: *const pushcast_client,
    events: *const pushcast_event,
    events_len: usize,
    accepted_out: *mut pushcast_accepted,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, events) = unsafe {
            (
                arg_ref(client, "client")?,
                arg_slice(events, events_len, "events", pushcast_result::TooManyEvents)?,
            )
        };
        // Collected without reserving `events_len` up front: the events are read one by one.
        let all = events
            .iter()
            // SAFETY: each description per the contract.
            .map(|e| unsafe { read_event(e) })
            .collect::<Result<Vec<_>, _>>()?;
        let accepted = client.client.publish_batch(all)?;
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_optional(accepted_out, accepted_code(accepted)) };
        Ok(())
    })
}

/// Queues an event and blocks up to `timeout_ms` for the server's acknowledgement of every
/// channel. On PUSHCAST_RESULT_TIMEOUT the event stays queued and may still be delivered.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_publish_confirmed(
    client: *const pushcast_client,
    event: *const pushcast_event,
    timeout_ms: u64,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, event) = unsafe { (arg_ref(client, "client")?, arg_ref(event, "event")?) };
        // SAFETY: caller's contract.
        let event = unsafe { read_event(event)? };
        client
            .client
            .publish_confirmed(event, Duration::from_millis(timeout_ms))?;
        Ok(())
    })
}

/// Queues `name` with `data_json` for the user's `#server-to-user-{user_id}` channel.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_send_to_user(
    client: *const pushcast_client,
    user_id: *const c_char,
    name: *const c_char,
    data_json: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, user, name, data) = unsafe {
            (
                arg_ref(client, "client")?,
                arg_str(user_id, "user_id")?,
                arg_str(name, "name")?,
                arg_str(data_json, "data_json")?,
            )
        };
        client.client.send_to_user(user, name, data)?;
        Ok(())
    })
}

/// Blocks up to `timeout_ms` for every pending event to be resolved; writes what is still
/// pending to `*pending_out` (may be NULL).
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_flush(
    client: *const pushcast_client,
    timeout_ms: u64,
    pending_out: *mut u64,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let client = unsafe { arg_ref(client, "client")? };
        let report = client.client.flush(Duration::from_millis(timeout_ms));
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_optional(pending_out, report.pending) };
        Ok(())
    })
}

/// Flushes up to `timeout_ms`, then stops the engine; what is still pending is abandoned,
/// counted and logged, and its number written to `*abandoned_out` (may be NULL). A later
/// publish starts a new engine.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_shutdown(
    client: *const pushcast_client,
    timeout_ms: u64,
    abandoned_out: *mut u64,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let client = unsafe { arg_ref(client, "client")? };
        let report = client.client.shutdown(Duration::from_millis(timeout_ms));
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_optional(abandoned_out, report.pending) };
        Ok(())
    })
}

/// Takes the recent failures as a JSON array of the failure record every binding reports:
/// `[{"event", "channel", "error", "code", "at"}]` (`code`: a pushcast_result number; `at`:
/// when pushcast gave up, seconds since the Unix epoch, fractional). The caller frees
/// `*json_out` with pushcast_string_free().
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_drain_failures(
    client: *const pushcast_client,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        check_out(json_out, "json_out")?;
        // SAFETY: caller's contract.
        let client = unsafe { arg_ref(client, "client")? };
        let list: Vec<serde_json::Value> = client
            .client
            .drain_failures()
            .iter()
            .map(::pushcast_client::Failure::to_json)
            .collect();
        // SAFETY: checked non-NULL above.
        unsafe {
            write_out(
                json_out,
                owned_string(serde_json::Value::Array(list).to_string())?,
            )
        };
        Ok(())
    })
}

/// Runs a query and writes its JSON answer.
fn query_json(
    json_out: *mut *mut c_char,
    run: impl FnOnce() -> Result<serde_json::Value, pushcast_core::Error>,
) -> Result<(), Failure> {
    check_out(json_out, "json_out")?;
    let value = run()?;
    // SAFETY: checked non-NULL above.
    unsafe { write_out(json_out, owned_string(value.to_string())?) };
    Ok(())
}

/// `GET /channels` (prefix and info may be NULL); blocks up to the request timeout. Writes
/// `{"channels": {name: {..}}}`.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_channels(
    client: *const pushcast_client,
    filter_by_prefix: *const c_char,
    info: *const c_char,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, prefix, info) = unsafe {
            (
                arg_ref(client, "client")?,
                arg_opt_str(filter_by_prefix, "filter_by_prefix")?,
                arg_opt_str(info, "info")?,
            )
        };
        query_json(json_out, || {
            let r = client.client.channels(prefix, info)?;
            Ok(json!({ "channels": r.channels }))
        })
    })
}

/// `GET /channels/{channel}` (info may be NULL); blocks up to the request timeout.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_channel_info(
    client: *const pushcast_client,
    channel: *const c_char,
    info: *const c_char,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, channel, info) = unsafe {
            (
                arg_ref(client, "client")?,
                arg_str(channel, "channel")?,
                arg_opt_str(info, "info")?,
            )
        };
        query_json(json_out, || {
            Ok(json!(client.client.channel_info(channel, info)?))
        })
    })
}

/// `GET /channels/{channel}/users` (presence channels); writes a JSON array of user ids.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_presence_users(
    client: *const pushcast_client,
    channel: *const c_char,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, channel) =
            unsafe { (arg_ref(client, "client")?, arg_str(channel, "channel")?) };
        query_json(json_out, || {
            Ok(json!(client.client.presence_users(channel)?))
        })
    })
}

/// `POST /users/{user_id}/terminate_connections`; blocks up to the request timeout.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_terminate_user_connections(
    client: *const pushcast_client,
    user_id: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, user) = unsafe { (arg_ref(client, "client")?, arg_str(user_id, "user_id")?) };
        client.client.terminate_user_connections(user)?;
        Ok(())
    })
}
