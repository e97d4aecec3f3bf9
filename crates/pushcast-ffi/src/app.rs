//! `pushcast_app`: credentials, server profile and master key; channel auth and webhooks.

use std::ffi::c_char;

use pushcast_core::{App, Credentials, Freshness, MasterKey, ServerProfile};

use crate::boundary::{
    arg_mut, arg_opt_str, arg_ref, arg_slice, arg_str, check_out, guard, owned_string,
    pushcast_result, write_out, Failure,
};

/// One Pusher app: credentials, server profile, optional encryption master key.
///
/// Underneath: a Rust `pushcast_core::App`. Ownership: made by pushcast_app_new(), freed by
/// pushcast_app_free(). Thread-safety: the const functions (auth, webhooks) may be called from
/// several threads at once; the setters need exclusive access. Never blocks.
///
/// Lifecycle: 1. pushcast_app_new  2. optional setters  3. auth / webhook calls, or
/// pushcast_config_new  4. pushcast_app_free (configs and clients keep their own copy).
pub struct pushcast_app {
    pub(crate) app: App,
}

/// Creates an app with the strict server profile. `app_id`, `key`, `secret`: NUL-terminated.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_new(
    app_id: *const c_char,
    key: *const c_char,
    secret: *const c_char,
    app_out: *mut *mut pushcast_app,
) -> pushcast_result {
    guard(|| {
        check_out(app_out, "app_out")?;
        // SAFETY: caller's contract on each pointer.
        let (id, key, secret) = unsafe {
            (
                arg_str(app_id, "app_id")?,
                arg_str(key, "key")?,
                arg_str(secret, "secret")?,
            )
        };
        let app = App::new(Credentials::new(id, key, secret)?);
        // SAFETY: checked non-NULL above.
        unsafe { write_out(app_out, Box::into_raw(Box::new(pushcast_app { app }))) };
        Ok(())
    })
}

/// Sets the server profile by name: "strict" (default), "pusher", "reverb", "sockudo",
/// "soketi" or "custom".
///
/// # Safety
/// `app` must be a live app used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_set_profile(
    app: *mut pushcast_app,
    name: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (app, name) = unsafe { (arg_mut(app, "app")?, arg_str(name, "name")?) };
        let profile: ServerProfile = name.parse()?;
        app.app = app.app.clone().with_profile(profile);
        Ok(())
    })
}

/// Overrides one limit of the profile: "max_events_per_batch", "max_channel_name_len",
/// "max_event_name_len", "max_channels_per_event", "max_event_data_bytes", "max_body_bytes",
/// "max_request_bytes". `value` 0 means unlimited.
///
/// # Safety
/// `app` must be a live app used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_set_limit(
    app: *mut pushcast_app,
    limit: *const c_char,
    value: usize,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (app, limit) = unsafe { (arg_mut(app, "app")?, arg_str(limit, "limit")?) };
        let mut profile = app.app.profile().clone();
        profile.set_limit(limit, (value > 0).then_some(value))?;
        app.app = app.app.clone().with_profile(profile);
        Ok(())
    })
}

/// Enables end-to-end encrypted channels with a base64 32-byte master key.
///
/// # Safety
/// `app` must be a live app used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_set_master_key_base64(
    app: *mut pushcast_app,
    master_key_base64: *const c_char,
) -> pushcast_result {
    guard(|| {
        // SAFETY: caller's contract.
        let (app, key) = unsafe {
            (
                arg_mut(app, "app")?,
                arg_str(master_key_base64, "master_key_base64")?,
            )
        };
        app.app = app
            .app
            .clone()
            .with_master_key(MasterKey::from_base64(key)?);
        Ok(())
    })
}

/// Frees an app. NULL is allowed.
///
/// # Safety
/// `app` must be NULL or a live app, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_free(app: *mut pushcast_app) {
    crate::boundary::guard_value((), || {
        if !app.is_null() {
            // SAFETY: made by Box::into_raw in pushcast_app_new, freed once by contract.
            drop(unsafe { Box::from_raw(app) });
        }
    })
}

/// Authorizes a subscription: writes the JSON answer of `/broadcasting/auth`
/// (`{"auth": .., ["channel_data": ..], ["shared_secret": ..]}`) to `*json_out`.
/// `channel_data` (NULL for private channels) is an already-encoded presence payload, signed
/// as given. The caller frees `*json_out` with pushcast_string_free().
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_authorize_channel(
    app: *const pushcast_app,
    socket_id: *const c_char,
    channel: *const c_char,
    channel_data: *const c_char,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        check_out(json_out, "json_out")?;
        // SAFETY: caller's contract on each pointer.
        let (app, socket, channel, data) = unsafe {
            (
                arg_ref(app, "app")?,
                arg_str(socket_id, "socket_id")?,
                arg_str(channel, "channel")?,
                arg_opt_str(channel_data, "channel_data")?,
            )
        };
        let auth = app.app.authorize_channel(socket, channel, data)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(json_out, owned_string(auth.to_json())?) };
        Ok(())
    })
}

