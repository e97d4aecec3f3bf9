//! The C ABI's integer and enumeration arguments, called as C would with numbers the fuzzer
//! chose, against a mirror `ClientConfig` built from pushcast-client directly.
//!
//! Properties, for every call:
//! - never a panic caught at the boundary (PUSHCAST_RESULT_PANIC), an abort or a crash (the
//!   target runs under AddressSanitizer);
//! - an enumeration argument outside its constants is PUSHCAST_RESULT_INVALID_CONFIG with an
//!   error object whose message names the argument and every accepted constant, and the config
//!   is left as it was; every value inside is accepted;
//! - the other integers of the setters are taken whole: pushcast_client_new() on the config
//!   answers exactly as `Client::new` on the mirror (same result, same message), so a setter
//!   that applied part of a refused call, or changed a number on the way, is caught;
//! - a length no object can have (over isize::MAX bytes) is refused with the result of what it
//!   measures, before anything is read;
//! - with a started engine (`probe`), publish / confirmed publish / flush / shutdown with any
//!   timeout, and the Block policy with any block timeout, answer with a documented result
//!   (the events cannot be delivered: they fail within the probe's 25 ms delivery timeout, so
//!   no call waits long whatever its timeout).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::{c_char, CStr};
use std::ptr;
use std::time::Duration;

use ::pushcast_client::{
    Backpressure, BreakerOpenPolicy, Client, ClientConfig, ConflateRule, SpoolConfig, SpoolSync,
};
use pushcast::{
    pushcast_app, pushcast_app_free, pushcast_app_new, pushcast_app_verify_webhook,
    pushcast_client, pushcast_client_flush, pushcast_client_free, pushcast_client_new,
    pushcast_client_publish, pushcast_client_publish_batch, pushcast_client_publish_confirmed,
    pushcast_client_shutdown, pushcast_config, pushcast_config_add_conflate_rule,
    pushcast_config_free, pushcast_config_new, pushcast_config_set_breaker,
    pushcast_config_set_queue, pushcast_config_set_spool, pushcast_config_set_timeouts,
    pushcast_error_code, pushcast_error_free, pushcast_error_last, pushcast_error_message,
    pushcast_event, pushcast_header, pushcast_result, PUSHCAST_BACKPRESSURE_BLOCK,
    PUSHCAST_BACKPRESSURE_DROP_NEWEST, PUSHCAST_BACKPRESSURE_DROP_OLDEST,
    PUSHCAST_BACKPRESSURE_FAIL_FAST, PUSHCAST_BREAKER_POLICY_FAIL_FAST,
    PUSHCAST_BREAKER_POLICY_QUEUE, PUSHCAST_BREAKER_POLICY_SPOOL, PUSHCAST_SPOOL_SYNC_EVERY_EVENT,
    PUSHCAST_SPOOL_SYNC_INTERVAL, PUSHCAST_SPOOL_SYNC_NONE,
};
use pushcast_core::{App, Credentials};

/// One setter call with the fuzzer's numbers.
#[derive(Debug, Clone)]
pub enum Step {
    /// pushcast_config_set_queue.
    Queue {
        /// Events.
        capacity: usize,
        /// A pushcast_backpressure number, in range or not.
        policy: u32,
        /// For Block.
        block_timeout_ms: u64,
        /// Requests in flight.
        max_in_flight: usize,
    },
    /// pushcast_config_set_timeouts.
    Timeouts([u64; 4]),
    /// pushcast_config_set_breaker.
    Breaker {
        /// Consecutive failures that open a circuit.
        failure_threshold: u32,
        /// First cool-down.
        cooldown_ms: u64,
        /// Its cap.
        cooldown_max_ms: u64,
        /// A pushcast_breaker_policy number.
        policy: u32,
    },
    /// pushcast_config_set_spool (on a directory that is never opened: no engine starts).
    Spool {
        /// A pushcast_spool_sync number.
        sync: u32,
        /// For INTERVAL.
        sync_interval_ms: u64,
        /// 0: the default.
        max_bytes: u64,
        /// 0: the default.
        max_age_ms: u64,
    },
    /// pushcast_config_add_conflate_rule with an event glob.
    Conflate {
        /// The rule's window.
        window_ms: u64,
    },
}

