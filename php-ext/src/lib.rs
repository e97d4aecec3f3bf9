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
mod notices;
mod options;
mod promise;
mod registry;
mod resilience;
mod settings;
mod webhook;

use std::ffi::{c_char, c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use ext_php_rs::prelude::*;
use ext_php_rs::zend::{IniEntryDef, ModuleEntry};
use ext_php_rs::{info_table_end, info_table_row, info_table_start};

type LogErr = unsafe extern "C" fn(message: *const c_char, syslog_type: c_int);
type DisplayIniEntries = unsafe extern "C" fn(module: *mut ModuleEntry);

/// Looks up a function the PHP binary exports, at call time: linking to it directly would
/// make the extension unloadable by anything but PHP (cargo-php loads it to write the stubs).
fn php_function(name: &std::ffi::CStr) -> Option<*mut std::ffi::c_void> {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads the symbol tables.
    let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!symbol.is_null()).then_some(symbol)
}

const LOG_WARNING: c_int = 4;

/// Writes to PHP's error log (php.ini `error_log`, or the SAPI's log), else standard error.
pub(crate) fn log_error(message: &str) {
    let Ok(text) = CString::new(message.replace('\0', " ")) else {
        return;
    };
    match php_function(c"php_log_err_with_severity") {
        Some(symbol) => {
            // SAFETY: PHP's `void php_log_err_with_severity(const char *, int)`; the string is
            // valid and NUL-terminated, and PHP copies it.
            let log: LogErr = unsafe { std::mem::transmute(symbol) };
            unsafe { log(text.as_ptr(), LOG_WARNING) };
        }
        None => eprintln!("{message}"),
    }
}

fn startup(_kind: i32, module_number: i32) -> i32 {
    let registered = catch_unwind(AssertUnwindSafe(|| {
        IniEntryDef::register(settings::INI.as_slice(), module_number);
        // The library's messages that no client owns (a failed pthread_atfork, an engine
        // thread that panicked) go to the same queue as the clients' own, and from there to the
        // PSR-3 logger or PHP's error log, instead of standard error, which PHP-FPM discards.
        // Only a pointer is stored here: no thread starts at module startup.
        pushcast_client::set_process_log_sink(Some(notices::sink()));
        errors::register_classes()
    }));
    if matches!(registered, Ok(Ok(()))) {
        0
    } else {
        -1
    }
}

extern "C" fn shutdown(_kind: i32, _module_number: i32) -> i32 {
    let flushed = catch_unwind(|| {
        for (client, report, timeout) in registry::shutdown_all() {
            let (pending, spooled) = (report.pending, report.stats.spool_left_at_shutdown);
            if pending > 0 {
                let kept = if spooled > 0 {
                    format!(", {spooled} of them kept in the spool for the next process")
                } else {
                    String::new()
                };
                log_error(&format!(
                    "pushcast: {pending} event(s) not delivered at shutdown ({client}, waited {} ms{kept}); last error: {}",
                    timeout.as_millis(),
                    report.stats.last_error.as_deref().unwrap_or("none")
                ));
            }
        }
        // What the engines said meanwhile (no PHP code can run now: the error log).
        for (_, message) in notices::drain() {
            log_error(&message);
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
        if let Some(symbol) = php_function(c"display_ini_entries") {
            // SAFETY: PHP's `void display_ini_entries(zend_module_entry *)`, given the entry PHP
            // passed to this info function; it only reads it.
            let display: DisplayIniEntries = unsafe { std::mem::transmute(symbol) };
            unsafe { display(module) };
        }
    }));
}

#[php_module]
#[php(startup = startup)]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .name("pushcast")
        .class::<webhook::PhpWebhook>()
        .class::<promise::PhpPromise>()
        .class::<client::PhpClient>()
        .shutdown_function(shutdown)
        .info_function(info)
}