/// Authorizes a presence subscription for `user_id` with optional `user_info_json` (a JSON
/// object, or NULL). Writes the auth JSON (with `channel_data`) to `*json_out`.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_authorize_presence_channel(
    app: *const pushcast_app,
    socket_id: *const c_char,
    channel: *const c_char,
    user_id: *const c_char,
    user_info_json: *const c_char,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        check_out(json_out, "json_out")?;
        // SAFETY: caller's contract on each pointer.
        let (app, socket, channel, user, info) = unsafe {
            (
                arg_ref(app, "app")?,
                arg_str(socket_id, "socket_id")?,
                arg_str(channel, "channel")?,
                arg_str(user_id, "user_id")?,
                arg_opt_str(user_info_json, "user_info_json")?,
            )
        };
        let info = info
            .map(serde_json::from_str::<serde_json::Value>)
            .transpose()
            .map_err(|e| {
                Failure::from(pushcast_core::Error::InvalidJson {
                    what: "user_info_json",
                    reason: e.to_string(),
                })
            })?;
        let auth = app
            .app
            .authorize_presence_channel(socket, channel, user, info.as_ref())?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(json_out, owned_string(auth.to_json())?) };
        Ok(())
    })
}

/// Authenticates a user for `pusher:signin`: signs the already-encoded `user_data_json` (a
/// JSON object with a non-empty string "id") and writes `{"auth", "user_data"}` to `*json_out`.
///
/// # Safety
/// Pointers must be NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_authenticate_user(
    app: *const pushcast_app,
    socket_id: *const c_char,
    user_data_json: *const c_char,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    guard(|| {
        check_out(json_out, "json_out")?;
        // SAFETY: caller's contract on each pointer.
        let (app, socket, data) = unsafe {
            (
                arg_ref(app, "app")?,
                arg_str(socket_id, "socket_id")?,
                arg_str(user_data_json, "user_data_json")?,
            )
        };
        let auth = app.app.authenticate_user(socket, data)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(json_out, owned_string(auth.to_json())?) };
        Ok(())
    })
}

/// One HTTP header, for webhook verification.
#[repr(C)]
pub struct pushcast_header {
    /// NUL-terminated name (any case).
    pub name: *const c_char,
    /// NUL-terminated value.
    pub value: *const c_char,
}

/// Verifies a webhook (`X-Pusher-Key`, `X-Pusher-Signature` over the raw body, in constant
/// time) and writes its JSON (`{"time_ms", "events"}`, encrypted client events decrypted) to
/// `*json_out`. `max_age_ms` > 0 also rejects webhooks whose `time_ms` is further than that
/// from now. A rejected webhook gives PUSHCAST_RESULT_WEBHOOK_REJECTED, and so does a
/// `headers_len` or `body_len` larger than any object can be.
///
/// # Safety
/// `headers` must point to `headers_len` headers; `body` to `body_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn pushcast_app_verify_webhook(
    app: *const pushcast_app,
    headers: *const pushcast_header,
    headers_len: usize,
    body: *const u8,
    body_len: usize,
    max_age_ms: u64,
    json_out: *mut *mut c_char,
) -> pushcast_result {
    use pushcast_result as R;
    guard(|| {
        check_out(json_out, "json_out")?;
        // SAFETY: caller's contract on each pointer and length.
        let (app, raw, body) = unsafe {
            (
                arg_ref(app, "app")?,
                arg_slice(headers, headers_len, "headers", R::WebhookRejected)?,
                arg_slice(body, body_len, "body", R::WebhookRejected)?,
            )
        };
        let pairs = raw
            .iter()
            .map(|h| {
                // SAFETY: each header's strings per the caller's contract.
                unsafe {
                    Ok((
                        arg_str(h.name, "header name")?,
                        arg_str(h.value, "header value")?,
                    ))
                }
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        let freshness = (max_age_ms > 0).then(|| Freshness {
            now_ms: pushcast_core::unix_now() * 1000,
            max_age_ms,
        });
        let hook = app.app.verify_webhook(&pairs, body, freshness)?;
        let json = serde_json::to_string(&hook).map_err(|e| {
            Failure::from(pushcast_core::Error::InvalidJson {
                what: "webhook",
                reason: e.to_string(),
            })
        })?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(json_out, owned_string(json)?) };
        Ok(())
    })
}
