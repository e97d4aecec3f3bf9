//! The exception classes, the one mapping from the core error to them, and the panic guard
//! every entry point runs in.
//!
//! The classes are registered by the extension at module startup, so `catch
//! (Pushcast\QueueFullException $e)` works without any autoloader. Like pusher-http-php's
//! `PusherException extends \Exception` and `ApiErrorException extends PusherException`, every
//! one extends `Pushcast\PushcastException`, which extends `\Exception`. `getCode()` is the
//! HTTP status for server refusals (as pusher-http-php's `ApiErrorException`), else the result
//! code of the C ABI (include/pushcast.h, `pushcast_core::Error::code`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::args::ArgInfoTables;
use ext_php_rs::builders::{ClassBuilder, FunctionBuilder};
use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::flags::{DataType, MethodFlags};
use ext_php_rs::types::{ZendObject, Zval};
use ext_php_rs::zend::ExecuteData;
use ext_php_rs::zend::{ce, ClassEntry};
use pushcast_core::{Error, ErrorKind};

/// The base class: catch it to catch every pushcast error (as `Pusher\PusherException`).
const BASE: &str = "Pushcast\\PushcastException";
/// Bad input or configuration, found before anything touched the network.
const VALIDATION: &str = "Pushcast\\ValidationException";
/// The server refused a request: `getCode()` is the HTTP status, `getMessage()` says why.
const API_ERROR: &str = "Pushcast\\ApiErrorException";
/// The publish queue (or spool) was full under the fail-fast policy.
const QUEUE_FULL: &str = "Pushcast\\QueueFullException";
/// A deadline passed (a confirmed publish, a promise's wait, an API call).
const TIMEOUT: &str = "Pushcast\\TimeoutException";
/// Every endpoint's circuit breaker was open under the fail-fast breaker policy.
const CIRCUIT_OPEN: &str = "Pushcast\\CircuitOpenException";

/// The registered class entries, in the order of `NAMES` (set once, at module startup).
static CLASSES: [AtomicPtr<ClassEntry>; 6] = [const { AtomicPtr::new(std::ptr::null_mut()) }; 6];
const NAMES: [&str; 6] = [
    BASE,
    VALIDATION,
    API_ERROR,
    QUEUE_FULL,
    TIMEOUT,
    CIRCUIT_OPEN,
];

/// What `ClassBuilder::registration` calls with the registered class entry.
type Keep = fn(&'static mut ClassEntry, ArgInfoTables);

fn keep<const I: usize>(entry: &'static mut ClassEntry, arg_info: ArgInfoTables) {
    CLASSES[I].store(entry, Ordering::Release);
    // The engine points into these tables for the life of the process.
    std::mem::forget(arg_info);
}

/// The text of `(string) $e` for a server refusal: pusher-http-php's `ApiErrorException`
/// gives `(Status {code}) {message}`.
fn api_error_text(this: &ZendObject) -> Option<String> {
    let code = this.try_call_method("getCode", vec![]).ok()?.long()?;
    let message = this.try_call_method("getMessage", vec![]).ok()?;
    Some(format!("(Status {code}) {}", message.str()?))
}

ext_php_rs::zend_fastcall! {
    extern fn api_error_to_string(ex: &mut ExecuteData, retval: &mut Zval) {
        let text = catch_unwind(AssertUnwindSafe(|| ex.get_self().and_then(|this| api_error_text(this))))
            .ok()
            .flatten()
            .unwrap_or_default();
        let _ = retval.set_string(&text, false);
    }
}

/// The registered class `NAMES[index]`, else `\Exception` (before module startup).
fn class_at(index: usize) -> &'static ClassEntry {
    let entry = CLASSES
        .get(index)
        .map_or(std::ptr::null_mut(), |c| c.load(Ordering::Acquire));
    // SAFETY: the pointer is null or a class entry PHP registered at module startup, which
    // lives in the class table until the module is unloaded.
    unsafe { entry.as_ref() }.unwrap_or_else(ce::exception)
}

fn base_class() -> &'static ClassEntry {
    class_at(0)
}

fn class(name: &str) -> &'static ClassEntry {
    class_at(NAMES.iter().position(|n| *n == name).unwrap_or(0))
}

