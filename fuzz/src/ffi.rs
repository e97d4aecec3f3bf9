//! The C ABI's string entry points, called as C would, against a mirror built from
//! pushcast-core directly.
//!
//! Every argument is a byte string the fuzzer chose, made a NUL-terminated C string (cut at
//! its first NUL, as C would read it; invalid UTF-8 kept) or NULL. Each call must return the
//! result code the C API documents: PUSHCAST_RESULT_NULL_ARGUMENT / _INVALID_UTF8 for the first
//! bad argument in order, else the code of the core's answer to the same strings, never
//! PUSHCAST_RESULT_PANIC; on success its JSON output is byte for byte the core's, and no error
//! object is left; on failure an error object with the same code and a readable message is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use pushcast::{
    pushcast_app, pushcast_app_authenticate_user, pushcast_app_authorize_channel,
    pushcast_app_authorize_presence_channel, pushcast_app_free, pushcast_app_new,
    pushcast_app_set_limit, pushcast_app_set_master_key_base64, pushcast_app_set_profile,
    pushcast_app_verify_webhook, pushcast_client_free, pushcast_client_new,
    pushcast_config_add_conflate_rule, pushcast_config_add_endpoint, pushcast_config_free,
    pushcast_config_new, pushcast_config_set_tls, pushcast_error_code, pushcast_error_free,
    pushcast_error_last, pushcast_error_message, pushcast_header, pushcast_result,
    pushcast_string_free,
};
use pushcast_core::{App, Credentials, Error, Freshness, MasterKey, ServerProfile};

use crate::checks::hmac_hex;

/// One argument: bytes (cut at the first NUL when passed), or NULL.
pub type Arg = Option<Vec<u8>>;

/// Everything one run passes through the C ABI.
#[derive(Debug, Clone, Default)]
pub struct FfiCase {
    /// pushcast_app_new.
    pub app_id: Arg,
    /// pushcast_app_new.
    pub key: Arg,
    /// pushcast_app_new.
    pub secret: Arg,
    /// pushcast_app_set_profile.
    pub profile: Arg,
    /// pushcast_app_set_limit: name.
    pub limit: Arg,
    /// pushcast_app_set_limit: value.
    pub limit_value: usize,
    /// pushcast_app_set_master_key_base64.
    pub master_key: Arg,
    /// Auth calls.
    pub socket_id: Arg,
    /// Auth calls.
    pub channel: Arg,
    /// pushcast_app_authorize_channel (NULL: private channel).
    pub channel_data: Arg,
    /// pushcast_app_authorize_presence_channel.
    pub user_id: Arg,
    /// pushcast_app_authorize_presence_channel (NULL: none).
    pub user_info: Arg,
    /// pushcast_app_authenticate_user.
    pub user_data: Arg,
    /// pushcast_app_verify_webhook: headers besides the signed pair.
    pub headers: Vec<(Arg, Arg)>,
    /// Add a correct X-Pusher-Key / X-Pusher-Signature pair for `body`.
    pub sign: bool,
    /// Put the fuzzed headers before the signed pair (the first match wins).
    pub fuzzed_headers_first: bool,
    /// pushcast_app_verify_webhook: raw body (may hold NULs).
    pub body: Vec<u8>,
    /// pushcast_app_verify_webhook: 0 for no freshness check.
    pub max_age_ms: u64,
    /// pushcast_config_new.
    pub endpoint: Arg,
    /// pushcast_config_add_endpoint.
    pub endpoint2: Arg,
    /// pushcast_config_add_conflate_rule: event glob, channel glob, key.
    pub conflate: [Arg; 3],
    /// pushcast_config_add_conflate_rule.
    pub window_ms: u64,
    /// pushcast_config_set_tls.
    pub ca_file: Arg,
}

const OK: u32 = 0;
const NULL_ARGUMENT: u32 = 1;
const INVALID_UTF8: u32 = 2;
const PANIC: u32 = 3;

/// The result code of a core error, as include/pushcast.h numbers them (the core's own
/// numbering, which a test in the ffi crate holds equal to the header's); the string entry
/// points only ever give validation, configuration, webhook and response errors (< 5000).
fn code_of(error: &Error) -> u32 {
    let code = error.code();
    assert!(
        code < 5000,
        "an error the string entry points should not give: {error:?}"
    );
    code
}

/// An argument as C passes it.
struct CArg(Option<CString>);