/// Lengths passed beside pointers; a value over what any object can be must be refused.
#[derive(Debug, Clone, Default)]
pub struct Lengths {
    /// pushcast_event.channels_len.
    pub channels_len: usize,
    /// pushcast_event.data_len.
    pub data_len: usize,
    /// publish_batch's events_len.
    pub events_len: usize,
    /// verify_webhook's headers_len.
    pub headers_len: usize,
    /// verify_webhook's body_len.
    pub body_len: usize,
}

/// The timeouts of a probe on a started engine.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The Block policy's timeout (capacity 1, so the second publish blocks).
    pub block_timeout_ms: u64,
    /// pushcast_client_publish_confirmed.
    pub confirmed_ms: u64,
    /// pushcast_client_flush.
    pub flush_ms: u64,
    /// pushcast_client_shutdown.
    pub shutdown_ms: u64,
}

/// Everything one run passes.
#[derive(Debug, Clone, Default)]
pub struct ConfigCase {
    /// Setter calls, in order, on one config.
    pub steps: Vec<Step>,
    /// Lengths for publish and webhook calls.
    pub lengths: Lengths,
    /// Blocking calls on a started engine, when present.
    pub probe: Option<Probe>,
}

const OK: u32 = 0;
const PANIC: u32 = 3;
const INVALID_CONFIG: u32 = 2000;
const TOO_MANY_CHANNELS: u32 = 1005;
const TOO_MANY_EVENTS: u32 = 1007;
const PAYLOAD_TOO_LARGE: u32 = 1009;
const WEBHOOK_REJECTED: u32 = 3000;
const QUEUE_FULL: u32 = 5000;
const TIMEOUT: u32 = 5001;
const TRANSPORT: u32 = 5002;

/// Each enumeration: its C constants (number, name), as the header documents them.
const BACKPRESSURE: &[(u32, &str)] = &[
    (
        PUSHCAST_BACKPRESSURE_FAIL_FAST,
        "PUSHCAST_BACKPRESSURE_FAIL_FAST",
    ),
    (PUSHCAST_BACKPRESSURE_BLOCK, "PUSHCAST_BACKPRESSURE_BLOCK"),
    (
        PUSHCAST_BACKPRESSURE_DROP_NEWEST,
        "PUSHCAST_BACKPRESSURE_DROP_NEWEST",
    ),
    (
        PUSHCAST_BACKPRESSURE_DROP_OLDEST,
        "PUSHCAST_BACKPRESSURE_DROP_OLDEST",
    ),
];
const BREAKER_POLICY: &[(u32, &str)] = &[
    (
        PUSHCAST_BREAKER_POLICY_QUEUE,
        "PUSHCAST_BREAKER_POLICY_QUEUE",
    ),
    (
        PUSHCAST_BREAKER_POLICY_FAIL_FAST,
        "PUSHCAST_BREAKER_POLICY_FAIL_FAST",
    ),
    (
        PUSHCAST_BREAKER_POLICY_SPOOL,
        "PUSHCAST_BREAKER_POLICY_SPOOL",
    ),
];
const SPOOL_SYNC: &[(u32, &str)] = &[
    (PUSHCAST_SPOOL_SYNC_NONE, "PUSHCAST_SPOOL_SYNC_NONE"),
    (PUSHCAST_SPOOL_SYNC_INTERVAL, "PUSHCAST_SPOOL_SYNC_INTERVAL"),
    (
        PUSHCAST_SPOOL_SYNC_EVERY_EVENT,
        "PUSHCAST_SPOOL_SYNC_EVERY_EVENT",
    ),
];

const ENDPOINT: &CStr = c"http://127.0.0.1:1";
/// Never created: the spool opens at the engine's start, and these clients start none.
const SPOOL_DIR: &str = "/nonexistent/pushcast-fuzz-spool";

