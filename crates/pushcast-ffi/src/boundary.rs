//! The boundary: result codes, the one mapping from the core error, the per-thread error
//! object, the panic guard every exported function runs in, and argument checks.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use pushcast_core::Error;

/// Result of every fallible call. Numbers are explicit, grouped by family, never reused (a
/// retired number stays listed here as a comment; none yet). pushcast_result_name() gives each
/// its name, pushcast_result_count() and pushcast_result_code_at() list them at run time.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pushcast_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// A Rust panic was caught at the boundary (a bug; please report it).
    Panic = 3,
    /// An error pushcast does not know yet (a newer core than this library).
    Unknown = 4,
    /// A statistic name this library does not have (pushcast_client_stat()); the names are
    /// listed by pushcast_stats_counter_name().
    UnknownStat = 5,
    /// Invalid channel name.
    InvalidChannel = 1000,
    /// Invalid event name.
    InvalidEventName = 1001,
    /// Invalid socket id.
    InvalidSocketId = 1002,
    /// Invalid user id.
    InvalidUserId = 1003,
    /// An event without channels.
    NoChannels = 1004,
    /// More channels than the server profile allows in one event.
    TooManyChannels = 1005,
    /// A channel twice in one event.
    DuplicateChannel = 1006,
    /// More events than the server profile allows in one batch.
    TooManyEvents = 1007,
    /// A batch without events.
    EmptyBatch = 1008,
    /// Data or request over the server profile's size limit.
    PayloadTooLarge = 1009,
    /// Encrypted and plain channels in one event.
    MixedEncryption = 1010,
    /// A query parameter reserved for signing.
    ReservedParameter = 1011,
    /// Invalid JSON in an argument.
    InvalidJson = 1012,
    /// The server profile's server cannot do this (user sign-in on Reverb).
    Unsupported = 1013,
    /// Invalid configuration.
    InvalidConfig = 2000,
    /// An encrypted channel without a master key.
    MissingMasterKey = 2001,
    /// A webhook failed verification.
    WebhookRejected = 3000,
    /// Decryption failed.
    DecryptionFailed = 3100,
    /// The server refused the request (see the error object's HTTP status).
    ApiError = 4000,
    /// The server's answer could not be read.
    MalformedResponse = 4001,
    /// The publish queue is full.
    QueueFull = 5000,
    /// A deadline passed.
    Timeout = 5001,
    /// The server could not be reached.
    Transport = 5002,
    /// The client was shut down.
    ShutDown = 5003,
    /// Every endpoint's circuit breaker is open (fail-fast breaker policy).
    CircuitOpen = 5004,
    /// The durable spool is full (its `spool_max_bytes`).
    SpoolFull = 5005,
    /// The durable spool could not be opened, written or read (see the message).
    Spool = 5006,
    /// A thread of the publishing engine stopped on a bug; the message says why.
    EngineFailed = 5007,
    /// pushcast could not do its own work (the process refused a thread or the I/O runtime):
    /// not caused by the arguments or the configuration; retrying later may help.
    Internal = 5008,
}

/// Every variant of [`pushcast_result`]: the numbers are the enum's own, written once above
/// (cbindgen reads them from there). Private, so cbindgen exports nothing for it.
const RESULTS: [pushcast_result; 35] = {
    use pushcast_result as R;
    [
        R::Ok,
        R::NullArgument,
        R::InvalidUtf8,
        R::Panic,
        R::Unknown,
        R::UnknownStat,
        R::InvalidChannel,
        R::InvalidEventName,
        R::InvalidSocketId,
        R::InvalidUserId,
        R::NoChannels,
        R::TooManyChannels,
        R::DuplicateChannel,
        R::TooManyEvents,
        R::EmptyBatch,
        R::PayloadTooLarge,
        R::MixedEncryption,
        R::ReservedParameter,
        R::InvalidJson,
        R::Unsupported,
        R::InvalidConfig,
        R::MissingMasterKey,
        R::WebhookRejected,
        R::DecryptionFailed,
        R::ApiError,
        R::MalformedResponse,
        R::QueueFull,
        R::Timeout,
        R::Transport,
        R::ShutDown,
        R::CircuitOpen,
        R::SpoolFull,
        R::Spool,
        R::EngineFailed,
        R::Internal,
    ]
};

