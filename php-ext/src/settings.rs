//! ini settings: process-wide defaults for every `Pushcast\Client` (options override them).

use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::{ExecutorGlobals, IniEntryDef, IniEntryDefs};

/// The ini entries, registered at module startup.
pub(crate) static INI: IniEntryDefs<7> = IniEntryDefs::new([
    IniEntryDef::new(
        c"pushcast.shutdown_timeout_ms",
        c"5000",
        IniEntryPermission::All,
    ),
    IniEntryDef::new(
        c"pushcast.queue_capacity",
        c"10000",
        IniEntryPermission::All,
    ),
    IniEntryDef::new(
        c"pushcast.backpressure",
        c"fail_fast",
        IniEntryPermission::All,
    ),
    IniEntryDef::new(
        c"pushcast.delivery_timeout_ms",
        c"30000",
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

/// The ini values in effect for this request.
pub(crate) struct Defaults {
    pub shutdown_timeout_ms: u64,
    pub queue_capacity: usize,
    pub backpressure: String,
    pub delivery_timeout_ms: u64,
    pub server_profile: String,
    /// The whole-request limit in bytes (Reverb's `max_request_size`) replacing the profile's;
    /// `None` keeps the profile's, 0 means unlimited.
    pub max_request_size: Option<u64>,
}

impl Defaults {
    /// Reads the current values (a bad number falls back to the default, as PHP's own
    /// OnUpdateLong would refuse it at ini_set time).
    pub(crate) fn current() -> Defaults {
        let values = ExecutorGlobals::get().ini_values();
        let get = |name: &str| values.get(name).cloned().flatten();
        let num = |name: &str, default: u64| {
            get(name)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        };
        Defaults {
            shutdown_timeout_ms: num("pushcast.shutdown_timeout_ms", 5000),
            queue_capacity: usize::try_from(num("pushcast.queue_capacity", 10_000))
                .unwrap_or(10_000),
            backpressure: get("pushcast.backpressure").unwrap_or_else(|| "fail_fast".into()),
            delivery_timeout_ms: num("pushcast.delivery_timeout_ms", 30_000),
            server_profile: get("pushcast.server_profile").unwrap_or_else(|| "strict".into()),
            max_request_size: get("pushcast.max_request_size").and_then(|v| v.trim().parse().ok()),
        }
    }
}
