//! `pushcast_config_set_delivery_callback`: a per-message delivery report (librdkafka's
//! `dr_msg_cb`) for messages published with pushcast_client_publish_message(). Underneath:
//! `pushcast_client::Client::publish_reported`.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use ::pushcast_client::DeliveryReport;

use crate::boundary::{arg_mut, code_of, guard, guard_value, pushcast_result};
use crate::client::pushcast_config;

/// The outcome of one message published with pushcast_client_publish_message(), handed to the
/// delivery callback.
///
/// Ownership and lifetime: the library's, valid only during the callback (the strings too):
/// copy what you need to keep. Read it through the pointer and never make one yourself or rely
/// on its size: later versions may add fields at the end.
#[repr(C)]
pub struct pushcast_delivery_report {
    /// The message's correlation id (pushcast_message_set_correlation_id(); 0 if not set).
    pub correlation_id: u64,
    /// PUSHCAST_RESULT_OK when the server acknowledged every channel; else the code of the
    /// first failure (PUSHCAST_RESULT_TIMEOUT when the delivery timeout passed,
    /// PUSHCAST_RESULT_SHUT_DOWN when the client shut down first, ...).
    pub result: pushcast_result,
    /// The HTTP status of a server refusal (PUSHCAST_RESULT_API_ERROR), else 0.
    pub http_status: u16,
    /// The message's event name, NUL-terminated UTF-8.
    pub event_name: *const c_char,
    /// The first channel that failed, NUL-terminated UTF-8; NULL on success, and when the
    /// failure is not a channel's (a message left waiting in the spool at shutdown).
    pub failed_channel: *const c_char,
    /// The failure's message, NUL-terminated UTF-8 (as pushcast_error_message() would give
    /// it); NULL on success.
    pub error_message: *const c_char,
}

/// A delivery callback: the report (see pushcast_delivery_report for its lifetime) and the
/// `user_data` given to pushcast_config_set_delivery_callback().
///
/// Called once per message published with pushcast_client_publish_message() on a client made
/// from a config with this callback, once every channel of the message is resolved: delivered
/// or failed, including expired, dropped for a newer event by drop-oldest, and abandoned at
/// shutdown. Never called for a message the publish call refused (that call returns the error).
///
/// Threads: an engine thread calls it (the I/O thread, or the spool thread), possibly while
/// the engine holds a lock of its own; when the message is resolved before the publish call
/// returns, the publishing thread calls it, just before returning; rarely, the thread calling
/// pushcast_client_shutdown() or pushcast_client_free(). It must be thread-safe, return
/// promptly (it holds up delivery), and must not call any function of the same client (not
/// even a publish: hand the work to a thread of your own).
pub type pushcast_delivery_callback =
    Option<unsafe extern "C" fn(report: *const pushcast_delivery_report, user_data: *mut c_void)>;

/// The host's delivery callback and its user data, as a client holds them.
pub(crate) struct DeliveryCallback {
    function: unsafe extern "C" fn(*const pushcast_delivery_report, *mut c_void),
    user_data: *mut c_void,
}

// SAFETY: pushcast_config_set_delivery_callback()'s contract: the callback may be called from
// any thread with this user data, so the host made both usable from any thread.
unsafe impl Send for DeliveryCallback {}
// SAFETY: as above; the library only passes the pointer on, never reads it.
unsafe impl Sync for DeliveryCallback {}

impl DeliveryCallback {
    /// Calls the host with `report` for the message `correlation_id`; a panic while building
    /// the report stops here (the caller is an engine thread).
    pub(crate) fn deliver(&self, correlation_id: u64, report: &DeliveryReport) {
        guard_value((), || {
            // A NUL inside a text would cut it short in C: shown as '?' instead.
            let text = |s: &str| CString::new(s.replace('\0', "?")).ok();
            let event_name = text(&report.event);
            let failed_channel = report.failed_channel.as_deref().and_then(text);
            let (result, http_status, error_message) = match &report.result {
                Ok(_) => (pushcast_result::Ok, 0, None),
                Err(e) => (
                    code_of(e),
                    e.http_status().unwrap_or(0),
                    text(&e.to_string()),
                ),
            };
            let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
            let c_report = pushcast_delivery_report {
                correlation_id,
                result,
                http_status,
                event_name: event_name.as_ref().map_or(c"".as_ptr(), |s| s.as_ptr()),
                failed_channel: ptr(&failed_channel),
                error_message: ptr(&error_message),
            };
            // SAFETY: the host's function with its own user data and a report whose strings
            // live until the call returns, per pushcast_delivery_callback's contract.
            unsafe { (self.function)(&c_report, self.user_data) };
        });
    }
}

/// Sets the delivery callback of the clients made from this config (NULL `callback`: none, the
/// default). With a callback, pushcast_client_publish_message() reports each message it
/// accepts, once, to `callback` with `user_data` (see pushcast_delivery_callback for when and
/// on which thread), and publishes as a tracked publish: a full queue under the drop-newest
/// policy is PUSHCAST_RESULT_QUEUE_FULL instead of PUSHCAST_ACCEPTED_DROPPED, and reported
/// messages are never conflated. pushcast_client_publish(), _publish_batch(),
/// _publish_confirmed() and _publish_message_confirmed() report nothing through it.
///
/// With a spool, a message still waiting there when the client shuts down is reported with
/// PUSHCAST_RESULT_SHUT_DOWN (not delivered by this process), although it stays in the spool
/// and a later process replays it.
///
/// Thread-safety: `config` is used by one thread at a time. pushcast_client_new() copies the
/// callback with the rest of the config.
///
/// # Safety
/// `config` must be a live config used by no other thread meanwhile; `callback` NULL or a
/// function that follows pushcast_delivery_callback's contract; `user_data` (passed to it
/// unchanged, never read by the library) usable from any thread and valid until
/// pushcast_client_free() has returned for every client made from this config.
#[no_mangle]
pub unsafe extern "C" fn pushcast_config_set_delivery_callback(
    config: *mut pushcast_config,
    callback: pushcast_delivery_callback,
    user_data: *mut c_void,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let c = unsafe { arg_mut(config, "config")? };
        c.delivery = callback.map(|function| {
            Arc::new(DeliveryCallback {
                function,
                user_data,
            })
        });
        Ok(())
    })
}