/// Takes the calling thread's error object: (code, message), or None.
fn take_error() -> Option<(u32, String)> {
    let error = pushcast_error_last();
    if error.is_null() {
        return None;
    }
    // SAFETY: a live error object just taken, freed once.
    unsafe {
        let code = pushcast_error_code(error) as u32;
        let message = CStr::from_ptr(pushcast_error_message(error))
            .to_str()
            .expect("error message not UTF-8")
            .to_owned();
        pushcast_error_free(error);
        Some((code, message))
    }
}

/// Checks a call's result against `expected` (Ok, or the code of the refusal) and the error
/// object it leaves; returns the message on a refusal.
fn settle(what: &str, rc: pushcast_result, expected: Result<(), u32>) -> Option<String> {
    let rc = rc as u32;
    assert_ne!(rc, PANIC, "{what}: a panic was caught at the C boundary");
    let error = take_error();
    match expected {
        Ok(()) => {
            assert_eq!(rc, OK, "{what}: expected success, got {rc}: {error:?}");
            assert!(error.is_none(), "{what}: an error object after a success");
            None
        }
        Err(code) => {
            assert_eq!(rc, code, "{what}: wrong result ({error:?})");
            let (object_code, message) = error.unwrap_or_else(|| panic!("{what}: no error object"));
            assert_eq!(object_code, code, "{what}: error object's code");
            assert!(!message.is_empty(), "{what}: empty message");
            Some(message)
        }
    }
}

/// An enumeration argument: accepted when it is one of `table`'s numbers, else refused with
/// INVALID_CONFIG naming `argument` and every constant. Returns whether it was accepted.
fn settle_enum(
    what: &str,
    rc: pushcast_result,
    value: u32,
    table: &[(u32, &str)],
    argument: &str,
    other_refusal: Option<String>,
) -> bool {
    let in_range = table.iter().any(|(n, _)| *n == value);
    if !in_range {
        let message = settle(what, rc, Err(INVALID_CONFIG)).unwrap_or_default();
        assert!(
            message.contains(&format!("`{argument}`")),
            "{what}({value}): the message does not name `{argument}`: {message}"
        );
        assert!(
            message.contains(&value.to_string()),
            "{what}({value}): the message does not say the value: {message}"
        );
        for (_, name) in table {
            assert!(
                message.contains(name),
                "{what}({value}): the message does not list {name}: {message}"
            );
        }
        return false;
    }
    match other_refusal {
        None => {
            settle(what, rc, Ok(()));
            true
        }
        Some(expected_message) => {
            let message = settle(what, rc, Err(INVALID_CONFIG)).unwrap_or_default();
            assert_eq!(message, expected_message, "{what}({value})");
            false
        }
    }
}

fn new_app() -> *mut pushcast_app {
    let mut app = ptr::null_mut();
    // SAFETY: NUL-terminated strings, a valid out-pointer.
    let rc = unsafe { pushcast_app_new(c"1".as_ptr(), c"k".as_ptr(), c"s".as_ptr(), &mut app) };
    settle("pushcast_app_new", rc, Ok(()));
    app
}

fn new_config(app: *const pushcast_app) -> *mut pushcast_config {
    let mut config = ptr::null_mut();
    // SAFETY: a live app, a NUL-terminated string, a valid out-pointer.
    let rc = unsafe { pushcast_config_new(app, ENDPOINT.as_ptr(), &mut config) };
    settle("pushcast_config_new", rc, Ok(()));
    config
}

