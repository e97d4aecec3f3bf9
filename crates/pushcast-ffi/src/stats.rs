//! Statistics that can grow: every counter by name or as one JSON document, and the list of
//! counter names, all from `pushcast_client::StatsSnapshot` (the one definition). There is no
//! fixed stats struct: a counter added to the client reaches C without an ABI change.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use ::pushcast_client::StatsSnapshot;

use crate::boundary::{
    arg_ref, arg_str, check_out, guard, guard_value, owned_string, pushcast_result, write_out,
    Failure,
};
use crate::client::pushcast_client;

/// Writes every statistic as one JSON object to `*json_out`:
///
/// `{"counters": {"enqueued": n, ...}, "latency_p50_us": n|null, "latency_p99_us": n|null,
/// "last_error": "..."|null, "circuits": [{"endpoint": "http://..", "state": "closed"|"open"|
/// "half_open"}]}`
///
/// `counters` holds every counter of the client, named as pushcast_stats_counter_name() lists
/// them (new ones appear here without an ABI change).
/// Keys are only ever added: ignore the ones you do not know. Before the first publish every
/// counter is 0 and every endpoint's circuit is closed. Never blocks on the network.
///
/// Ownership: the caller frees `*json_out` with pushcast_string_free(). Thread-safety: may be
/// called from any thread, concurrently with every other client function.
///
/// # Safety
/// `client` must be NULL or a live client; `json_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_stats_json(
    client: *const pushcast_client,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        check_out(json_out, "json_out")?;
        // SAFETY: caller's contract.
        let client = unsafe { arg_ref(client, "client")? };
        let json = client.client.stats().to_json();
        // SAFETY: checked non-NULL above.
        unsafe { write_out(json_out, owned_string(json)?) };
        Ok(())
    })
}

/// Writes the counter named `name` (one of pushcast_stats_counter_name()'s, e.g.
/// "delivered") to `*value_out`. A name the library does not have is
/// PUSHCAST_RESULT_UNKNOWN_STAT, and `*value_out` is left as it was. Latencies, the last error
/// and circuit states are in pushcast_client_stats_json().
///
/// Thread-safety: may be called from any thread, concurrently with every other client
/// function. Never blocks on the network.
///
/// # Safety
/// `client` must be NULL or a live client; `name` NULL or a NUL-terminated string;
/// `value_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pushcast_client_stat(
    client: *const pushcast_client,
    name: *const c_char,
    value_out: *mut u64,
) -> pushcast_result {
    guard(|| {
        check_out(value_out, "value_out")?;
        // SAFETY: caller's contract.
        let (client, name) = unsafe { (arg_ref(client, "client")?, arg_str(name, "name")?) };
        // The name is checked before the snapshot is taken: an unknown one costs nothing.
        if !StatsSnapshot::counter_names().contains(&name) {
            return Err(Failure::unknown_stat(name));
        }
        let value = client
            .client
            .stats()
            .counter(name)
            .ok_or_else(|| Failure::unknown_stat(name))?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(value_out, value) };
        Ok(())
    })
}

/// The counter names, NUL-terminated, built once and never freed (static for C).
fn counter_names() -> &'static [CString] {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    NAMES.get_or_init(|| {
        StatsSnapshot::counter_names()
            .into_iter()
            // The names are ASCII identifiers (a test checks): none holds a NUL.
            .filter_map(|name| CString::new(name).ok())
            .collect()
    })
}

/// How many counters the client has: with pushcast_stats_counter_name(), the list a binding
/// reads its counter names from (and its tests compare against) instead of copying them.
///
/// Thread-safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn pushcast_stats_counter_count() -> usize {
    guard_value(0, || counter_names().len())
}

/// The name of counter `index` (0 to pushcast_stats_counter_count() - 1): a static
/// NUL-terminated string, never freed, in the order of pushcast_client_stats_json()'s
/// `counters`. NULL past the end.
///
/// Thread-safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn pushcast_stats_counter_name(index: usize) -> *const c_char {
    guard_value(std::ptr::null(), || {
        counter_names()
            .get(index)
            .map_or(std::ptr::null(), |name| name.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;
    use std::ffi::CStr;

    fn client() -> (
        *mut pushcast_app,
        *mut pushcast_config,
        *mut pushcast_client,
    ) {
        let (app, config) = crate::test_handles::app_and_config();
        let mut client = std::ptr::null_mut();
        // SAFETY: a live config and an out-pointer; the handles are freed by `free`.
        assert_eq!(
            unsafe { pushcast_client_new(config, &mut client) },
            pushcast_result::Ok
        );
        (app, config, client)
    }

    fn free(
        (app, config, client): (
            *mut pushcast_app,
            *mut pushcast_config,
            *mut pushcast_client,
        ),
    ) {
        // SAFETY: a live client, freed once.
        unsafe { pushcast_client_free(client) };
        crate::test_handles::free_app_and_config(app, config);
    }

    /// The C list, the JSON's counters and the by-name reads are the client's own counters.
    #[test]
    fn names_json_and_by_name_are_the_clients_counters() {
        let listed: Vec<String> = (0..pushcast_stats_counter_count())
            .map(|i| {
                // SAFETY: a static NUL-terminated name.
                unsafe { CStr::from_ptr(pushcast_stats_counter_name(i)) }
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(listed, StatsSnapshot::counter_names());
        assert!(pushcast_stats_counter_name(listed.len()).is_null());
        assert!(pushcast_stats_counter_name(usize::MAX).is_null());

        let handles = client();
        let mut json = std::ptr::null_mut();
        // SAFETY: a live client and a writable out-pointer; the string is freed below.
        let text = unsafe {
            assert_eq!(
                pushcast_client_stats_json(handles.2, &mut json),
                pushcast_result::Ok
            );
            let text = CStr::from_ptr(json).to_str().unwrap().to_owned();
            pushcast_string_free(json);
            text
        };
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = value["counters"].as_object().unwrap().keys().collect();
        assert_eq!(keys, listed.iter().collect::<Vec<_>>());
        assert_eq!(value["circuits"][0]["endpoint"], "http://127.0.0.1:1");
        assert_eq!(value["circuits"][0]["state"], "closed");

        for name in &listed {
            let c_name = CString::new(name.as_str()).unwrap();
            let mut out = u64::MAX;
            // SAFETY: as above.
            let rc = unsafe { pushcast_client_stat(handles.2, c_name.as_ptr(), &mut out) };
            assert_eq!((rc, out), (pushcast_result::Ok, 0), "{name}");
        }
        let mut out = 42;
        // SAFETY: as above.
        unsafe {
            let rc = pushcast_client_stat(handles.2, c"latency_p50_us".as_ptr(), &mut out);
            assert_eq!((rc, out), (pushcast_result::UnknownStat, 42));
            let error = pushcast_error_last();
            let message = CStr::from_ptr(pushcast_error_message(error))
                .to_string_lossy()
                .into_owned();
            pushcast_error_free(error);
            assert!(message.contains("latency_p50_us"), "{message}");
            let rc = pushcast_client_stat(handles.2, std::ptr::null(), &mut out);
            assert_eq!(rc, pushcast_result::NullArgument);
            let rc = pushcast_client_stat(handles.2, c"delivered".as_ptr(), std::ptr::null_mut());
            assert_eq!(rc, pushcast_result::NullArgument);
            let rc = pushcast_client_stats_json(std::ptr::null(), &mut json);
            assert_eq!(rc, pushcast_result::NullArgument);
        }
        free(handles);
    }
}