impl CArg {
    fn new(arg: &Arg) -> Self {
        CArg(arg.as_ref().map(|bytes| {
            let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
            CString::new(&bytes[..end]).unwrap()
        }))
    }

    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(ptr::null(), |c| c.as_ptr())
    }

    /// What the boundary reads: NULL is absent, else UTF-8 or PUSHCAST_RESULT_INVALID_UTF8.
    fn read(&self) -> Result<Option<&str>, u32> {
        match &self.0 {
            None => Ok(None),
            Some(c) => c.to_str().map(Some).map_err(|_| INVALID_UTF8),
        }
    }

    /// A required argument: NULL is PUSHCAST_RESULT_NULL_ARGUMENT.
    fn required(&self) -> Result<&str, u32> {
        self.read()?.ok_or(NULL_ARGUMENT)
    }
}

/// Checks a call's code and the error object it leaves against the expectation.
fn settle(what: &str, rc: pushcast_result, expected: Result<(), u32>) {
    let rc = rc as u32;
    assert_ne!(rc, PANIC, "{what}: a panic was caught at the C boundary");
    let last = pushcast_error_last();
    match expected {
        Ok(()) => {
            assert_eq!(rc, OK, "{what}: expected success");
            assert!(last.is_null(), "{what}: an error object after a success");
        }
        Err(code) => {
            assert_eq!(rc, code, "{what}: wrong result code");
            assert!(!last.is_null(), "{what}: no error object after a failure");
            // SAFETY: a live error object just taken, freed once.
            unsafe {
                assert_eq!(pushcast_error_code(last) as u32, code, "{what}");
                let message = CStr::from_ptr(pushcast_error_message(last));
                assert!(!message.to_bytes().is_empty(), "{what}: empty message");
                assert!(message.to_str().is_ok(), "{what}: message not UTF-8");
                pushcast_error_free(last);
            }
        }
    }
}

/// Checks a call that writes JSON to `*json_out`, and frees it.
fn settle_json(what: &str, rc: pushcast_result, out: *mut c_char, expected: Result<String, u32>) {
    settle(what, rc, expected.as_ref().map(drop).map_err(|c| *c));
    match expected {
        Ok(json) => {
            assert!(!out.is_null(), "{what}: success without output");
            // SAFETY: a string this library returned, freed once.
            unsafe {
                assert_eq!(CStr::from_ptr(out).to_str(), Ok(json.as_str()), "{what}");
                pushcast_string_free(out);
            }
        }
        Err(_) => assert!(out.is_null(), "{what}: output written on failure"),
    }
}

fn core<T>(result: Result<T, Error>) -> Result<T, u32> {
    result.map_err(|e| code_of(&e))
}

/// A new app through the C ABI and its core mirror (the fuzzed credentials, or, when they are
/// refused, a fixed valid app so that the rest of the run still reaches every call).
fn new_app(case: &FfiCase) -> (*mut pushcast_app, App) {
    let (id, key, secret) = (
        CArg::new(&case.app_id),
        CArg::new(&case.key),
        CArg::new(&case.secret),
    );
    let expected = (|| {
        let (i, k, s) = (id.required()?, key.required()?, secret.required()?);
        core(Credentials::new(i, k, s).map(App::new))
    })();
    let mut app = ptr::null_mut();
    // SAFETY: NULL or NUL-terminated strings, a valid out-pointer.
    let rc = unsafe { pushcast_app_new(id.ptr(), key.ptr(), secret.ptr(), &mut app) };
    settle(
        "pushcast_app_new",
        rc,
        expected.as_ref().map(drop).map_err(|c| *c),
    );
    if let Ok(mirror) = expected {
        assert!(!app.is_null());
        return (app, mirror);
    }
    assert!(app.is_null(), "pushcast_app_new wrote an app on failure");
    // SAFETY: as above.
    let rc = unsafe { pushcast_app_new(c"1".as_ptr(), c"k".as_ptr(), c"s".as_ptr(), &mut app) };
    settle("pushcast_app_new (fallback)", rc, Ok(()));
    (app, App::new(Credentials::new("1", "k", "s").unwrap()))
}

fn set_limit(profile: &mut ServerProfile, name: &str, value: usize) -> Result<(), u32> {
    let value = (value > 0).then_some(value);
    let field = match name {
        "max_events_per_batch" => &mut profile.max_events_per_batch,
        "max_channel_name_len" => &mut profile.max_channel_name_len,
        "max_event_name_len" => &mut profile.max_event_name_len,
        "max_channels_per_event" => &mut profile.max_channels_per_event,
        "max_event_data_bytes" => &mut profile.max_event_data_bytes,
        "max_body_bytes" => &mut profile.max_body_bytes,
        "max_request_bytes" => &mut profile.max_request_bytes,
        _ => return Err(2000),
    };
    *field = value;
    Ok(())
}