/// The codes of the boundary itself, which no core error has; every other name comes from
/// [`pushcast_core::CODES`].
const BOUNDARY_NAMES: [(pushcast_result, &str); 6] = [
    (pushcast_result::Ok, "OK"),
    (pushcast_result::NullArgument, "NULL_ARGUMENT"),
    (pushcast_result::InvalidUtf8, "INVALID_UTF8"),
    (pushcast_result::Panic, "PANIC"),
    (pushcast_result::Unknown, "UNKNOWN"),
    (pushcast_result::UnknownStat, "UNKNOWN_STAT"),
];

impl pushcast_result {
    /// The variant numbered `code`; `None` for a number this library does not assign. The one
    /// way from a number to the enum (a cast of an arbitrary integer would be undefined).
    fn from_code(code: u32) -> Option<pushcast_result> {
        RESULTS.iter().copied().find(|r| *r as u32 == code)
    }
}

/// Every assigned code with its NUL-terminated name, ascending: the boundary's own, then the
/// core's table. Built once, on first use, and never freed, so the names are static for C.
fn named_codes() -> &'static [(u32, CString)] {
    static TABLE: OnceLock<Vec<(u32, CString)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let boundary = BOUNDARY_NAMES.iter().map(|(r, name)| (*r as u32, *name));
        boundary
            .chain(pushcast_core::CODES.iter().copied())
            // The names are ASCII constants (a core test checks): none holds a NUL.
            .filter_map(|(code, name)| CString::new(name).ok().map(|name| (code, name)))
            .collect()
    })
}

/// The one mapping from the core error to result codes: the core's own number
/// ([`Error::code`], an exhaustive match), as the enum. `Unknown` only if the core had a code
/// this enum lacks, which `every_core_code_is_a_named_result` rules out.
pub(crate) fn code_of(error: &Error) -> pushcast_result {
    pushcast_result::from_code(error.code()).unwrap_or(pushcast_result::Unknown)
}

/// A failure inside an exported function.
pub(crate) struct Failure {
    code: pushcast_result,
    message: String,
    http_status: u16,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            code: code_of(&error),
            http_status: error.http_status().unwrap_or(0),
            message: error.to_string(),
        }
    }
}

impl Failure {
    pub(crate) fn null(argument: &str) -> Failure {
        Failure {
            code: pushcast_result::NullArgument,
            message: format!("argument `{argument}` is NULL"),
            http_status: 0,
        }
    }

    pub(crate) fn unknown_stat(name: &str) -> Failure {
        Failure {
            code: pushcast_result::UnknownStat,
            message: format!("`{name}` is not a statistic of this library"),
            http_status: 0,
        }
    }

    fn utf8(argument: &str) -> Failure {
        Failure {
            code: pushcast_result::InvalidUtf8,
            message: format!("argument `{argument}` is not valid UTF-8"),
            http_status: 0,
        }
    }
}

/// The detailed error of the last failed call on this thread.
///
/// Ownership: returned by pushcast_error_last(), owned by the caller, freed with
/// pushcast_error_free(). Immutable; may be read from any thread.
pub struct pushcast_error {
    code: pushcast_result,
    message: CString,
    http_status: u16,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<Failure>> = const { RefCell::new(None) };
}

/// Runs an exported function's body: records failures for pushcast_error_last(), and turns a
/// panic into PUSHCAST_RESULT_PANIC instead of unwinding into C.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> pushcast_result {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return pushcast_result::Ok,
        Ok(Err(failure)) => failure,
        Err(_) => Failure {
            code: pushcast_result::Panic,
            message: "a Rust panic was caught at the C boundary; this is a bug in pushcast".into(),
            http_status: 0,
        },
    };
    let code = failure.code;
    LAST_ERROR.with(|last| *last.borrow_mut() = Some(failure));
    code
}

/// Runs a body that returns a value, with `fallback` on panic (for non-result functions).
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Borrows a NUL-terminated UTF-8 argument.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated per this function's contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|_| Failure::utf8(name))
}

