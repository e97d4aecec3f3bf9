//! The pushcast PHP extension: `Pushcast\Client`, a drop-in for pusher-http-php's API over the
//! pushcast background publisher, and the engine under the Laravel driver (php-ext/php).
//!
//! No thread starts at load time (php-fpm forks after loading extensions): each client's engine
//! starts on its first publish, and again in a forked child. At module shutdown every engine is
//! flushed up to `pushcast.shutdown_timeout_ms`, what remains is written to PHP's error log, and
//! the threads are stopped before PHP unloads the extension.

#![cfg_attr(windows, feature(abi_vectorcall))]
// ext-php-rs' module macro generates an undocumented `describe` function in debug builds.
#![allow(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod client;
mod errors;
mod options;
mod registry;
mod settings;

use std::ffi::{c_char, c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use ext_php_rs::prelude::*;
use ext_php_rs::zend::{IniEntryDef, ModuleEntry};
use ext_php_rs::{info_table_end, info_table_row, info_table_start};

unsafe extern "C" {
    /// PHP's error log (php.ini `error_log`, or the SAPI's log).
    fn php_log_err_with_severity(message: *const c_char, syslog_type: c_int);
    /// Prints this module's ini entries in `php --ri`.
    fn display_ini_entries(module: *mut ModuleEntry);
}

const LOG_WARNING: c_int = 4;

fn log_error(message: &str) {
    if let Ok(text) = CString::new(message.replace('\0', " ")) {
        // SAFETY: a valid NUL-terminated string; PHP copies it.
        unsafe { php_log_err_with_severity(text.as_ptr(), LOG_WARNING) };
    }
}

fn startup(_kind: i32, module_number: i32) -> i32 {
    let registered = catch_unwind(AssertUnwindSafe(|| {
        IniEntryDef::register(settings::INI.as_slice(), module_number);
    }));
    if registered.is_ok() {
        0
    } else {
        -1
    }
}

extern "C" fn shutdown(_kind: i32, _module_number: i32) -> i32 {
    let flushed = catch_unwind(|| {
        for (client, pending, timeout, last_error) in registry::shutdown_all() {
            if pending > 0 {
                log_error(&format!(
                    "pushcast: {pending} event(s) not delivered at shutdown ({client}, waited {} ms); last error: {}",
                    timeout.as_millis(),
                    last_error.as_deref().unwrap_or("none")
                ));
            }
        }
    });
    if flushed.is_ok() {
        0
    } else {
        -1
    }
}

extern "C" fn info(module: *mut ModuleEntry) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        info_table_start!();
        info_table_row!("pushcast support", "enabled");
        info_table_row!("version", env!("CARGO_PKG_VERSION"));
        for (client, s) in registry::all_stats() {
            info_table_row!(
                "client",
                format!(
                    "{client}: enqueued {} delivered {} failed {} dropped {} queue {} p50 {} us p99 {} us",
                    s.enqueued,
                    s.delivered,
                    s.failed,
                    s.dropped_newest + s.dropped_oldest,
                    s.queue_depth,
                    s.latency_p50_us.unwrap_or(0),
                    s.latency_p99_us.unwrap_or(0)
                )
            );
        }
        info_table_end!();
        // SAFETY: PHP passes this module's entry; the function only reads it.
        unsafe { display_ini_entries(module) };
    }));
}

#[php_module]
#[php(startup = startup)]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .name("pushcast")
        .class::<client::PhpClient>()
        .shutdown_function(shutdown)
        .info_function(info)
}