/// Applies one setter to the config and, as documented, to the mirror.
fn apply(config: *mut pushcast_config, mirror: &mut ClientConfig, step: &Step) {
    match *step {
        Step::Queue {
            capacity,
            policy,
            block_timeout_ms,
            max_in_flight,
        } => {
            // SAFETY: a live config used by this thread only.
            let rc = unsafe {
                pushcast_config_set_queue(config, capacity, policy, block_timeout_ms, max_in_flight)
            };
            if settle_enum(
                "pushcast_config_set_queue",
                rc,
                policy,
                BACKPRESSURE,
                "policy",
                None,
            ) {
                mirror.queue_capacity = capacity;
                mirror.max_in_flight = max_in_flight;
                mirror.backpressure = match policy {
                    PUSHCAST_BACKPRESSURE_FAIL_FAST => Backpressure::FailFast,
                    PUSHCAST_BACKPRESSURE_BLOCK => Backpressure::Block {
                        timeout: Duration::from_millis(block_timeout_ms),
                    },
                    PUSHCAST_BACKPRESSURE_DROP_NEWEST => Backpressure::DropNewest,
                    _ => Backpressure::DropOldest,
                };
            }
        }
        Step::Timeouts([connect, request, delivery, shutdown]) => {
            // SAFETY: as above.
            let rc = unsafe {
                pushcast_config_set_timeouts(config, connect, request, delivery, shutdown)
            };
            settle("pushcast_config_set_timeouts", rc, Ok(()));
            mirror.connect_timeout = Duration::from_millis(connect);
            mirror.request_timeout = Duration::from_millis(request);
            mirror.delivery_timeout = Duration::from_millis(delivery);
            mirror.shutdown_timeout = Duration::from_millis(shutdown);
        }
        Step::Breaker {
            failure_threshold,
            cooldown_ms,
            cooldown_max_ms,
            policy,
        } => {
            // SAFETY: as above.
            let rc = unsafe {
                pushcast_config_set_breaker(
                    config,
                    failure_threshold,
                    cooldown_ms,
                    cooldown_max_ms,
                    policy,
                )
            };
            if settle_enum(
                "pushcast_config_set_breaker",
                rc,
                policy,
                BREAKER_POLICY,
                "policy",
                None,
            ) {
                mirror.breaker_failure_threshold = failure_threshold;
                mirror.breaker_cooldown = Duration::from_millis(cooldown_ms);
                mirror.breaker_cooldown_max = Duration::from_millis(cooldown_max_ms);
                mirror.breaker_open_policy = match policy {
                    PUSHCAST_BREAKER_POLICY_QUEUE => BreakerOpenPolicy::Queue,
                    PUSHCAST_BREAKER_POLICY_FAIL_FAST => BreakerOpenPolicy::FailFast,
                    _ => BreakerOpenPolicy::Spool,
                };
            }
        }
        Step::Spool {
            sync,
            sync_interval_ms,
            max_bytes,
            max_age_ms,
        } => {
            let dir = std::ffi::CString::new(SPOOL_DIR).unwrap();
            // SAFETY: a live config, a NUL-terminated string.
            let rc = unsafe {
                pushcast_config_set_spool(
                    config,
                    dir.as_ptr(),
                    sync,
                    sync_interval_ms,
                    max_bytes,
                    max_age_ms,
                )
            };
            let interval = Duration::from_millis(sync_interval_ms);
            let level = match sync {
                PUSHCAST_SPOOL_SYNC_NONE => Ok(SpoolSync::None),
                // The C setter goes through the configuration's key table, whose errors name
                // the key the caller set: `spool_sync_interval_ms`.
                PUSHCAST_SPOOL_SYNC_INTERVAL if interval.is_zero() => {
                    Err(pushcast_core::Error::InvalidConfig {
                        field: "spool_sync_interval_ms",
                        reason: "must be more than zero".into(),
                    })
                }
                PUSHCAST_SPOOL_SYNC_INTERVAL => Ok(SpoolSync::Interval(interval)),
                _ => Ok(SpoolSync::EveryEvent),
            };
            let other = level.as_ref().err().map(ToString::to_string);
            if settle_enum(
                "pushcast_config_set_spool",
                rc,
                sync,
                SPOOL_SYNC,
                "sync",
                other,
            ) {
                let mut spool = SpoolConfig::new(SPOOL_DIR);
                spool.sync = level.unwrap();
                if max_bytes > 0 {
                    spool.max_bytes = max_bytes;
                }
                if max_age_ms > 0 {
                    spool.max_age = Duration::from_millis(max_age_ms);
                }
                mirror.spool = Some(spool);
            }
        }
        Step::Conflate { window_ms } => {
            // SAFETY: a live config, NUL-terminated strings or NULL.
            let rc = unsafe {
                pushcast_config_add_conflate_rule(
                    config,
                    c"e*".as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    window_ms,
                )
            };
            settle("pushcast_config_add_conflate_rule", rc, Ok(()));
            mirror.conflate.push(ConflateRule {
                event: Some("e*".into()),
                channel: None,
                key: None,
                window: Duration::from_millis(window_ms),
            });
        }
    }
}

