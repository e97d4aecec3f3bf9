//! The one mapping from the core error to PHP exceptions, and the panic guard every entry
//! point runs in.
//!
//! The exception classes are declared in PHP (php-ext/php/src) so applications can catch and
//! extend them; they are looked up by name (which runs the autoloader). Without them loaded,
//! a plain `\RuntimeException` carries the same message and code.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::zend::{ce, ClassEntry};
use pushcast_core::{Error, ErrorKind};

/// Throws `class` (a PHP class name) with `message` and `code`.
pub(crate) fn exception(class: &str, message: String, code: i32) -> PhpException {
    match ClassEntry::try_find(class) {
        Some(entry) => PhpException::new(message, code, entry),
        None => PhpException::new(format!("{class}: {message}"), code, ce::exception()),
    }
}

/// The one mapping: validation and configuration errors → ValidationException; server
/// refusals → ApiErrorException (code = HTTP status); full queue → QueueFullException;
/// deadlines → TimeoutException; every circuit open (fail-fast breaker policy) →
/// CircuitOpenException; the rest → PushcastException.
pub(crate) fn to_php(error: Error) -> PhpException {
    let message = error.to_string();
    match error.kind() {
        ErrorKind::Validation | ErrorKind::Config => {
            exception("Pushcast\\ValidationException", message, 0)
        }
        ErrorKind::Api => exception(
            "Pushcast\\ApiErrorException",
            message,
            i32::from(error.http_status().unwrap_or(0)),
        ),
        ErrorKind::QueueFull => exception("Pushcast\\QueueFullException", message, 0),
        ErrorKind::Timeout => exception("Pushcast\\TimeoutException", message, 0),
        ErrorKind::CircuitOpen => exception("Pushcast\\CircuitOpenException", message, 0),
        _ => exception("Pushcast\\PushcastException", message, 0),
    }
}

/// A validation failure found by the extension itself (bad argument shape).
pub(crate) fn invalid(message: impl Into<String>) -> PhpException {
    exception("Pushcast\\ValidationException", message.into(), 0)
}

/// Runs an entry point: a Rust panic becomes a `Pushcast\PushcastException` instead of a
/// dead worker (ext-php-rs would turn it into a bare `\Error`).
pub(crate) fn guard<T>(body: impl FnOnce() -> PhpResult<T>) -> PhpResult<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(exception(
            "Pushcast\\PushcastException",
            "internal error: a Rust panic was caught in the pushcast extension".into(),
            0,
        ))
    })
}
