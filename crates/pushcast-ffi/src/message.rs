//! `pushcast_message`: an event the C caller builds through functions, so it can grow
//! (new attributes are new setters) without changing any struct layout; and publishing it:
//! queued (with a delivery report when the config has a callback) or confirmed, with the
//! server's per-channel info.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use pushcast_core::Event;
use serde_json::json;

use crate::boundary::{
    arg_mut, arg_opt_str, arg_ref, arg_str, arg_text, check_out, guard, guard_value, owned_string,
    pushcast_result, write_optional, write_out,
};
use crate::client::{accepted_code, pushcast_accepted, pushcast_client};

/// One event to publish, built through functions: pushcast_message_new() with the event
/// name, then pushcast_message_add_channel() (at least once), and as needed
/// pushcast_message_set_data(), _set_socket_id(), _set_info(), _set_correlation_id().
/// Nothing is checked until it is published, where the same validation as
/// pushcast_client_publish() runs before anything is queued.
///
/// Ownership: pushcast_message_new() / pushcast_message_free(). Publishing copies it, so it
/// may be freed, changed or published again right after the call returns. Thread-safety:
/// not shared; use from one thread at a time (publishing reads it).
pub struct pushcast_message {
    event: Event,
    correlation_id: u64,
}

/// Creates a message with event name `name` (copied), no channel, empty data (`""`), no
/// socket id, no info and correlation id 0.
///
/// # Safety
/// `name` must be NULL or valid NUL-terminated UTF-8; `message_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pushcast_message_new(
    name: *const c_char,
    message_out: *mut *mut pushcast_message,
) -> pushcast_result {
    guard(|| {
        check_out(message_out, "message_out")?;
        // SAFETY: caller's contract.
        let name = unsafe { arg_str(name, "name")? };
        let message = pushcast_message {
            event: Event::new(Vec::<String>::new(), name, ""),
            correlation_id: 0,
        };
        // SAFETY: checked non-NULL above.
        unsafe { write_out(message_out, Box::into_raw(Box::new(message))) };
        Ok(())
    })
}

/// Adds a channel (copied) to the message; the order of channels is kept.
///
/// # Safety
/// `message` must be a live message used by no other thread meanwhile; `channel` valid
/// NUL-terminated UTF-8.
#[no_mangle]
pub unsafe extern "C" fn pushcast_message_add_channel(
    message: *mut pushcast_message,
    channel: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (m, channel) = unsafe { (arg_mut(message, "message")?, arg_str(channel, "channel")?) };
        m.event.channels.push(channel.to_owned());
        Ok(())
    })
}

/// Sets the `data` string (JSON text): `data_len` bytes of UTF-8 at `data`, copied; NULL is
/// allowed when `data_len` is 0. Not UTF-8: PUSHCAST_RESULT_INVALID_UTF8; a length larger than
/// any object can be: PUSHCAST_RESULT_PAYLOAD_TOO_LARGE, before anything is read. On failure
/// the message keeps its data.
///
/// # Safety
/// `message` must be a live message used by no other thread meanwhile; `data` must point to
/// `data_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pushcast_message_set_data(
    message: *mut pushcast_message,
    data: *const u8,
    data_len: usize,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (m, data) = unsafe {
            (
                arg_mut(message, "message")?,
                arg_text(data, data_len, "data", pushcast_result::PayloadTooLarge)?,
            )
        };
        data.clone_into(&mut m.event.data);
        Ok(())
    })
}

/// Sets the socket id to exclude from delivery (copied); NULL removes it.
///
/// # Safety
/// `message` must be a live message used by no other thread meanwhile; `socket_id` NULL or
/// valid NUL-terminated UTF-8.
#[no_mangle]
pub unsafe extern "C" fn pushcast_message_set_socket_id(
    message: *mut pushcast_message,
    socket_id: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (m, socket) = unsafe {
            (
                arg_mut(message, "message")?,
                arg_opt_str(socket_id, "socket_id")?,
            )
        };
        m.event.socket_id = socket.map(str::to_owned);
        Ok(())
    })
}

/// Sets the Pusher trigger `info` attribute list (copied), comma-separated, e.g.
/// "subscription_count,user_count": the server then returns those attributes per channel,
/// which pushcast_client_publish_message_confirmed() hands back. NULL removes it.
///
/// # Safety
/// `message` must be a live message used by no other thread meanwhile; `info` NULL or valid
/// NUL-terminated UTF-8.
#[no_mangle]
pub unsafe extern "C" fn pushcast_message_set_info(
    message: *mut pushcast_message,
    info: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (m, info) = unsafe { (arg_mut(message, "message")?, arg_opt_str(info, "info")?) };
        m.event.info = info.map(str::to_owned);
        Ok(())
    })
}

/// Sets the caller's correlation id, a value the library never reads and hands back in the
/// message's delivery report (pushcast_delivery_report.correlation_id). Default 0.
///
/// # Safety
/// `message` must be a live message used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_message_set_correlation_id(
    message: *mut pushcast_message,
    correlation_id: u64,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let m = unsafe { arg_mut(message, "message")? };
        m.correlation_id = correlation_id;
        Ok(())
    })
}