/// Publishes and verifies with the fuzzed lengths: over what any object can be, refused with
/// the documented result before anything is read; otherwise the real length is passed.
fn lengths(app: *const pushcast_app, client: *const pushcast_client, l: &Lengths) {
    let over = |len: usize, item: usize| len > isize::MAX as usize / item;
    let channel: *const c_char = c"c".as_ptr();
    let data = b"{}";
    let refused = |len: usize, item: usize, code: u32| over(len, item).then_some(code);
    let channels_err = refused(
        l.channels_len,
        size_of::<*const c_char>(),
        TOO_MANY_CHANNELS,
    );
    let data_err = refused(l.data_len, 1, PAYLOAD_TOO_LARGE);
    let event = pushcast_event {
        channels: &channel,
        channels_len: if channels_err.is_some() {
            l.channels_len
        } else {
            1
        },
        // An invalid event name: a valid description is refused by validation, never queued
        // (this client's engine is never started here).
        name: c"pusher:x".as_ptr(),
        data: data.as_ptr(),
        data_len: if data_err.is_some() { l.data_len } else { 2 },
        socket_id: ptr::null(),
    };
    let expected = channels_err.or(data_err).unwrap_or(1001); // InvalidEventName
                                                              // SAFETY: a live client; the event's pointers are valid for the lengths not refused.
    let rc = unsafe { pushcast_client_publish(client, &event, ptr::null_mut()) };
    let message = settle("publish(lengths)", rc, Err(expected)).unwrap_or_default();
    if expected != 1001 {
        assert!(message.contains("_len` is"), "{message}");
    }
    let events_err = refused(l.events_len, size_of::<pushcast_event>(), TOO_MANY_EVENTS);
    let events_len = if events_err.is_some() {
        l.events_len
    } else {
        1
    };
    // SAFETY: as above; `events_len` is 1 unless refused.
    let rc = unsafe { pushcast_client_publish_batch(client, &event, events_len, ptr::null_mut()) };
    settle(
        "publish_batch(lengths)",
        rc,
        Err(events_err.unwrap_or(expected)),
    );

    let header = pushcast_header {
        name: c"X-Pusher-Key".as_ptr(),
        value: c"k".as_ptr(),
    };
    let headers_err = refused(
        l.headers_len,
        size_of::<pushcast_header>(),
        WEBHOOK_REJECTED,
    );
    let body_err = refused(l.body_len, 1, WEBHOOK_REJECTED);
    let mut out = ptr::null_mut();
    // SAFETY: a live app; pointers valid for the lengths not refused; a valid out-pointer.
    let rc = unsafe {
        pushcast_app_verify_webhook(
            app,
            &header,
            if headers_err.is_some() {
                l.headers_len
            } else {
                1
            },
            data.as_ptr(),
            if body_err.is_some() { l.body_len } else { 2 },
            0,
            &mut out,
        )
    };
    // Without a signature header the webhook is rejected anyway: the same code either way.
    settle("verify_webhook(lengths)", rc, Err(WEBHOOK_REJECTED));
    assert!(out.is_null());
}