/// Like [`arg_str`], with NULL meaning "absent".
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// Borrows `len` items at `ptr`: the array arguments (`channels`, `events`, `headers`, `data`,
/// `body`), each passed with a length named `{name}_len`. NULL is allowed only when `len` is 0.
///
/// A length over `isize::MAX` bytes cannot describe memory the caller owns (no object is that
/// large, and Rust slices must not be): it is refused with `too_long` before anything is
/// read, instead of the undefined behaviour (or the abort of a debug build) of making a slice.
///
/// # Safety
/// `ptr` must point to `len` readable, aligned items that outlive `'a`.
pub(crate) unsafe fn arg_slice<'a, T>(
    ptr: *const T,
    len: usize,
    name: &str,
    too_long: pushcast_result,
) -> Result<&'a [T], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    let max = isize::MAX as usize / std::mem::size_of::<T>().max(1);
    if len > max {
        return Err(Failure {
            code: too_long,
            message: format!(
                "argument `{name}_len` is {len}, larger than any object can be (at most {max})"
            ),
            http_status: 0,
        });
    }
    // SAFETY: non-NULL, `len` readable items per this function's contract, and at most
    // isize::MAX bytes (checked above).
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` bytes of UTF-8 at `ptr`, as [`arg_slice`].
///
/// # Safety
/// As [`arg_slice`].
pub(crate) unsafe fn arg_text<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
    too_long: pushcast_result,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { arg_slice(ptr, len, name, too_long)? };
    std::str::from_utf8(bytes).map_err(|_| Failure::utf8(name))
}

/// The accepted values of one C enumeration. Enumerations cross the boundary as plain
/// `uint32_t` (casting an arbitrary C integer into a Rust enum is undefined behaviour); each
/// setter matches the number against its constants and refuses any other with
/// [`CEnum::refuse`]. Made with [`c_enum!`], so a name here is always its constant's.
pub(crate) struct CEnum {
    /// The C type's name.
    pub(crate) type_name: &'static str,
    /// Each accepted number with its constant's name.
    pub(crate) values: &'static [(u32, &'static str)],
}

impl CEnum {
    /// PUSHCAST_RESULT_INVALID_CONFIG for `value` given as `argument`: the message names the
    /// argument, its type and every accepted value.
    pub(crate) fn refuse(&self, argument: &'static str, value: u32) -> Failure {
        let accepted: Vec<String> = self
            .values
            .iter()
            .map(|(number, name)| format!("{number} ({name})"))
            .collect();
        Failure::from(Error::InvalidConfig {
            field: argument,
            reason: format!(
                "{value} is not a {}; accepted: {}",
                self.type_name,
                accepted.join(", ")
            ),
        })
    }
}

/// `c_enum!(pushcast_x: PUSHCAST_X_A, PUSHCAST_X_B)`: the [`CEnum`] of those constants.
macro_rules! c_enum {
    ($type_name:ident: $($value:ident),+ $(,)?) => {
        $crate::boundary::CEnum {
            type_name: stringify!($type_name),
            values: &[$(($value, stringify!($value))),+],
        }
    };
}
pub(crate) use c_enum;

/// Borrows a handle.
///
/// # Safety
/// `ptr` must be NULL or a live handle of type `T` made by this library.
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: per this function's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// Borrows a handle mutably.
///
/// # Safety
/// `ptr` must be NULL or a live handle of type `T`, not used by any other thread meanwhile.
pub(crate) unsafe fn arg_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: per this function's contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// Checks an out-parameter before any work, so nothing is done for a result nobody can read.
pub(crate) fn check_out<T>(ptr: *mut T, name: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(())
    }
}

/// Writes an out-parameter (checked non-NULL by [`check_out`]).
///
/// # Safety
/// `ptr` must be a valid, writable, non-NULL pointer.
pub(crate) unsafe fn write_out<T>(ptr: *mut T, value: T) {
    // SAFETY: per this function's contract.
    unsafe { ptr.write(value) }
}

/// Writes an optional out-parameter: nothing when the caller passed NULL.
///
/// # Safety
/// `ptr` must be NULL or a valid, writable pointer.
pub(crate) unsafe fn write_optional<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: non-NULL and writable per this function's contract.
        unsafe { ptr.write(value) }
    }
}

/// A caller-owned copy of `text` (free with pushcast_string_free()).
pub(crate) fn owned_string(text: String) -> Result<*mut c_char, Failure> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Failure {
            code: pushcast_result::InvalidUtf8,
            message: "result holds a NUL byte".into(),
            http_status: 0,
        })
}

/// Takes the detailed error of the last failed call on this thread (NULL if none).
///
/// Ownership: the caller owns the result; free it with pushcast_error_free(). Taking it clears
/// it. Thread-safety: per thread; may be called from any thread.
#[no_mangle]
pub extern "C" fn pushcast_error_last() -> *mut pushcast_error {
    guard_value(std::ptr::null_mut(), || {
        LAST_ERROR.with(|last| match last.borrow_mut().take() {
            None => std::ptr::null_mut(),
            Some(f) => Box::into_raw(Box::new(pushcast_error {
                code: f.code,
                message: CString::new(f.message.replace('\0', "?")).unwrap_or_default(),
                http_status: f.http_status,
            })),
        })
    })
}

/// The result code of an error object (PUSHCAST_RESULT_NULL_ARGUMENT for NULL).
///
/// # Safety
/// `error` must be NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn pushcast_error_code(error: *const pushcast_error) -> pushcast_result {
    guard_value(pushcast_result::Panic, || {
        // SAFETY: NULL or a live error object, per the API contract.
        unsafe { error.as_ref() }.map_or(pushcast_result::NullArgument, |e| e.code)
    })
}

/// The HTTP status the server answered with, or 0 when the failure did not come from a server
/// answer (or for NULL).
///
/// # Safety
/// `error` must be NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn pushcast_error_http_status(error: *const pushcast_error) -> u16 {
    guard_value(0, || {
        // SAFETY: NULL or a live error object, per the API contract.
        unsafe { error.as_ref() }.map_or(0, |e| e.http_status)
    })
}

/// The error's message, NUL-terminated UTF-8, borrowed from the error object: valid until
/// pushcast_error_free(). "" for NULL.
///
/// # Safety
/// `error` must be NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn pushcast_error_message(error: *const pushcast_error) -> *const c_char {
    guard_value(c"".as_ptr(), || {
        // SAFETY: NULL or a live error object, per the API contract.
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// Frees an error object. NULL is allowed.
///
/// # Safety
/// `error` must be NULL or a live error object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pushcast_error_free(error: *mut pushcast_error) {
    guard_value((), || {
        if !error.is_null() {
            // SAFETY: made by Box::into_raw in pushcast_error_last, freed once by contract.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

/// Frees a string returned by this library. NULL is allowed.
///
/// # Safety
/// `s` must be NULL or a string this library returned, not freed before.
#[no_mangle]
pub unsafe extern "C" fn pushcast_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: made by CString::into_raw in this library, freed once by contract.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// The name of a result code: a static NUL-terminated string (never freed), the constant's
/// name without its `PUSHCAST_RESULT_` prefix ("QUEUE_FULL" for PUSHCAST_RESULT_QUEUE_FULL),
/// stable across versions. "UNKNOWN" for a number this library does not assign (as for
/// PUSHCAST_RESULT_UNKNOWN itself).
///
/// `code` is a plain integer, so any number is safe to pass (a pushcast_result converts).
/// Thread-safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn pushcast_result_name(code: u32) -> *const c_char {
    guard_value(c"UNKNOWN".as_ptr(), || {
        named_codes()
            .iter()
            .find(|(number, _)| *number == code)
            .map_or(c"UNKNOWN".as_ptr(), |(_, name)| name.as_ptr())
    })
}

/// How many result codes this library assigns, PUSHCAST_RESULT_OK included: with
/// pushcast_result_code_at() and pushcast_result_name(), bindings build their constants and
/// error classes from the library instead of copying numbers.
///
/// Thread-safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn pushcast_result_count() -> usize {
    guard_value(0, || named_codes().len())
}

/// The result code at `index` (0 to pushcast_result_count() - 1), in ascending order of
/// number; UINT32_MAX, never a result code, past the end.
///
/// Thread-safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn pushcast_result_code_at(index: usize) -> u32 {
    guard_value(u32::MAX, || {
        named_codes().get(index).map_or(u32::MAX, |(code, _)| *code)
    })
}

/// The library version, a static NUL-terminated string (never freed).
#[no_mangle]
pub extern "C" fn pushcast_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_result_code_and_an_error_object() {
        let rc = guard(|| panic!("boom"));
        assert_eq!(rc, pushcast_result::Panic);
        let error = pushcast_error_last();
        assert!(!error.is_null());
        // SAFETY: a live error object just returned, freed once below.
        unsafe {
            assert_eq!(pushcast_error_code(error), pushcast_result::Panic);
            let message = CStr::from_ptr(pushcast_error_message(error))
                .to_str()
                .unwrap();
            assert!(message.contains("panic"), "{message}");
            pushcast_error_free(error);
        }
        assert_eq!(guard_value(7, || panic!("boom")), 7);
    }

    /// One mapping: every code the core can return is a variant with the same number and the
    /// same name, every variant is listed once with a name, and the names are the header's
    /// constants.
    #[test]
    fn every_core_code_is_a_named_result() {
        for (code, name) in pushcast_core::CODES {
            let result = pushcast_result::from_code(*code);
            assert_eq!(result.map(|r| r as u32), Some(*code), "{name}");
            // SAFETY: a static NUL-terminated name.
            let c_name = unsafe { CStr::from_ptr(pushcast_result_name(*code)) };
            assert_eq!(c_name.to_str().unwrap(), *name);
        }
        let listed: Vec<u32> = (0..pushcast_result_count())
            .map(|i| pushcast_result_code_at(i))
            .collect();
        let variants: Vec<u32> = RESULTS.iter().map(|r| *r as u32).collect();
        assert_eq!(listed, variants, "RESULTS and the named table disagree");
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "{listed:?}");
        assert_eq!(pushcast_result_code_at(listed.len()), u32::MAX);
        assert_eq!(pushcast_result_code_at(usize::MAX), u32::MAX);
        for unassigned in [6, 999, 1014, 5009, u32::MAX] {
            // SAFETY: as above.
            let name = unsafe { CStr::from_ptr(pushcast_result_name(unassigned)) };
            assert_eq!(name.to_str().unwrap(), "UNKNOWN");
        }
        // The header's constants, as C programs see them: each `PUSHCAST_RESULT_X = N,` line is
        // a listed code named X (the header is generated from the enum, so a variant missing
        // from RESULTS shows here).
        let root = env!("CARGO_MANIFEST_DIR");
        let header = ["include/pushcast.h", "../../include/pushcast.h"]
            .iter()
            .find_map(|p| std::fs::read_to_string(format!("{root}/{p}")).ok())
            .unwrap();
        let mut in_header = Vec::new();
        for line in header.lines() {
            let Some(rest) = line.trim().strip_prefix("PUSHCAST_RESULT_") else {
                continue;
            };
            let Some((name, number)) = rest.trim_end_matches(',').split_once(" = ") else {
                continue;
            };
            let number: u32 = number.parse().unwrap();
            // SAFETY: as above.
            let ours = unsafe { CStr::from_ptr(pushcast_result_name(number)) };
            assert_eq!(ours.to_str().unwrap(), name, "{number}");
            in_header.push(number);
        }
        assert_eq!(
            in_header, listed,
            "the header is stale or RESULTS incomplete"
        );
    }

    #[test]
    fn every_core_error_maps_to_its_family() {
        use pushcast_core::Error as E;
        let cases = [
            (E::NoChannels, 1000..2000),
            (
                E::MissingMasterKey {
                    channel: "c".into(),
                },
                2000..3000,
            ),
            (
                E::Api {
                    status: 401,
                    message: "no".into(),
                },
                4000..5000,
            ),
            (E::QueueFull { capacity: 1 }, 5000..6000),
            (E::ShutDown, 5000..6000),
            (
                E::CircuitOpen {
                    endpoint: "http://x".into(),
                    retry_in_ms: 1,
                },
                5000..6000,
            ),
            (E::SpoolFull { limit_bytes: 1 }, 5000..6000),
            (
                E::Internal {
                    what: "start a thread",
                    reason: "EAGAIN".into(),
                },
                5000..6000,
            ),
            (
                E::Spool {
                    operation: "open",
                    reason: "denied".into(),
                },
                5000..6000,
            ),
        ];
        for (error, family) in cases {
            assert!(family.contains(&(code_of(&error) as u32)), "{error:?}");
            // The core's own numbering (the PHP extension's exception codes) is the same.
            assert_eq!(code_of(&error) as u32, error.code(), "{error:?}");
        }
        let failure = Failure::from(E::Api {
            status: 401,
            message: "no".into(),
        });
        assert_eq!(
            (failure.code, failure.http_status),
            (pushcast_result::ApiError, 401)
        );
    }

    /// The enumerations that cross the boundary as `uint32_t`: each setter's match and its
    /// table (the error message) agree, numbers run 0.., and every other number is refused
    /// with a message naming each accepted constant.
    #[test]
    fn enum_arguments_take_their_table_and_refuse_everything_else() {
        use crate::*;
        type Setter = fn(*mut pushcast_config, u32) -> pushcast_result;
        let (app, config) = crate::test_handles::app_and_config();
        let cases: [(&CEnum, Setter); 3] = [
            (&crate::client::BACKPRESSURE, |c, v| unsafe {
                pushcast_config_set_queue(c, 1, v, 1, 1)
            }),
            (&crate::resilience::BREAKER_POLICY, |c, v| unsafe {
                pushcast_config_set_breaker(c, 1, 1, 1, v)
            }),
            (&crate::spool::SPOOL_SYNC, |c, v| unsafe {
                pushcast_config_set_spool(c, c"/nonexistent".as_ptr(), v, 1, 0, 0)
            }),
        ];
        for (table, set) in cases {
            for (i, (number, name)) in table.values.iter().enumerate() {
                assert_eq!(*number, i as u32, "{name}");
                assert_eq!(set(config, *number), pushcast_result::Ok, "{name}");
            }
            let len = table.values.len() as u32;
            for value in [len, len + 1, 1000, 1 << 31, u32::MAX] {
                assert_eq!(set(config, value), pushcast_result::InvalidConfig);
                let error = pushcast_error_last();
                // SAFETY: a live error object just taken, freed once.
                let message = unsafe {
                    let m = CStr::from_ptr(pushcast_error_message(error))
                        .to_string_lossy()
                        .into_owned();
                    pushcast_error_free(error);
                    m
                };
                assert!(message.contains(table.type_name), "{message}");
                assert!(message.contains(&value.to_string()), "{message}");
                for (_, name) in table.values {
                    assert!(message.contains(name), "{message}");
                }
            }
        }
        crate::test_handles::free_app_and_config(app, config);
    }

    #[test]
    fn lengths_no_object_can_have_are_refused_before_reading() {
        let byte = 0u8;
        let word = 0u64;
        for len in [usize::MAX, isize::MAX as usize + 1] {
            // SAFETY: refused before the pointer is read.
            let refused =
                unsafe { arg_slice(&byte, len, "data", pushcast_result::PayloadTooLarge) };
            let failure = refused.err().unwrap();
            assert_eq!(failure.code, pushcast_result::PayloadTooLarge);
            assert!(
                failure.message.contains("`data_len`"),
                "{}",
                failure.message
            );
        }
        // SAFETY: as above.
        let refused = unsafe {
            arg_slice(
                &word,
                isize::MAX as usize / 8 + 1,
                "w",
                pushcast_result::TooManyEvents,
            )
        };
        assert_eq!(refused.err().unwrap().code, pushcast_result::TooManyEvents);
        // SAFETY: one readable item.
        assert_eq!(
            unsafe { arg_slice(&word, 1, "w", pushcast_result::TooManyEvents) }
                .ok()
                .map(<[u64]>::len),
            Some(1)
        );
        // SAFETY: NULL is allowed for an empty slice and refused otherwise.
        unsafe {
            assert!(arg_slice(std::ptr::null::<u8>(), 0, "d", pushcast_result::Ok).is_ok());
            let null = arg_slice(std::ptr::null::<u8>(), 1, "d", pushcast_result::Ok);
            assert_eq!(null.err().unwrap().code, pushcast_result::NullArgument);
        }
    }
}