/// Registers the exception classes (module startup). They are plain PHP classes extending
/// `\Exception` (not `#[php_class]`, whose object handlers forbid `new` from PHP and leave
/// `getFile()`/`getLine()` empty): applications `new`, extend and catch them as pusher-http-php's.
pub(crate) fn register_classes() -> ext_php_rs::error::Result<()> {
    ClassBuilder::new(BASE)
        .extends((ce::exception, "\\Exception"))
        .registration(keep::<0>)
        .register()?;
    let subclasses: [(&str, Keep); 5] = [
        (VALIDATION, keep::<1>),
        (API_ERROR, keep::<2>),
        (QUEUE_FULL, keep::<3>),
        (TIMEOUT, keep::<4>),
        (CIRCUIT_OPEN, keep::<5>),
    ];
    for (name, keep) in subclasses {
        let mut class = ClassBuilder::new(name)
            .extends((base_class, BASE))
            .registration(keep);
        if name == API_ERROR {
            class = class.method(
                FunctionBuilder::new("__toString", api_error_to_string).returns(
                    DataType::String,
                    false,
                    false,
                ),
                MethodFlags::Public,
            );
        }
        class.register()?;
    }
    Ok(())
}

// `ErrorKind` is `#[non_exhaustive]`, so the match below must end in a wildcard, which would
// hide a new kind (an internal failure once became a ValidationException that way). The core
// lists every kind in `ErrorKind::ALL` (its own test keeps that list complete): this stops the
// build when the list grows, until the match names the new kind and the count is raised.
const _: () = assert!(
    ErrorKind::ALL.len() == 13,
    "a new pushcast_core::ErrorKind: give it its exception class in class_of"
);

fn class_of(kind: ErrorKind) -> &'static ClassEntry {
    class(match kind {
        ErrorKind::Validation | ErrorKind::Config => VALIDATION,
        ErrorKind::Api => API_ERROR,
        ErrorKind::QueueFull => QUEUE_FULL,
        ErrorKind::Timeout => TIMEOUT,
        ErrorKind::CircuitOpen => CIRCUIT_OPEN,
        // Not the caller's input: no thread or I/O runtime, a broken invariant.
        ErrorKind::Internal => BASE,
        ErrorKind::Webhook
        | ErrorKind::Crypto
        | ErrorKind::Response
        | ErrorKind::Transport
        | ErrorKind::ShutDown
        | ErrorKind::Spool => BASE,
        // Unreachable while the assertion above holds.
        _ => BASE,
    })
}

fn code_of(error: &Error) -> i32 {
    match error.http_status() {
        Some(status) => i32::from(status),
        None => i32::try_from(error.code()).unwrap_or(i32::MAX),
    }
}

/// The one mapping: validation and configuration errors → ValidationException; server
/// refusals → ApiErrorException (code = HTTP status, message = the answer's body); full
/// queue → QueueFullException; deadlines → TimeoutException; every circuit open (fail-fast
/// breaker policy) → CircuitOpenException; the rest (transport, spool, internal failures such
/// as a thread that cannot start) → PushcastException.
pub(crate) fn to_php(error: Error) -> PhpException {
    let code = code_of(&error);
    PhpException::new(error.to_string(), code, class_of(error.kind()))
}

/// The exception object `to_php` would throw for `error`, built without throwing it (a
/// promise's rejection reason).
pub(crate) fn exception_object(error: &Error) -> PhpResult<Zval> {
    new_exception(class_of(error.kind()), error.to_string(), code_of(error))
}

/// A `Pushcast\PushcastException` object for a failure of the extension itself.
pub(crate) fn internal_object(message: &str) -> PhpResult<Zval> {
    new_exception(base_class(), message.to_owned(), 4)
}

fn new_exception(class: &'static ClassEntry, message: String, code: i32) -> PhpResult<Zval> {
    let mut object = ZendObject::new(class);
    let code = i64::from(code);
    object.try_call_method("__construct", vec![&message, &code])?;
    let mut zval = Zval::new();
    // The zval takes its own reference; the ZBox's is released when it drops.
    zval.set_object(&mut object);
    Ok(zval)
}

/// A validation failure found by the extension itself (bad argument shape).
pub(crate) fn invalid(message: impl Into<String>) -> PhpException {
    PhpException::new(
        message.into(),
        i32::try_from(
            Error::InvalidConfig {
                field: "argument",
                reason: String::new(),
            }
            .code(),
        )
        .unwrap_or(0),
        class(VALIDATION),
    )
}

/// A failure of the extension itself, neither bad input nor a delivery error.
pub(crate) fn internal(message: impl Into<String>) -> PhpException {
    PhpException::new(message.into(), 4, base_class())
}

/// Runs an entry point: a Rust panic becomes a `Pushcast\PushcastException` instead of a
/// dead worker (ext-php-rs would turn it into a bare `\Error`).
pub(crate) fn guard<T>(body: impl FnOnce() -> PhpResult<T>) -> PhpResult<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(PhpException::new(
            "internal error: a Rust panic was caught in the pushcast extension".into(),
            3,
            base_class(),
        ))
    })
}