/// Blocking calls with the fuzzer's timeouts on a started engine that cannot deliver.
fn probe(app: *const pushcast_app, p: &Probe) {
    let config = new_config(app);
    // SAFETY: a live config used by this thread only.
    unsafe {
        let rc = pushcast_config_set_timeouts(config, 10, 10, 25, 0);
        settle("probe: set_timeouts", rc, Ok(()));
        let rc = pushcast_config_set_queue(
            config,
            1,
            PUSHCAST_BACKPRESSURE_BLOCK,
            p.block_timeout_ms,
            1,
        );
        settle("probe: set_queue", rc, Ok(()));
    }
    let mut client = ptr::null_mut();
    // SAFETY: a live config, a valid out-pointer.
    let rc = unsafe { pushcast_client_new(config, &mut client) };
    settle("probe: client_new", rc, Ok(()));
    // SAFETY: a live config, freed once.
    unsafe { pushcast_config_free(config) };

    let channel: *const c_char = c"probe".as_ptr();
    let event = pushcast_event {
        channels: &channel,
        channels_len: 1,
        name: c"e".as_ptr(),
        data: b"{}".as_ptr(),
        data_len: 2,
        socket_id: ptr::null(),
    };
    let delivery_failure = |what: &str, rc: pushcast_result| {
        let code = rc as u32;
        assert!(
            [TIMEOUT, TRANSPORT, QUEUE_FULL].contains(&code),
            "{what}: unexpected result {code}"
        );
        settle(what, rc, Err(code));
    };
    // SAFETY: a live client and event description; NULL or valid out-pointers.
    unsafe {
        let rc = pushcast_client_publish_confirmed(client, &event, p.confirmed_ms);
        delivery_failure("probe: publish_confirmed", rc);
        let rc = pushcast_client_publish(client, &event, ptr::null_mut());
        let code = rc as u32;
        assert!(
            code == OK || code == QUEUE_FULL,
            "probe: publish gave {code}"
        );
        settle(
            "probe: publish",
            rc,
            if code == OK { Ok(()) } else { Err(code) },
        );
        // Capacity 1: this one blocks until the first fails, or for the block timeout.
        let rc = pushcast_client_publish(client, &event, ptr::null_mut());
        let code = rc as u32;
        assert!(
            code == OK || code == QUEUE_FULL,
            "probe: blocked publish gave {code}"
        );
        settle(
            "probe: blocked publish",
            rc,
            if code == OK { Ok(()) } else { Err(code) },
        );
        let mut pending = u64::MAX;
        let rc = pushcast_client_flush(client, p.flush_ms, &mut pending);
        settle("probe: flush", rc, Ok(()));
        assert!(pending <= 2, "probe: flush reports {pending} pending");
        let rc = pushcast_client_shutdown(client, p.shutdown_ms, &mut pending);
        settle("probe: shutdown", rc, Ok(()));
        assert!(pending <= 2, "probe: shutdown reports {pending} abandoned");
        pushcast_client_free(client);
    }
}

/// See the module documentation.
pub fn ffi_config(case: &ConfigCase) {
    // Leftovers of an earlier run on this thread would be mistaken for this run's.
    let _ = take_error();
    let app = new_app();
    let config = new_config(app);
    let mirror_app = App::new(Credentials::new("1", "k", "s").unwrap());
    let mut mirror = ClientConfig::new(mirror_app, ENDPOINT.to_str().unwrap());
    for step in &case.steps {
        apply(config, &mut mirror, step);
    }

    // The settings as a whole: the library's answer is the client crate's on the mirror.
    let expected = Client::new(mirror).map(drop).map_err(|e| e.to_string());
    let mut client = ptr::null_mut();
    // SAFETY: a live config, a valid out-pointer.
    let rc = unsafe { pushcast_client_new(config, &mut client) };
    match &expected {
        Ok(()) => {
            settle("pushcast_client_new", rc, Ok(()));
            assert!(!client.is_null());
        }
        Err(mirror_message) => {
            let message = settle("pushcast_client_new", rc, Err(INVALID_CONFIG));
            assert_eq!(message.as_deref(), Some(mirror_message.as_str()));
            assert!(client.is_null());
        }
    }
    // SAFETY: a live config, freed once.
    unsafe { pushcast_config_free(config) };

    if !client.is_null() {
        lengths(app, client, &case.lengths);
        // SAFETY: a live client whose engine never started: freed at once.
        unsafe { pushcast_client_free(client) };
    }
    if let Some(p) = &case.probe {
        probe(app, p);
    }
    // SAFETY: a live app, freed once.
    unsafe { pushcast_app_free(app) };
}
