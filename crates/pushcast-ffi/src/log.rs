//! `pushcast_set_log_callback`: the library's own messages (an engine thread that failed or
//! panicked, certificate checks turned off, a thread left running at shutdown, a failed
//! `pthread_atfork`) to the host instead of standard error.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use ::pushcast_client::{set_process_log_sink, LogLevel, LogSink};

use crate::boundary::{guard, pushcast_result};

/// How important a library message is: one of the PUSHCAST_LOG_LEVEL_* values (the syslog
/// severities, so a host can hand them to syslog unchanged). A plain `uint32_t`: later
/// versions may add levels, which a callback should treat like the nearest it knows.
pub type pushcast_log_level = u32;

/// Something is broken: an engine thread stopped (syslog LOG_ERR).
pub const PUSHCAST_LOG_LEVEL_ERROR: pushcast_log_level = 3;
/// Something may be wrong: an unsafe setting, a thread left running at shutdown (syslog
/// LOG_WARNING).
pub const PUSHCAST_LOG_LEVEL_WARNING: pushcast_log_level = 4;

/// A log callback: `level`, the message (NUL-terminated UTF-8, borrowed for the duration of
/// the call only: copy it to keep it) and the `user_data` given to
/// pushcast_set_log_callback().
///
/// Called from any thread, the library's own engine threads included, and possibly from
/// several at once: it must be thread-safe, return promptly (an engine thread waits for it),
/// and must not call pushcast_client_flush(), _shutdown(), _free() or
/// pushcast_set_log_callback() (they may wait for the thread that is calling it).
pub type pushcast_log_callback = Option<
    unsafe extern "C" fn(level: pushcast_log_level, message: *const c_char, user_data: *mut c_void),
>;

/// The host's callback and its user data, as the process-wide sink holds them.
struct Callback {
    function: unsafe extern "C" fn(pushcast_log_level, *const c_char, *mut c_void),
    user_data: *mut c_void,
}

// SAFETY: pushcast_set_log_callback()'s contract: the callback may be called from any thread
// with this user data, so the host made both usable from any thread.
unsafe impl Send for Callback {}
// SAFETY: as above; the library only passes the pointer on, never reads it.
unsafe impl Sync for Callback {}

impl Callback {
    fn call(&self, level: LogLevel, message: &str) {
        let level = match level {
            LogLevel::Error => PUSHCAST_LOG_LEVEL_ERROR,
            LogLevel::Warning => PUSHCAST_LOG_LEVEL_WARNING,
        };
        // A NUL inside the message would cut it short in C: shown as '?' instead.
        let Ok(text) = CString::new(message.replace('\0', "?")) else {
            return;
        };
        // SAFETY: the host's function with its own user data and a NUL-terminated string
        // that lives until the call returns, per pushcast_log_callback's contract.
        unsafe { (self.function)(level, text.as_ptr(), self.user_data) };
    }
}

/// Sends the library's own messages to `callback` with `user_data`, for the whole process (every
/// client, and the messages no client owns: fork and thread failures). NULL `callback`
/// restores the default: standard error. To silence the library, pass a callback that does
/// nothing.
///
/// Why standard error by default: the library only speaks when something is wrong (never per
/// event), and a C host that installed nothing would otherwise lose exactly those messages.
///
/// Thread-safety: may be called from any thread, but not from inside the callback. A message
/// being delivered on another thread at that moment may still reach the previous callback
/// with its user data, so keep those valid (static, or for the life of the process).
///
/// # Safety
/// `callback` must be NULL or a function that follows pushcast_log_callback's contract, and
/// `user_data` (passed to it unchanged, never read by the library) must be usable from any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn pushcast_set_log_callback(
    callback: pushcast_log_callback,
    user_data: *mut c_void,
) -> pushcast_result {
    guard(|| {
        let sink = callback.map(|function| {
            let callback = Callback {
                function,
                user_data,
            };
            LogSink(Arc::new(move |level: LogLevel, message: &str| {
                callback.call(level, message)
            }))
        });
        set_process_log_sink(sink);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;
    use std::ffi::CStr;
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn collect(
        level: pushcast_log_level,
        message: *const c_char,
        data: *mut c_void,
    ) {
        assert_eq!(data, std::ptr::from_ref(&SEEN).cast_mut().cast::<c_void>());
        // SAFETY: a valid message, borrowed for the call.
        let text = unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned();
        SEEN.lock().unwrap().push((level, text));
    }

    /// A real engine message (certificate checks off, said when the engine starts) reaches the
    /// callback with its level and the user data, and no longer once the callback is removed.
    #[test]
    fn engine_messages_reach_the_callback_until_it_is_removed() {
        let data = std::ptr::from_ref(&SEEN).cast_mut().cast::<c_void>();
        let (mut app, mut config, mut client) = (
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        let publish = |client| {
            let channel = c"c".as_ptr();
            let event = pushcast_event {
                channels: &channel,
                channels_len: 1,
                name: c"e".as_ptr(),
                data: b"{}".as_ptr(),
                data_len: 2,
                socket_id: std::ptr::null(),
            };
            // SAFETY: a live client and a valid event.
            let rc = unsafe { pushcast_client_publish(client, &event, std::ptr::null_mut()) };
            assert_eq!(rc, pushcast_result::Ok);
        };
        let warned = || {
            let seen = SEEN.lock().unwrap();
            seen.iter()
                .filter(|(level, text)| {
                    *level == PUSHCAST_LOG_LEVEL_WARNING && text.contains("certificate")
                })
                .count()
        };
        // SAFETY: valid strings and out-pointers, a callback following the contract and a
        // static user data; every handle freed once below.
        unsafe {
            assert_eq!(
                pushcast_set_log_callback(Some(collect), data),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_app_new(c"1".as_ptr(), c"k".as_ptr(), c"s".as_ptr(), &mut app),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_config_new(app, c"https://127.0.0.1:1".as_ptr(), &mut config),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_config_set_timeouts(config, 100, 100, 100, 100),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_config_set_tls(config, std::ptr::null(), true),
                pushcast_result::Ok
            );
            assert_eq!(
                pushcast_client_new(config, &mut client),
                pushcast_result::Ok
            );
            publish(client);
            // The engine builds its HTTP client on its own thread: wait for the warning.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while warned() == 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            assert!(warned() >= 1, "{:?}", SEEN.lock().unwrap());
            pushcast_client_free(client);

            assert_eq!(
                pushcast_set_log_callback(None, std::ptr::null_mut()),
                pushcast_result::Ok
            );
            let before = warned();
            assert_eq!(
                pushcast_client_new(config, &mut client),
                pushcast_result::Ok
            );
            publish(client);
            pushcast_client_free(client);
            assert_eq!(warned(), before, "the removed callback was still called");
            pushcast_config_free(config);
            pushcast_app_free(app);
        }
    }
}
