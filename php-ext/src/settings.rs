//! ini settings: process-wide defaults for every `Pushcast\Client` (options override them).
//!
//! The client settings among them show the library's own defaults (`ClientConfig::DEFAULT_*`,
//! written into the ini table at compile time, so `php --ri pushcast` shows them and no number
//! is copied here); their values go to `ClientConfig::set` under the same name, parsed and
//! checked there.

use std::ffi::CStr;

use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::{ExecutorGlobals, IniEntryDef, IniEntryDefs};
use pushcast_client::ClientConfig;

/// Room for the longest default: u64::MAX's 20 digits and the NUL.
const TEXT: usize = 21;

/// `n` in decimal, NUL-terminated.
const fn decimal(mut n: u64) -> [u8; TEXT] {
    let mut digits = [0u8; TEXT];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut out = [0u8; TEXT];
    let mut i = 0;
    while i < len {
        out[i] = digits[len - 1 - i];
        i += 1;
    }
    out
}

/// `text` NUL-terminated (cut to fit; the names used here are short).
const fn nul_terminated(text: &str) -> [u8; TEXT] {
    let bytes = text.as_bytes();
    let mut out = [0u8; TEXT];
    let mut i = 0;
    while i < bytes.len() && i < TEXT - 1 {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

const fn c_text(bytes: &'static [u8; TEXT]) -> &'static CStr {
    match CStr::from_bytes_until_nul(bytes) {
        Ok(text) => text,
        Err(_) => c"",
    }
}

const SHUTDOWN_TIMEOUT_MS: [u8; TEXT] =
    decimal(ClientConfig::DEFAULT_SHUTDOWN_TIMEOUT.as_millis() as u64);
const QUEUE_CAPACITY: [u8; TEXT] = decimal(ClientConfig::DEFAULT_QUEUE_CAPACITY as u64);
const BACKPRESSURE: [u8; TEXT] = nul_terminated(ClientConfig::DEFAULT_BACKPRESSURE.name());
const DELIVERY_TIMEOUT_MS: [u8; TEXT] =
    decimal(ClientConfig::DEFAULT_DELIVERY_TIMEOUT.as_millis() as u64);

/// The ini entries, registered at module startup.
pub(crate) static INI: IniEntryDefs<7> = IniEntryDefs::new([
    IniEntryDef::new(
        c"pushcast.shutdown_timeout_ms",
        c_text(&SHUTDOWN_TIMEOUT_MS),
        IniEntryPermission::All,
    ),
    IniEntryDef::new(
        c"pushcast.queue_capacity",
        c_text(&QUEUE_CAPACITY),
        IniEntryPermission::All,
    ),
    IniEntryDef::new(
        c"pushcast.backpressure",
        c_text(&BACKPRESSURE),
        IniEntryPermission::All,
    ),
    IniEntryDef::new(
        c"pushcast.delivery_timeout_ms",
        c_text(&DELIVERY_TIMEOUT_MS),
        IniEntryPermission::All,
    ),
    IniEntryDef::new(
        c"pushcast.server_profile",
        c"strict",
        IniEntryPermission::All,
    ),
    // Empty: the server profile's own limit (10,000 bytes for reverb and strict).
    IniEntryDef::new(c"pushcast.max_request_size", c"", IniEntryPermission::All),
    IniEntryDef::end(),
]);

/// The ini settings that are `ClientConfig::set` keys (`pushcast.{key}`); an empty value
/// leaves the library's default.
const CONFIG_KEYS: [&str; 4] = [
    "shutdown_timeout_ms",
    "queue_capacity",
    "backpressure",
    "delivery_timeout_ms",
];

/// The ini values in effect for this request.
pub(crate) struct Defaults {
    /// The client settings given a value, as `(key, text)` for `ClientConfig::set`.
    pub config: Vec<(&'static str, String)>,
    pub server_profile: String,
    /// The whole-request limit in bytes (Reverb's `max_request_size`) replacing the profile's;
    /// `None` keeps the profile's, 0 means unlimited.
    pub max_request_size: Option<u64>,
}

impl Defaults {
    /// Reads the current values.
    pub(crate) fn current() -> Defaults {
        let values = ExecutorGlobals::get().ini_values();
        let get = |name: &str| {
            values
                .get(name)
                .cloned()
                .flatten()
                .filter(|v| !v.trim().is_empty())
        };
        Defaults {
            config: CONFIG_KEYS
                .iter()
                .filter_map(|key| Some((*key, get(&format!("pushcast.{key}"))?)))
                .collect(),
            server_profile: get("pushcast.server_profile").unwrap_or_else(|| "strict".into()),
            max_request_size: get("pushcast.max_request_size").and_then(|v| v.trim().parse().ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_defaults_are_the_librarys() {
        let text = |bytes: &'static [u8; TEXT]| c_text(bytes).to_str().unwrap().to_owned();
        let millis = |d: std::time::Duration| d.as_millis().to_string();
        assert_eq!(
            text(&SHUTDOWN_TIMEOUT_MS),
            millis(ClientConfig::DEFAULT_SHUTDOWN_TIMEOUT)
        );
        assert_eq!(
            text(&DELIVERY_TIMEOUT_MS),
            millis(ClientConfig::DEFAULT_DELIVERY_TIMEOUT)
        );
        assert_eq!(
            text(&QUEUE_CAPACITY),
            ClientConfig::DEFAULT_QUEUE_CAPACITY.to_string()
        );
        assert_eq!(
            text(&BACKPRESSURE),
            ClientConfig::DEFAULT_BACKPRESSURE.name()
        );
        const ZERO: [u8; TEXT] = decimal(0);
        const MAX: [u8; TEXT] = decimal(u64::MAX);
        assert_eq!(c_text(&ZERO), c"0");
        assert_eq!(c_text(&MAX).to_str().unwrap(), u64::MAX.to_string());
    }
}