/// Frees a message. NULL is allowed. Messages already published are not affected (publishing
/// copied them).
///
/// # Safety
/// `message` must be NULL or a live message, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pushcast_message_free(message: *mut pushcast_message) {
    guard_value((), || {
        if !message.is_null() {
            // SAFETY: made by Box::into_raw in pushcast_message_new, freed once by contract.
            drop(unsafe { Box::from_raw(message) });
        }
    })
}

/// Validates and queues a message, as pushcast_client_publish() does an event: every
/// validation error is returned before anything is queued; never waits on the network (except
/// under the Block policy, up to its timeout). `accepted_out` may be NULL.
///
/// Without a delivery callback, exactly pushcast_client_publish(). With one
/// (pushcast_config_set_delivery_callback()), a message this call accepts is reported once,
/// with its correlation id, when every channel is resolved; one it refuses is not reported
/// (the result is the refusal). A full queue under drop-newest is then
/// PUSHCAST_RESULT_QUEUE_FULL, so `*accepted_out` is always PUSHCAST_ACCEPTED_QUEUED.
///
/// Thread-safety: `client` may be used by several threads at once; `message` only by this one
/// during the call.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_publish_message(
    client: *const pushcast_client,
    message: *const pushcast_message,
    accepted_out: *mut pushcast_accepted,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, message) =
            unsafe { (arg_ref(client, "client")?, arg_ref(message, "message")?) };
        let event = message.event.clone();
        let accepted = match &client.delivery {
            None => client.client.publish(event)?,
            Some(callback) => {
                let (callback, id) = (Arc::clone(callback), message.correlation_id);
                client
                    .client
                    .publish_reported(event, move |report| callback.deliver(id, &report))?
            }
        };
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_optional(accepted_out, accepted_code(accepted)) };
        Ok(())
    })
}

/// Queues a message and blocks up to `timeout_ms` for the server's acknowledgement of every
/// channel, as pushcast_client_publish_confirmed(); on success writes the server's
/// per-channel info to `*channels_json_out` as the Pusher HTTP API returns it,
/// `{"channels":{"name":{"subscription_count":1}}}` (`{"channels":{}}` when the message asked
/// for no `info`, or the server reported none). `channels_json_out` may be NULL; the caller
/// frees the string with pushcast_string_free(). On PUSHCAST_RESULT_TIMEOUT the message stays
/// queued and may still be delivered. No delivery report: this result is the report.
///
/// Thread-safety: as pushcast_client_publish_message().
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_publish_message_confirmed(
    client: *const pushcast_client,
    message: *const pushcast_message,
    timeout_ms: u64,
    channels_json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (client, message) =
            unsafe { (arg_ref(client, "client")?, arg_ref(message, "message")?) };
        let confirmed = client
            .client
            .publish_confirmed(message.event.clone(), Duration::from_millis(timeout_ms))?;
        if !channels_json_out.is_null() {
            let json = owned_string(json!({ "channels": confirmed.channels }).to_string())?;
            // SAFETY: non-NULL (checked above) and writable, per the contract.
            unsafe { write_out(channels_json_out, json) };
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    /// Built through functions, published with the same validation as a pushcast_event: a
    /// message without channels or with a bad one is refused, and the refusal is typed.
    #[test]
    fn a_built_message_is_validated_like_an_event() {
        let (app, config) = crate::test_handles::app_and_config();
        let (mut client, mut message) = (std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: live handles and valid strings; every handle freed once below.
        unsafe {
            assert_eq!(
                pushcast_client_new(config, &mut client),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_message_new(c"e".as_ptr(), &mut message),
                pushcast_result::Ok
            );
            let publish = |m| pushcast_client_publish_message(client, m, std::ptr::null_mut());
            assert_eq!(publish(message), pushcast_result::NoChannels);
            assert_eq!(
                pushcast_message_add_channel(message, c"bad channel".as_ptr()),
                pushcast_result::Ok
            );
            assert_eq!(publish(message), pushcast_result::InvalidChannel);
            assert_eq!(
                pushcast_message_set_data(message, [0xffu8].as_ptr(), 1),
                pushcast_result::InvalidUtf8
            );
            assert_eq!(
                pushcast_message_set_data(message, [b'x'].as_ptr(), usize::MAX),
                pushcast_result::PayloadTooLarge
            );
            assert_eq!((*message).event.data, "");
            assert_eq!(
                pushcast_message_set_info(message, c"subscription_count".as_ptr()),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_message_set_socket_id(message, c"1.2".as_ptr()),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_message_set_correlation_id(message, 7),
                pushcast_result::Ok
            );
            let m = &*message;
            assert_eq!(m.event.info.as_deref(), Some("subscription_count"));
            assert_eq!(m.event.socket_id.as_deref(), Some("1.2"));
            assert_eq!(m.correlation_id, 7);
            assert_eq!(
                pushcast_message_set_socket_id(message, std::ptr::null()),
                pushcast_result::Ok
            );
            assert_eq!((*message).event.socket_id, None);
            pushcast_message_free(message);
            pushcast_client_free(client);
        }
        crate::test_handles::free_app_and_config(app, config);
    }
}