/// See the module documentation.
pub fn ffi_strings(case: &FfiCase) {
    // Leftovers of an earlier run on this thread would be mistaken for this run's.
    let stale = pushcast_error_last();
    // SAFETY: NULL or a live error object.
    unsafe { pushcast_error_free(stale) };

    let (app, mut mirror) = new_app(case);

    // Setters.
    let name = CArg::new(&case.profile);
    let expected = name
        .required()
        .and_then(|n| core(n.parse::<ServerProfile>()));
    // SAFETY: a live app, NULL or a NUL-terminated string.
    let rc = unsafe { pushcast_app_set_profile(app, name.ptr()) };
    settle(
        "pushcast_app_set_profile",
        rc,
        expected.as_ref().map(drop).map_err(|c| *c),
    );
    if let Ok(p) = expected {
        mirror = mirror.with_profile(p);
    }

    let limit = CArg::new(&case.limit);
    let mut profile = mirror.profile().clone();
    let expected = limit
        .required()
        .and_then(|n| set_limit(&mut profile, n, case.limit_value));
    // SAFETY: as above.
    let rc = unsafe { pushcast_app_set_limit(app, limit.ptr(), case.limit_value) };
    settle("pushcast_app_set_limit", rc, expected);
    if expected.is_ok() {
        mirror = mirror.with_profile(profile);
    }

    let master = CArg::new(&case.master_key);
    let expected = master
        .required()
        .and_then(|k| core(MasterKey::from_base64(k)));
    // SAFETY: as above.
    let rc = unsafe { pushcast_app_set_master_key_base64(app, master.ptr()) };
    settle(
        "pushcast_app_set_master_key_base64",
        rc,
        expected.as_ref().map(drop).map_err(|c| *c),
    );
    if let Ok(k) = expected {
        mirror = mirror.with_master_key(k);
    }

    // Channel auth, presence auth, user sign-in.
    let socket = CArg::new(&case.socket_id);
    let channel = CArg::new(&case.channel);
    let data = CArg::new(&case.channel_data);
    let expected = (|| {
        let (s, c, d) = (socket.required()?, channel.required()?, data.read()?);
        core(mirror.authorize_channel(s, c, d)).map(|a| a.to_json())
    })();
    let mut out = ptr::null_mut();
    // SAFETY: a live app, NULL or NUL-terminated strings, a valid out-pointer.
    let rc = unsafe {
        pushcast_app_authorize_channel(app, socket.ptr(), channel.ptr(), data.ptr(), &mut out)
    };
    settle_json("pushcast_app_authorize_channel", rc, out, expected);

    let user = CArg::new(&case.user_id);
    let info = CArg::new(&case.user_info);
    let expected = (|| {
        let (s, c, u, i) = (
            socket.required()?,
            channel.required()?,
            user.required()?,
            info.read()?,
        );
        let i = i
            .map(serde_json::from_str::<serde_json::Value>)
            .transpose()
            .map_err(|_| 1012_u32)?;
        core(mirror.authorize_presence_channel(s, c, u, i.as_ref())).map(|a| a.to_json())
    })();
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    let rc = unsafe {
        pushcast_app_authorize_presence_channel(
            app,
            socket.ptr(),
            channel.ptr(),
            user.ptr(),
            info.ptr(),
            &mut out,
        )
    };
    settle_json("pushcast_app_authorize_presence_channel", rc, out, expected);

    let user_data = CArg::new(&case.user_data);
    let expected = (|| {
        let (s, d) = (socket.required()?, user_data.required()?);
        core(mirror.authenticate_user(s, d)).map(|a| a.to_json())
    })();
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    let rc =
        unsafe { pushcast_app_authenticate_user(app, socket.ptr(), user_data.ptr(), &mut out) };
    settle_json("pushcast_app_authenticate_user", rc, out, expected);

    // Webhook verification.
    let signed = [
        (
            Some(b"X-Pusher-Key".to_vec()),
            Some(mirror.credentials().key().as_bytes().to_vec()),
        ),
        (
            Some(b"X-Pusher-Signature".to_vec()),
            Some(
                hmac_hex(
                    mirror.credentials().secret().expose().as_bytes(),
                    &case.body,
                )
                .into_bytes(),
            ),
        ),
    ];
    let mut all: Vec<&(Arg, Arg)> = Vec::new();
    if case.fuzzed_headers_first {
        all.extend(&case.headers);
    }
    if case.sign {
        all.extend(&signed);
    }
    if !case.fuzzed_headers_first {
        all.extend(&case.headers);
    }
    let owned: Vec<(CArg, CArg)> = all
        .iter()
        .map(|(n, v)| (CArg::new(n), CArg::new(v)))
        .collect();
    let headers: Vec<pushcast_header> = owned
        .iter()
        .map(|(n, v)| pushcast_header {
            name: n.ptr(),
            value: v.ptr(),
        })
        .collect();
    let verify = |now_s: u64| {
        let mut pairs = Vec::new();
        for (n, v) in &owned {
            pairs.push((n.required()?, v.required()?));
        }
        let fresh = (case.max_age_ms > 0).then(|| Freshness {
            now_ms: now_s * 1000,
            max_age_ms: case.max_age_ms,
        });
        core(mirror.verify_webhook(&pairs, &case.body, fresh))
            .map(|hook| serde_json::to_string(&hook).unwrap())
    };
    let before = pushcast_core::unix_now();
    let mut out = ptr::null_mut();
    // SAFETY: `headers.len()` headers of NULL or NUL-terminated strings, `body.len()` bytes.
    let rc = unsafe {
        pushcast_app_verify_webhook(
            app,
            headers.as_ptr(),
            headers.len(),
            case.body.as_ptr(),
            case.body.len(),
            case.max_age_ms,
            &mut out,
        )
    };
    // The library read the clock during the call: the answer is the mirror's at one of the
    // seconds the call spanned.
    let after = pushcast_core::unix_now();
    let answered = |e: &&Result<String, u32>| match e {
        Ok(_) => rc as u32 == OK,
        Err(code) => *code == rc as u32,
    };
    let candidates = [verify(before), verify(after)];
    let expected = candidates
        .iter()
        .find(answered)
        .unwrap_or(&candidates[0])
        .clone();
    settle_json("pushcast_app_verify_webhook", rc, out, expected);

    // Publisher settings; a client is made (it starts no thread until its first publish).
    let endpoint = CArg::new(&case.endpoint);
    let mut config = ptr::null_mut();
    // SAFETY: a live app, NULL or a NUL-terminated string, a valid out-pointer.
    let rc = unsafe { pushcast_config_new(app, endpoint.ptr(), &mut config) };
    settle("pushcast_config_new", rc, endpoint.required().map(drop));
    if !config.is_null() {
        let endpoint2 = CArg::new(&case.endpoint2);
        // SAFETY: a live config, NULL or NUL-terminated strings.
        let rc = unsafe { pushcast_config_add_endpoint(config, endpoint2.ptr()) };
        settle(
            "pushcast_config_add_endpoint",
            rc,
            endpoint2.required().map(drop),
        );

        let [e, c, k] = case.conflate.each_ref().map(CArg::new);
        let expected = e.read().and(c.read()).and(k.read()).map(drop);
        // SAFETY: as above.
        let rc = unsafe {
            pushcast_config_add_conflate_rule(config, e.ptr(), c.ptr(), k.ptr(), case.window_ms)
        };
        settle("pushcast_config_add_conflate_rule", rc, expected);

        let ca = CArg::new(&case.ca_file);
        // SAFETY: as above.
        let rc = unsafe { pushcast_config_set_tls(config, ca.ptr(), false) };
        settle("pushcast_config_set_tls", rc, ca.read().map(drop));

        let mut client = ptr::null_mut();
        // SAFETY: a live config, a valid out-pointer.
        let rc = unsafe { pushcast_client_new(config, &mut client) };
        // Whether the settings are valid is the client crate's business (URL parsing, files):
        // here only that it answers with a code and a client exactly on success.
        let code = rc as u32;
        assert!(
            code == OK || code == 2000,
            "pushcast_client_new gave {code}"
        );
        settle(
            "pushcast_client_new",
            rc,
            if code == OK { Ok(()) } else { Err(code) },
        );
        assert_eq!(client.is_null(), code != OK);
        // SAFETY: NULL or a live client, freed once; a live config, freed once.
        unsafe {
            pushcast_client_free(client);
            pushcast_config_free(config);
        }
    }

    // NULL handles and out-pointers are refused, not dereferenced.
    let mut out = ptr::null_mut();
    // SAFETY: NULL is allowed for every pointer of these functions.
    unsafe {
        let rc = pushcast_app_authorize_channel(
            ptr::null(),
            socket.ptr(),
            channel.ptr(),
            ptr::null(),
            &mut out,
        );
        settle("authorize_channel(NULL app)", rc, Err(NULL_ARGUMENT));
        let rc = pushcast_app_authorize_channel(
            app,
            socket.ptr(),
            channel.ptr(),
            ptr::null(),
            ptr::null_mut(),
        );
        settle("authorize_channel(NULL out)", rc, Err(NULL_ARGUMENT));
        let rc = pushcast_app_verify_webhook(app, ptr::null(), 1, ptr::null(), 0, 0, &mut out);
        settle("verify_webhook(NULL headers)", rc, Err(NULL_ARGUMENT));
        assert!(out.is_null());
        pushcast_app_free(app);
    }
}
