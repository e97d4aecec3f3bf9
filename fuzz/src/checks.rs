//! The properties the fuzz targets check, as plain functions over decoded inputs.
//!
//! Two crates compile this file: the fuzz crate (fuzz/src/lib.rs), whose targets turn fuzzer
//! bytes into the `*Case` values below, and pushcast-core's regression tests
//! (crates/pushcast-core/tests/fuzz_regressions.rs, through `#[path]`), which replay findings
//! through exactly the check that found them. So this file may only use pushcast-core and
//! crates pushcast-core itself depends on (hmac, sha2, md-5, hex, base64, serde_json).
//!
//! Every oracle here is written from the documented rules (README, doc comments), not from the
//! implementation: signatures are recomputed with `hmac`/`sha2`/`md5` directly, bodies are read
//! back with `serde_json`, validity is predicted before the call and compared after.
//!
//! A failed assertion is a finding: the fuzzer saves the input that caused it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Md5;
use pushcast_core::crypto::{decrypt_data, encrypt_data};
use pushcast_core::response::{
    api_error, parse_batch_response, parse_channel_info_response, parse_channels_response,
    parse_empty_response, parse_trigger_response, parse_users_response, ChannelInfo,
    MAX_SERVER_MESSAGE_CHARS,
};
use pushcast_core::validate::{
    validate_channel, validate_event_name, validate_json_user_id, validate_socket_id,
    validate_user_id, ChannelKind,
};
use pushcast_core::{
    batch_body, batch_body_from_items, batch_body_len, App, ChannelCharset, Credentials, Error,
    Event, Freshness, MasterKey, NameRule, ServerProfile, SizeScope, Webhook, WebhookRejection,
    WireEvent, HEADER_ALLOWANCE_BYTES, MAX_VALUE_CHARS_IN_ERRORS,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// App id of every app the checks build.
pub const APP_ID: &str = "4711";
/// App key of the apps whose key is not part of the input.
pub const KEY: &str = "fuzz-key";
/// Secret of the apps whose secret is not part of the input.
pub const SECRET: &str = "fuzz-secret";
/// The encryption master key of every app the checks build.
pub const MASTER_KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

const SERVER_TO_USER: &str = "#server-to-user-";
const ENCRYPTED: &str = "private-encrypted-";
const PUSHER_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=@,.;";

/// A server profile by number: the named ones, and a custom one with tiny limits so that short
/// inputs reach every limit.
pub fn profile(choice: u8) -> ServerProfile {
    match choice % 6 {
        0 => ServerProfile::strict(),
        1 => ServerProfile::pusher(),
        2 => ServerProfile::reverb(),
        3 => ServerProfile::sockudo(),
        4 => ServerProfile::custom(),
        _ => {
            let mut p = ServerProfile::custom();
            p.channel_charset = ChannelCharset::PusherWithColon;
            p.max_channel_name_len = Some(24);
            p.max_event_name_len = Some(12);
            p.max_channels_per_event = Some(3);
            p.max_events_per_batch = Some(4);
            p.max_event_data_bytes = Some(120);
            p.max_body_bytes = Some(600);
            p.max_request_bytes = Some(1_100);
            p
        }
    }
}

/// An app with the given key, secret and profile, and the master key.
pub fn app_with(key: &str, secret: &str, profile: ServerProfile) -> Option<App> {
    let credentials = Credentials::new(APP_ID, key, secret).ok()?;
    Some(
        App::new(credentials)
            .with_profile(profile)
            .with_master_key(MasterKey::from_bytes(&MASTER_KEY).unwrap()),
    )
}

// ----------------------------------------------------------------------------------------------
// Independent crypto.

/// Lowercase hex HMAC-SHA256 of `message` under `secret`, straight from the hmac crate.
pub fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The `shared_secret` of an encrypted channel: base64(SHA-256(channel name ‖ master key)).
pub fn shared_secret(channel: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(MASTER_KEY);
    BASE64.encode(hasher.finalize())
}

/// Length of a sealed `data` string for a plaintext of `n` bytes:
/// `{"nonce":"<24 bytes b64>","ciphertext":"<n + 16 bytes b64>"}`.
fn sealed_len(n: usize) -> usize {
    r#"{"nonce":"","ciphertext":""}"#.len() + 32 + (n + 16).div_ceil(3) * 4
}

/// Bytes as text, for assertions whose message a person reads (JSON bodies).
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

// ----------------------------------------------------------------------------------------------
// Oracles for the validation rules.

fn charset(profile: &ServerProfile) -> String {
    match profile.channel_charset {
        ChannelCharset::Pusher => PUSHER_CHARS.to_owned(),
        ChannelCharset::PusherWithColon => format!("{PUSHER_CHARS}:"),
    }
}

fn within(len: usize, max: Option<usize>) -> bool {
    max.is_none_or(|m| len <= m)
}

fn all_allowed(text: &str, profile: &ServerProfile) -> bool {
    let allowed = charset(profile);
    !text.is_empty() && text.chars().all(|c| allowed.contains(c))
}

/// A valid channel name: non-empty, at most the profile's length in bytes, and either the
/// allowed characters or `#server-to-user-` followed by a valid user id.
pub fn channel_valid(text: &str, profile: &ServerProfile) -> bool {
    within(text.len(), profile.max_channel_name_len)
        && match text.strip_prefix(SERVER_TO_USER) {
            Some(user) => all_allowed(user, profile),
            None => !text.starts_with('#') && all_allowed(text, profile),
        }
}

/// A valid event name: non-empty, not `pusher:` / `pusher_internal:`, within the length.
pub fn event_name_valid(text: &str, profile: &ServerProfile) -> bool {
    !text.is_empty()
        && !text.starts_with("pusher:")
        && !text.starts_with("pusher_internal:")
        && within(text.len(), profile.max_event_name_len)
}

/// Decimal digits whose value fits an unsigned 64-bit integer, compared as text.
fn u64_digits(text: &str) -> bool {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let significant = text.trim_start_matches('0');
    significant.len() < 20 || (significant.len() == 20 && significant <= "18446744073709551615")
}

/// A valid socket id: exactly one dot between two u64s.
pub fn socket_id_valid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 2 && parts.iter().all(|p| u64_digits(p))
}

/// A valid path user id: channel characters, and short enough for `#server-to-user-{id}`.
pub fn user_id_valid(text: &str, profile: &ServerProfile) -> bool {
    all_allowed(text, profile)
        && within(
            text.len(),
            profile
                .max_channel_name_len
                .map(|m| m.saturating_sub(SERVER_TO_USER.len())),
        )
}

/// A valid `info`: comma-separated non-empty names of lowercase letters and `_`.
pub fn info_valid(text: &str) -> bool {
    text.split(',')
        .all(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

/// The kind of a channel by its prefix, as the README describes them.
pub fn kind_of(text: &str) -> ChannelKind {
    if text.starts_with(ENCRYPTED) {
        ChannelKind::PrivateEncrypted
    } else if text.starts_with("private-") {
        ChannelKind::Private
    } else if text.starts_with("presence-") {
        ChannelKind::Presence
    } else if text.starts_with(SERVER_TO_USER) {
        ChannelKind::ServerToUser
    } else {
        ChannelKind::Public
    }
}

/// The offending value as an error carries it: at most 64 characters, a cut marked with `…`.
pub fn truncated(text: &str) -> String {
    let mut short: String = text.chars().take(MAX_VALUE_CHARS_IN_ERRORS).collect();
    if text.chars().count() > MAX_VALUE_CHARS_IN_ERRORS {
        short.push('…');
    }
    short
}

/// Every error renders, and a rule naming a character points at that character.
fn check_name_error(error: &Error, input: &str) {
    assert!(!error.to_string().is_empty());
    let (value, rule) = match error {
        Error::InvalidChannelName { value, rule }
        | Error::InvalidEventName { value, rule }
        | Error::InvalidUserId { value, rule } => (value, Some(rule)),
        Error::InvalidSocketId { value } => (value, None),
        other => panic!("not a name error: {other:?}"),
    };
    assert_eq!(*value, truncated(input), "the error's copy of {input:?}");
    match rule {
        Some(NameRule::ForbiddenCharacter {
            character, offset, ..
        }) => {
            // A byte offset into the value as the caller gave it (for a `#server-to-user-`
            // channel, into the whole channel name, not into the user id after the prefix).
            let at = input.get(*offset..);
            assert!(
                at.is_some_and(|rest| rest.starts_with(*character)),
                "{error:?} for {input:?}"
            );
        }
        Some(NameRule::TooLong { length, max }) => assert!(length > max, "{error:?}"),
        _ => {}
    }
}

/// Channel, event, socket id and user id validation agree with the oracles above, on every
/// profile; accepted channels get the kind their prefix says; errors carry the truncated value.
pub fn names(profile_choice: u8, text: &str) {
    let profile = profile(profile_choice);
    let channel = validate_channel(text, &profile);
    assert_eq!(
        channel.is_ok(),
        channel_valid(text, &profile),
        "validate_channel({text:?}) under {} = {channel:?}",
        profile.name()
    );
    match &channel {
        Ok(kind) => {
            assert_eq!(*kind, kind_of(text), "{text:?}");
            assert_eq!(kind_of(text), ChannelKind::of(text));
            assert_eq!(
                kind.needs_authorization(),
                matches!(
                    kind,
                    ChannelKind::Private | ChannelKind::PrivateEncrypted | ChannelKind::Presence
                )
            );
        }
        Err(e) => {
            assert!(matches!(e, Error::InvalidChannelName { .. }), "{e:?}");
            check_name_error(e, text);
        }
    }

    let event = validate_event_name(text, &profile);
    assert_eq!(
        event.is_ok(),
        event_name_valid(text, &profile),
        "validate_event_name({text:?}) = {event:?}"
    );
    if let Err(e) = &event {
        assert!(matches!(e, Error::InvalidEventName { .. }), "{e:?}");
        check_name_error(e, text);
    }

    let socket = validate_socket_id(text);
    assert_eq!(
        socket.is_ok(),
        socket_id_valid(text),
        "validate_socket_id({text:?}) = {socket:?}"
    );
    if let Err(e) = &socket {
        check_name_error(e, text);
    }

    let user = validate_user_id(text, &profile);
    assert_eq!(
        user.is_ok(),
        user_id_valid(text, &profile),
        "validate_user_id({text:?}) = {user:?}"
    );
    match &user {
        Ok(()) => {
            // A valid user id always makes a valid `#server-to-user-` channel.
            let to_user = format!("{SERVER_TO_USER}{text}");
            assert_eq!(
                validate_channel(&to_user, &profile),
                Ok(ChannelKind::ServerToUser)
            );
        }
        Err(e) => {
            assert!(matches!(e, Error::InvalidUserId { .. }), "{e:?}");
            check_name_error(e, text);
        }
    }

    assert_eq!(validate_json_user_id(text).is_ok(), !text.is_empty());
}

// ----------------------------------------------------------------------------------------------
// Trigger and batch serialization.

/// One event to trigger, on one profile.
#[derive(Debug, Clone)]
pub struct TriggerCase {
    /// Profile number, see [`profile`].
    pub profile: u8,
    /// App key (its length counts in whole-request limits).
    pub key: String,
    /// Target channels.
    pub channels: Vec<String>,
    /// Event name.
    pub name: String,
    /// The `data` string.
    pub data: String,
    /// Socket id to exclude.
    pub socket_id: Option<String>,
    /// `info` attributes.
    pub info: Option<String>,
    /// `auth_timestamp`.
    pub timestamp: u64,
}

/// Whether `App::prepare` must accept the event, from the rules alone.
fn prepare_valid(event: &Event, profile: &ServerProfile) -> bool {
    let channels = &event.channels;
    let encrypted = channels.iter().filter(|c| c.starts_with(ENCRYPTED)).count();
    let distinct = channels
        .iter()
        .enumerate()
        .all(|(i, c)| !channels[..i].contains(c));
    let sent_len = if encrypted > 0 {
        sealed_len(event.data.len())
    } else {
        event.data.len()
    };
    !channels.is_empty()
        && within(channels.len(), profile.max_channels_per_event)
        && channels.iter().all(|c| channel_valid(c, profile))
        && distinct
        && event_name_valid(&event.name, profile)
        && event.socket_id.as_deref().is_none_or(socket_id_valid)
        && event.info.as_deref().is_none_or(info_valid)
        && (encrypted == 0 || encrypted == channels.len())
        && within(sent_len, profile.max_event_data_bytes)
        && (profile.supports_user_sign_in || !channels.iter().any(|c| c.starts_with(TO_USER)))
}

/// The prefix of the channels that only servers with user sign-in deliver to.
const TO_USER: &str = "#server-to-user-";

/// The error `prepare` gave is one the event deserves.
fn check_prepare_rejection(event: &Event, profile: &ServerProfile, error: &Error) {
    assert!(!error.to_string().is_empty());
    let channels = &event.channels;
    let justified = match error {
        Error::NoChannels => channels.is_empty(),
        Error::TooManyChannels { count, limit } => {
            *count == channels.len() && Some(*limit) == profile.max_channels_per_event
        }
        Error::InvalidChannelName { .. } => channels.iter().any(|c| !channel_valid(c, profile)),
        Error::DuplicateChannel { value } => {
            channels.iter().filter(|c| truncated(c) == *value).count() > 1
        }
        Error::InvalidEventName { .. } => !event_name_valid(&event.name, profile),
        Error::InvalidSocketId { .. } => event
            .socket_id
            .as_deref()
            .is_some_and(|s| !socket_id_valid(s)),
        Error::InvalidConfig { field: "info", .. } => {
            event.info.as_deref().is_some_and(|i| !info_valid(i))
        }
        Error::MixedEncryption => {
            channels.iter().any(|c| c.starts_with(ENCRYPTED))
                && channels.iter().any(|c| !c.starts_with(ENCRYPTED))
        }
        Error::Unsupported { .. } => {
            !profile.supports_user_sign_in && channels.iter().any(|c| c.starts_with(TO_USER))
        }
        Error::PayloadTooLarge {
            scope: SizeScope::EventData,
            size,
            limit,
        } => size > limit && Some(*limit) == profile.max_event_data_bytes,
        _ => false,
    };
    assert!(justified, "prepare refused {event:?} with {error:?}");
}

/// The body of `POST /events` reads back as the wire event.
fn check_trigger_body(wire: &WireEvent, body: &[u8]) {
    let parsed: Map<String, Value> = serde_json::from_slice(body).expect("trigger body is JSON");
    let mut expected = Map::new();
    expected.insert("name".into(), wire.name.clone().into());
    expected.insert("data".into(), wire.data.clone().into());
    match wire.channels.as_slice() {
        [one] => expected.insert("channel".into(), one.clone().into()),
        many => expected.insert("channels".into(), many.to_vec().into()),
    };
    if let Some(s) = &wire.socket_id {
        expected.insert("socket_id".into(), s.clone().into());
    }
    if let Some(i) = &wire.info {
        expected.insert("info".into(), i.clone().into());
    }
    assert_eq!(
        parsed,
        expected,
        "trigger body {}",
        String::from_utf8_lossy(body)
    );
}

/// The `batch_events` body reads back as one item per (event, channel), in order, and equals
/// the items serialized one by one and joined.
fn check_batch_body(wires: &[WireEvent], body: &[u8]) {
    let parsed: Map<String, Value> = serde_json::from_slice(body).expect("batch body is JSON");
    assert_eq!(parsed.len(), 1, "{parsed:?}");
    let items = parsed["batch"].as_array().expect("`batch` is a list");
    let pairs: Vec<(&WireEvent, &String)> = wires
        .iter()
        .flat_map(|w| w.channels.iter().map(move |c| (w, c)))
        .collect();
    assert_eq!(items.len(), pairs.len());
    for (item, (wire, channel)) in items.iter().zip(&pairs) {
        let one = WireEvent {
            channels: vec![(*channel).clone()],
            ..(*wire).clone()
        };
        check_trigger_body(&one, serde_json::to_vec(item).unwrap().as_slice());
    }
    let serialized: Vec<Vec<u8>> = wires
        .iter()
        .flat_map(|w| w.batch_items_json().expect("batch items serialize"))
        .collect();
    assert_eq!(
        serialized.len(),
        wires.iter().map(WireEvent::batch_item_count).sum::<usize>()
    );
    let joined = batch_body_from_items(serialized.iter().map(Vec::as_slice));
    assert_eq!(
        text(&joined),
        text(body),
        "items joined differ from batch_body"
    );
    assert_eq!(
        batch_body_len(serialized.iter().map(Vec::as_slice)),
        body.len()
    );
}

/// The query a signed POST must carry, from the auth_version 1.0 rules, and its signature.
fn expected_post_query(key: &str, path: &str, body: &[u8], timestamp: u64) -> String {
    let params = format!(
        "auth_key={key}&auth_timestamp={timestamp}&auth_version=1.0&body_md5={}",
        hex::encode(Md5::digest(body))
    );
    let signature = hmac_hex(
        SECRET.as_bytes(),
        format!("POST\n{path}\n{params}").as_bytes(),
    );
    format!("{params}&auth_signature={signature}")
}

/// What signing a POST of `body_len` bytes to `path` must give under the profile's limits.
fn expected_size_check(
    key: &str,
    profile: &ServerProfile,
    path: &str,
    body_len: usize,
    timestamp: u64,
) -> Result<(), SizeScope> {
    let query_len = expected_post_query(key, path, &[], timestamp).len();
    if !within(body_len, profile.max_body_bytes) {
        return Err(SizeScope::RequestBody);
    }
    let whole = path.len() + 1 + query_len + body_len + HEADER_ALLOWANCE_BYTES;
    if !within(whole, profile.max_request_bytes) {
        return Err(SizeScope::WholeRequest);
    }
    Ok(())
}

/// Checks a signed request against the prediction: path, size outcome, signature, body.
fn check_signed(
    what: &str,
    key: &str,
    result: Result<pushcast_core::SignedRequest, Error>,
    expected_path: &str,
    expected: Result<(), Error>,
    check_body: impl FnOnce(&[u8]),
    timestamp: u64,
) {
    match (result, expected) {
        (Ok(request), Ok(())) => {
            assert_eq!(request.path, expected_path, "{what}");
            let body = request.body.as_deref().expect("a POST has a body");
            assert_eq!(
                request.query,
                expected_post_query(key, expected_path, body, timestamp),
                "{what}: signature or query differs from an independent HMAC"
            );
            assert!(request.query.ends_with(&request.signature));
            check_body(body);
        }
        (Err(got), Err(want)) => assert_eq!(
            std::mem::discriminant(&got),
            std::mem::discriminant(&want),
            "{what}: {got:?}, expected {want:?}"
        ),
        (got, want) => panic!("{what}: got {got:?}, expected {want:?}"),
    }
}

/// Validation, encryption, `POST /events` and `POST /batch_events` bodies, and their
/// signatures, for one event.
///
/// * `prepare` accepts exactly the events the rules allow, and every refusal is deserved;
/// * the prepared event keeps channels, name, data, socket id and info (encrypted data
///   decrypts back to the original, one wire event per encrypted channel);
/// * the trigger body and the batch body read back (serde_json) as the same fields, and the
///   batch body equals its items serialized separately and joined;
/// * `trigger_request` and `batch_request` succeed exactly when the profile's batch and size
///   limits allow, and carry the signature an independent HMAC-SHA256 gives;
/// * the publisher's size pre-checks hold at every timestamp up to 10 digits: any body up to
///   `max_batch_body_bytes` signs, and `check_fits_alone` accepts an event exactly when each
///   of its items, alone in a batch, is within that size (so an event accepted at publish
///   time is never refused when the lane signs it, whatever the clock says then).
pub fn trigger(case: &TriggerCase) {
    let profile = profile(case.profile);
    let key = case.key.as_str();
    let Some(app) = app_with(key, SECRET, profile.clone()) else {
        assert!(Credentials::new(APP_ID, key, SECRET).is_err());
        return;
    };
    let event = Event {
        channels: case.channels.clone(),
        name: case.name.clone(),
        data: case.data.clone(),
        socket_id: case.socket_id.clone(),
        info: case.info.clone(),
    };
    let valid = prepare_valid(&event, &profile);
    let wires = match app.prepare(event.clone()) {
        Ok(wires) => {
            assert!(valid, "prepare accepted {event:?}");
            wires
        }
        Err(e) => {
            assert!(!valid, "prepare refused a valid {event:?}: {e:?}");
            check_prepare_rejection(&event, &profile, &e);
            return;
        }
    };

    let encrypted = event.channels[0].starts_with(ENCRYPTED);
    if encrypted {
        assert_eq!(wires.len(), event.channels.len());
        for (wire, channel) in wires.iter().zip(&event.channels) {
            assert_eq!(wire.channels, std::slice::from_ref(channel));
            assert_eq!(wire.data.len(), sealed_len(event.data.len()));
            let key = app.channel_key(channel).unwrap();
            assert_eq!(
                decrypt_data(&key, &wire.data).expect("sealed data opens"),
                event.data.as_bytes()
            );
        }
    } else {
        assert_eq!(wires.len(), 1);
        assert_eq!(wires[0].channels, event.channels);
        assert_eq!(wires[0].data, event.data);
    }
    for wire in &wires {
        assert_eq!(wire.name, event.name);
        assert_eq!(wire.socket_id, event.socket_id);
        assert_eq!(wire.info, event.info);
        check_trigger_body(wire, &wire.trigger_body().expect("trigger body serializes"));
    }
    let batch = batch_body(&wires).expect("batch body serializes");
    check_batch_body(&wires, &batch);

    // The trigger goes to /events, or, for several encrypted channels, to /batch_events.
    let ts = case.timestamp;
    let events_path = format!("/apps/{APP_ID}/events");
    let batch_path = format!("/apps/{APP_ID}/batch_events");
    let too_many = |count: usize| {
        profile
            .max_events_per_batch
            .filter(|limit| count > *limit)
            .map(|limit| Error::TooManyEvents { count, limit })
    };
    let size_error = |scope| Error::PayloadTooLarge {
        scope,
        size: 0,
        limit: 0,
    };
    let (trigger_path, trigger_expected) = match wires.as_slice() {
        [single] => {
            let body = single.trigger_body().unwrap();
            let outcome = expected_size_check(key, &profile, &events_path, body.len(), ts);
            (events_path.clone(), outcome.map_err(size_error))
        }
        many => {
            let outcome = match too_many(many.len()) {
                Some(e) => Err(e),
                None => expected_size_check(key, &profile, &batch_path, batch.len(), ts)
                    .map_err(size_error),
            };
            (batch_path.clone(), outcome)
        }
    };
    let wire_count = wires.len();
    check_signed(
        "trigger_request",
        key,
        app.trigger_request(event.clone(), ts),
        &trigger_path,
        trigger_expected,
        |body| {
            if wire_count == 1 && !encrypted {
                assert_eq!(text(body), text(&wires[0].trigger_body().unwrap()));
            } else if wire_count == 1 {
                // Fresh nonce: the same fields, another ciphertext.
                let parsed: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(parsed["name"], Value::from(event.name.as_str()));
            } else {
                assert_eq!(body.len(), batch.len());
            }
        },
        ts,
    );

    let items: usize = wires.iter().map(WireEvent::batch_item_count).sum();
    let batch_expected = match too_many(items) {
        Some(e) => Err(e),
        None => {
            expected_size_check(key, &profile, &batch_path, batch.len(), ts).map_err(size_error)
        }
    };
    check_signed(
        "batch_request",
        key,
        app.batch_request(vec![event.clone()], ts),
        &batch_path,
        batch_expected,
        |body| {
            if encrypted {
                assert_eq!(body.len(), batch.len());
            } else {
                assert_eq!(text(body), text(&batch));
            }
        },
        ts,
    );

    check_size_prechecks(&app, &wires, ts);
}

/// See [`trigger`]: `max_batch_body_bytes` and `check_fits_alone` against signing.
fn check_size_prechecks(app: &App, wires: &[WireEvent], ts: u64) {
    let max = app.max_batch_body_bytes();
    // The budget counts a timestamp as wide as now's: Unix time has 10 digits from 2001 to
    // 2286, so the widest one a publisher can sign with is this (a wider budget would refuse
    // events a server takes).
    let widest = 9_999_999_999;
    // Bodies of exactly the budget, and one byte over (skipped for budgets of megabytes).
    if let Some(max) = max.filter(|m| *m <= 200_000) {
        for t in [ts.min(widest), 0, 1_700_000_000, widest] {
            assert!(
                app.sign_batch_body(vec![b'x'; max], t).is_ok(),
                "a {max}-byte body (max_batch_body_bytes) refused at timestamp {t}"
            );
        }
        assert!(
            matches!(
                app.sign_batch_body(vec![b'x'; max + 1], widest),
                Err(Error::PayloadTooLarge { .. })
            ),
            "max_batch_body_bytes ({max}) is not the largest body that signs"
        );
    }
    for wire in wires {
        let singles: Vec<Vec<u8>> = wire
            .batch_items_json()
            .unwrap()
            .iter()
            .map(|item| batch_body_from_items([item.as_slice()]))
            .collect();
        let fits = max.is_none_or(|m| singles.iter().all(|b| b.len() <= m));
        let checked = app.check_fits_alone(wire);
        assert_eq!(
            checked.is_ok(),
            fits,
            "check_fits_alone = {checked:?}, single-item bodies {:?} bytes, budget {max:?}",
            singles.iter().map(Vec::len).collect::<Vec<_>>()
        );
        if checked.is_ok() {
            for body in singles {
                for t in [ts.min(widest), 1_700_000_000, widest] {
                    assert!(app.sign_batch_body(body.clone(), t).is_ok());
                }
            }
        } else {
            assert!(matches!(checked, Err(Error::PayloadTooLarge { .. })));
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Webhooks.

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn rejection(result: Result<(), Error>) -> Option<WebhookRejection> {
    match result {
        Ok(()) => None,
        Err(Error::WebhookRejected(why)) => Some(why),
        Err(other) => panic!("signature check failed with a non-webhook error: {other:?}"),
    }
}

/// What the signature check must answer, from the rules: both headers (any case, trimmed),
/// the app's key, 64 hex digits (either case), equal to HMAC-SHA256(secret, body).
fn expected_signature_check(
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<WebhookRejection> {
    let Some(key) = header_value(headers, "X-Pusher-Key") else {
        return Some(WebhookRejection::MissingHeader("X-Pusher-Key"));
    };
    let Some(signature) = header_value(headers, "X-Pusher-Signature") else {
        return Some(WebhookRejection::MissingHeader("X-Pusher-Signature"));
    };
    if key != KEY {
        return Some(WebhookRejection::WrongKey);
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(WebhookRejection::MalformedSignature);
    }
    if signature.to_ascii_lowercase() != hmac_hex(secret.as_bytes(), body) {
        return Some(WebhookRejection::BadSignature);
    }
    None
}

/// The webhook's events, read with serde_json alone (encrypted client events still sealed).
fn read_webhook(body: &[u8]) -> Option<(u64, Vec<Map<String, Value>>)> {
    let parsed: Map<String, Value> = serde_json::from_slice(body).ok()?;
    let time_ms = parsed.get("time_ms")?.as_u64()?;
    let events = parsed
        .get("events")?
        .as_array()?
        .iter()
        .map(|e| e.as_object().cloned())
        .collect::<Option<Vec<_>>>()?;
    Some((time_ms, events))
}

/// Full verification, when the signature is good: the answer agrees with the body as
/// serde_json reads it; every refusal is a malformed body, a stale time or an undecryptable
/// encrypted client event.
fn check_verified(app: &App, headers: &[(String, String)], body: &[u8], fresh: Option<Freshness>) {
    match app.verify_webhook(headers, body, fresh) {
        Ok(hook) => {
            let (time_ms, events) = read_webhook(body).expect("accepted body reads as a webhook");
            assert_eq!(hook.time_ms, time_ms);
            if let Some(f) = fresh {
                assert!(f.now_ms.abs_diff(time_ms) <= f.max_age_ms);
            }
            assert_eq!(hook.events.len(), events.len());
            for (got, raw) in hook.events.iter().zip(&events) {
                assert_eq!(
                    raw.get("name").and_then(Value::as_str),
                    Some(got.name.as_str())
                );
                assert_eq!(
                    raw.get("channel").and_then(Value::as_str),
                    got.channel.as_deref()
                );
                let encrypted = got
                    .channel
                    .as_deref()
                    .is_some_and(|c| c.starts_with(ENCRYPTED));
                if !encrypted {
                    assert_eq!(raw.get("data").and_then(Value::as_str), got.data.as_deref());
                }
                for (k, v) in &got.other {
                    assert_eq!(raw.get(k), Some(v), "extra field {k}");
                }
            }
            // What the C ABI and the PHP extension hand out: serializes, and reads back (compared
            // field by field: numbers in extra fields may be floats, which need not round-trip).
            let text = serde_json::to_string(&hook).unwrap();
            let back: Webhook = serde_json::from_str(&text).unwrap();
            assert_eq!(back.time_ms, hook.time_ms);
            assert_eq!(back.events.len(), hook.events.len());
            for (b, h) in back.events.iter().zip(&hook.events) {
                assert_eq!(
                    (&b.name, &b.channel, &b.data),
                    (&h.name, &h.channel, &h.data)
                );
            }
        }
        Err(Error::WebhookRejected(WebhookRejection::MalformedBody(_))) => {
            assert!(
                serde_json::from_slice::<Webhook>(body).is_err(),
                "refused a well-formed body {}",
                String::from_utf8_lossy(body)
            );
        }
        Err(Error::WebhookRejected(WebhookRejection::Stale { age_ms, max_age_ms })) => {
            let f = fresh.expect("stale only with a freshness window");
            assert_eq!(max_age_ms, f.max_age_ms);
            assert!(age_ms > max_age_ms);
        }
        Err(Error::Decryption { .. }) => {
            let (_, events) = read_webhook(body).expect("decryption only after parsing");
            assert!(events.iter().any(|e| {
                e.get("channel")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.starts_with(ENCRYPTED))
                    && e.get("data").is_some_and(|d| !d.is_null())
            }));
        }
        Err(other) => panic!("verify_webhook: unexpected {other:?}"),
    }
}

/// Arbitrary headers and body, never a panic: the signature check answers exactly what the
/// rules say, and full verification of a well-signed body agrees with serde_json.
pub fn webhook_raw(secret: &str, headers: &[(String, String)], body: &[u8]) {
    let Some(app) = app_with(KEY, secret, ServerProfile::strict()) else {
        assert!(secret.is_empty());
        return;
    };
    let got = rejection(app.verify_webhook_signature(headers, body));
    assert_eq!(got, expected_signature_check(secret, headers, body));
    match got {
        None => check_verified(&app, headers, body, None),
        Some(why) => assert_eq!(
            app.verify_webhook(headers, body, None),
            Err(Error::WebhookRejected(why))
        ),
    }
}

/// A body signed with the secret verifies; one flipped byte of the body or of the signature,
/// an extra byte, a short signature or another key fails with the matching rejection.
#[derive(Debug, Clone)]
pub struct SignedWebhookCase {
    /// The app secret.
    pub secret: String,
    /// The raw body.
    pub body: Vec<u8>,
    /// Where to tamper (taken modulo the length).
    pub tamper_at: usize,
    /// What to xor into the tampered byte (0 is taken as 1).
    pub tamper_xor: u8,
    /// Send the signature in uppercase hex.
    pub uppercase: bool,
    /// Header names in this case pattern (bit i: uppercase letter i), values padded.
    pub header_case: u32,
    /// Freshness window, as (now minus time_ms, max age), when checked.
    pub freshness: Option<(u64, u64)>,
}

/// See [`SignedWebhookCase`].
pub fn webhook_signed(case: &SignedWebhookCase) {
    let Some(app) = app_with(KEY, &case.secret, ServerProfile::strict()) else {
        assert!(case.secret.is_empty());
        return;
    };
    let mixed = |name: &str| -> String {
        name.chars()
            .enumerate()
            .map(|(i, c)| {
                if case.header_case >> (i % 32) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let pad = if case.header_case & 1 == 1 { " " } else { "" };
    let good = hmac_hex(case.secret.as_bytes(), &case.body);
    let headers_with = |key: &str, signature: &str| {
        vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            (mixed("x-pusher-key"), format!("{pad}{key}{pad}")),
            (mixed("x-pusher-signature"), format!("{pad}{signature}\t")),
        ]
    };
    let signature = if case.uppercase {
        good.to_ascii_uppercase()
    } else {
        good.clone()
    };
    let headers = headers_with(KEY, &signature);
    assert_eq!(
        app.verify_webhook_signature(&headers, &case.body),
        Ok(()),
        "a body signed with the secret must verify"
    );
    let fresh = case.freshness.map(|(age, max_age_ms)| Freshness {
        now_ms: read_webhook(&case.body).map_or(age, |(t, _)| t.saturating_add(age)),
        max_age_ms,
    });
    check_verified(&app, &headers, &case.body, fresh);

    let bad = Err(Error::WebhookRejected(WebhookRejection::BadSignature));
    let xor = if case.tamper_xor == 0 {
        1
    } else {
        case.tamper_xor
    };
    if !case.body.is_empty() {
        let mut tampered = case.body.clone();
        tampered[case.tamper_at % case.body.len()] ^= xor;
        assert_eq!(app.verify_webhook_signature(&headers, &tampered), bad);
        assert_eq!(app.verify_webhook(&headers, &tampered, None).map(drop), bad);
    }
    let mut longer = case.body.clone();
    longer.push(xor);
    assert_eq!(app.verify_webhook_signature(&headers, &longer), bad);

    // One hex digit changed to another digit (not just another case) is another signature.
    let at = case.tamper_at % 64;
    let mut flipped = good.into_bytes();
    flipped[at] = if flipped[at] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert_eq!(
        app.verify_webhook_signature(&headers_with(KEY, &flipped), &case.body),
        bad
    );
    assert_eq!(
        app.verify_webhook_signature(&headers_with(KEY, &signature[..63]), &case.body),
        Err(Error::WebhookRejected(WebhookRejection::MalformedSignature))
    );
    assert_eq!(
        app.verify_webhook_signature(&headers_with("other-key", &signature), &case.body),
        Err(Error::WebhookRejected(WebhookRejection::WrongKey))
    );
}

/// One event of a structured webhook.
#[derive(Debug, Clone)]
pub struct WebhookEventCase {
    /// `name`.
    pub name: String,
    /// `channel`.
    pub channel: Option<String>,
    /// `event`.
    pub event: Option<String>,
    /// `data` (plaintext; sealed when `encrypt`).
    pub data: Option<String>,
    /// `socket_id`.
    pub socket_id: Option<String>,
    /// `user_id`.
    pub user_id: Option<String>,
    /// Extra fields (string values).
    pub extra: Vec<(String, String)>,
    /// Seal `data` with the channel's key (the channel becomes `private-encrypted-…`).
    pub encrypt: bool,
}

/// A webhook built field by field, signed, verified: every field comes back as built,
/// encrypted client events decrypted, extra fields kept.
#[derive(Debug, Clone)]
pub struct StructuredWebhookCase {
    /// `time_ms`.
    pub time_ms: u64,
    /// Its events.
    pub events: Vec<WebhookEventCase>,
    /// Verify with a freshness window of (now minus time_ms, max age).
    pub freshness: Option<(u64, u64)>,
}

/// See [`StructuredWebhookCase`].
pub fn webhook_structured(case: &StructuredWebhookCase) {
    const KNOWN: [&str; 6] = ["name", "channel", "event", "data", "socket_id", "user_id"];
    let app = app_with(KEY, SECRET, ServerProfile::strict()).unwrap();
    let mut events = Vec::new();
    let mut expected = Vec::new();
    for e in &case.events {
        let channel = match (&e.channel, e.encrypt) {
            (Some(c), true) if !c.starts_with(ENCRYPTED) => Some(format!("{ENCRYPTED}{c}")),
            (None, true) => Some(format!("{ENCRYPTED}room")),
            (c, _) => c.clone(),
        };
        let sealed_channel = channel.as_deref().filter(|c| c.starts_with(ENCRYPTED));
        let wire_data = match (&e.data, sealed_channel) {
            (Some(d), Some(c)) => {
                if !e.encrypt {
                    // Plain data on an encrypted channel: verification must refuse it.
                    continue;
                }
                Some(encrypt_data(&app.channel_key(c).unwrap(), d.as_bytes()).unwrap())
            }
            (d, _) => d.clone(),
        };
        let mut object = Map::new();
        let mut extra = Map::new();
        for (k, v) in &e.extra {
            if !KNOWN.contains(&k.as_str()) {
                object.insert(k.clone(), v.clone().into());
                extra.insert(k.clone(), v.clone().into());
            }
        }
        object.insert("name".into(), e.name.clone().into());
        for (k, v) in [
            ("channel", &channel),
            ("event", &e.event),
            ("data", &wire_data),
            ("socket_id", &e.socket_id),
            ("user_id", &e.user_id),
        ] {
            if let Some(v) = v {
                object.insert(k.into(), v.clone().into());
            }
        }
        events.push(Value::Object(object));
        expected.push((e, channel, extra));
    }
    let mut root = Map::new();
    root.insert("time_ms".into(), case.time_ms.into());
    root.insert("events".into(), events.into());
    let body = serde_json::to_vec(&root).unwrap();
    let headers = [
        ("X-Pusher-Key".to_owned(), KEY.to_owned()),
        (
            "X-Pusher-Signature".to_owned(),
            hmac_hex(SECRET.as_bytes(), &body),
        ),
    ];
    let fresh = case.freshness.map(|(age, max_age_ms)| Freshness {
        now_ms: case.time_ms.saturating_add(age),
        max_age_ms,
    });
    let result = app.verify_webhook(&headers, &body, fresh);
    if let Some(f) = fresh {
        if f.now_ms.abs_diff(case.time_ms) > f.max_age_ms {
            assert!(
                matches!(
                    result,
                    Err(Error::WebhookRejected(WebhookRejection::Stale { .. }))
                ),
                "{result:?}"
            );
            return;
        }
    }
    let hook = result.expect("a signed, well-formed webhook verifies");
    assert_eq!(hook.time_ms, case.time_ms);
    assert_eq!(hook.events.len(), expected.len());
    for (got, (e, channel, extra)) in hook.events.iter().zip(&expected) {
        assert_eq!(got.name, e.name);
        assert_eq!(got.channel, *channel);
        assert_eq!(got.event, e.event);
        assert_eq!(got.data, e.data, "data comes back as sent, decrypted");
        assert_eq!(got.socket_id, e.socket_id);
        assert_eq!(got.user_id, e.user_id);
        assert_eq!(got.other, *extra);
    }
}

// ----------------------------------------------------------------------------------------------
// Channel authorization and user sign-in.

/// Inputs of `/broadcasting/auth` and `/user-auth`.
#[derive(Debug, Clone)]
pub struct AuthCase {
    /// Profile number, see [`profile`].
    pub profile: u8,
    /// App key.
    pub key: String,
    /// App secret.
    pub secret: String,
    /// Socket id.
    pub socket_id: String,
    /// Channel.
    pub channel: String,
    /// Already-encoded presence `channel_data`, or none (private channels).
    pub channel_data: Option<String>,
    /// Presence user id.
    pub user_id: String,
    /// Presence user info.
    pub user_info: Option<Value>,
    /// Already-encoded sign-in `user_data`.
    pub user_data: String,
}

/// `text` is a JSON object whose `field` is a non-empty string (or, for `user_id`, a number).
fn user_json_valid(text: &str, field: &str) -> bool {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    match map.get(field) {
        Some(Value::String(id)) => !id.is_empty(),
        Some(Value::Number(_)) => field == "user_id",
        _ => false,
    }
}

fn read_object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        other => panic!("not a JSON object: {text:?} ({other:?})"),
    }
}

/// Channel auth, presence auth and user sign-in accept exactly the valid inputs, and sign
/// `socket_id:channel[:channel_data]` / `socket_id::user::user_data` as an independent
/// HMAC-SHA256 does; encrypted channels carry the derived `shared_secret`; the JSON answers
/// read back.
pub fn auth(case: &AuthCase) {
    let key_ok = !case.key.is_empty()
        && case
            .key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
    let profile = profile(case.profile);
    let Some(app) = app_with(&case.key, &case.secret, profile.clone()) else {
        assert!(
            !key_ok || case.secret.is_empty(),
            "credentials refused: {case:?}"
        );
        return;
    };
    assert!(
        key_ok && !case.secret.is_empty(),
        "credentials accepted: {case:?}"
    );
    let secret = case.secret.as_bytes();
    let socket = case.socket_id.as_str();
    let channel = case.channel.as_str();
    let socket_and_channel_ok = socket_id_valid(socket) && channel_valid(channel, &profile);
    let signed = |message: String| format!("{}:{}", case.key, hmac_hex(secret, message.as_bytes()));
    let expect_shared =
        || (kind_of(channel) == ChannelKind::PrivateEncrypted).then(|| shared_secret(channel));

    // Without channel_data, or with already-encoded channel_data: a presence channel's must
    // hold a user id (the server reads it); any other channel's is custom data, signed as given
    // (pusher-http-php's authorizeChannel).
    let data = case.channel_data.as_deref();
    let valid = socket_and_channel_ok
        && data.is_none_or(|d| {
            kind_of(channel) != ChannelKind::Presence || user_json_valid(d, "user_id")
        });
    match app.authorize_channel(socket, channel, data) {
        Ok(auth) => {
            assert!(valid, "authorized {case:?}");
            let message = match data {
                Some(d) => format!("{socket}:{channel}:{d}"),
                None => format!("{socket}:{channel}"),
            };
            assert_eq!(auth.auth, signed(message));
            assert_eq!(auth.channel_data.as_deref(), data);
            assert_eq!(auth.shared_secret, expect_shared());
            let json = read_object(&auth.to_json());
            assert_eq!(json.get("auth"), Some(&Value::from(auth.auth.as_str())));
            assert_eq!(json.get("channel_data").and_then(Value::as_str), data);
            assert_eq!(
                json.get("shared_secret").and_then(Value::as_str),
                auth.shared_secret.as_deref()
            );
            assert_eq!(
                json.len(),
                1 + usize::from(data.is_some()) + usize::from(auth.shared_secret.is_some())
            );
        }
        Err(e) => {
            assert!(!valid, "refused a valid {case:?}: {e:?}");
            assert!(!e.to_string().is_empty());
        }
    }

    // Presence from user id and info: channel_data encoded here as the README says.
    let mut presence = Map::new();
    presence.insert("user_id".into(), case.user_id.clone().into());
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    if let Some(info) = case.user_info.as_ref().filter(|v| !empty(v)) {
        presence.insert("user_info".into(), info.clone());
    }
    let channel_data = serde_json::to_string(&presence).unwrap();
    let valid = socket_and_channel_ok && !case.user_id.is_empty();
    match app.authorize_presence_channel(socket, channel, &case.user_id, case.user_info.as_ref()) {
        Ok(auth) => {
            assert!(valid, "presence authorized {case:?}");
            assert_eq!(auth.channel_data.as_deref(), Some(channel_data.as_str()));
            assert_eq!(
                auth.auth,
                signed(format!("{socket}:{channel}:{channel_data}"))
            );
            assert_eq!(auth.shared_secret, expect_shared());
            let back = read_object(auth.channel_data.as_deref().unwrap());
            assert_eq!(back, presence);
        }
        Err(e) => assert!(!valid, "presence refused a valid {case:?}: {e:?}"),
    }

    // User sign-in (refused before anything else by a profile whose server has none).
    let valid = socket_id_valid(socket)
        && user_json_valid(&case.user_data, "id")
        && profile.supports_user_sign_in;
    match app.authenticate_user(socket, &case.user_data) {
        Ok(auth) => {
            assert!(valid, "signed in {case:?}");
            assert_eq!(
                auth.auth,
                signed(format!("{socket}::user::{}", case.user_data))
            );
            assert_eq!(auth.user_data, case.user_data);
            let json = read_object(&auth.to_json());
            assert_eq!(json.len(), 2);
            assert_eq!(json["auth"], Value::from(auth.auth.as_str()));
            assert_eq!(json["user_data"], Value::from(case.user_data.as_str()));
        }
        Err(Error::Unsupported { .. }) => assert!(!profile.supports_user_sign_in),
        Err(e) => assert!(!valid, "sign-in refused a valid {case:?}: {e:?}"),
    }
}

// ----------------------------------------------------------------------------------------------
// Server responses.

fn check_api_error(status: u16, body: &[u8], error: &Error) {
    match error {
        Error::Api {
            status: got,
            message,
        } => {
            assert_eq!(*got, status);
            assert!(!message.is_empty());
            assert!(message.chars().count() <= MAX_SERVER_MESSAGE_CHARS);
            assert_eq!(error.http_status(), Some(status));
            assert_eq!(*error, api_error(status, body));
        }
        other => panic!("HTTP {status} gave {other:?}"),
    }
}

/// Every response parser on arbitrary status and bytes: never a panic; a non-200 status is
/// always `Error::Api` with that status and a short non-empty message; a 200 fails only as
/// `MalformedResponse`; a blank 200 is the empty answer; a non-object JSON 200 is refused.
pub fn response(status: u16, body: &[u8]) {
    let results: [(&str, Result<(), Error>); 6] = [
        ("trigger", parse_trigger_response(status, body).map(drop)),
        ("batch", parse_batch_response(status, body).map(drop)),
        ("channels", parse_channels_response(status, body).map(drop)),
        (
            "channel info",
            parse_channel_info_response(status, body).map(drop),
        ),
        ("users", parse_users_response(status, body).map(drop)),
        ("empty", parse_empty_response(status, body)),
    ];
    if status != 200 {
        for (what, result) in &results {
            let error = result.as_ref().expect_err(what);
            check_api_error(status, body, error);
        }
        return;
    }
    for (what, result) in &results {
        if let Err(e) = result {
            assert!(
                matches!(e, Error::MalformedResponse { .. }),
                "{what}: 200 gave {e:?}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let parsed = serde_json::from_slice::<Value>(body);
    if blank {
        assert_eq!(parse_trigger_response(200, body).unwrap().channels.len(), 0);
        assert_eq!(parse_batch_response(200, body).unwrap().items.len(), 0);
        assert_eq!(
            parse_channels_response(200, body).unwrap().channels.len(),
            0
        );
        assert_eq!(
            parse_channel_info_response(200, body).unwrap(),
            ChannelInfo::default()
        );
        assert_eq!(parse_empty_response(200, body), Ok(()));
        assert!(parse_users_response(200, body).is_err());
    } else if !matches!(parsed, Ok(Value::Object(_))) {
        for (what, result) in &results {
            assert!(result.is_err(), "{what}: accepted a non-object 200 body");
        }
    } else {
        assert_eq!(parse_empty_response(200, body), Ok(()));
    }
}

/// One channel of a structured server answer.
pub type ChannelCase = (String, Option<bool>, Option<u64>, Option<u64>);

/// A server answer built field by field.
#[derive(Debug, Clone)]
pub struct ResponseCase {
    /// `channels`: name, occupied, user_count, subscription_count.
    pub channels: Vec<ChannelCase>,
    /// `batch` items: occupied, user_count, subscription_count.
    pub batch: Vec<(Option<bool>, Option<u64>, Option<u64>)>,
    /// `users`: string ids (`Ok`) or numeric ids (`Err`).
    pub users: Vec<Result<String, u64>>,
    /// An unknown field added to every object (servers add fields; readers must not fail on
    /// them; a channel's are kept as sent).
    pub extra_field: Option<String>,
}

fn info_value(
    occupied: Option<bool>,
    user_count: Option<u64>,
    subscription_count: Option<u64>,
    extra: Option<&str>,
) -> (Value, ChannelInfo) {
    let mut object = Map::new();
    if let Some(x) = extra {
        object.insert(x.to_owned(), Value::from("ignored"));
    }
    for (k, v) in [
        ("occupied", occupied.map(Value::from)),
        ("user_count", user_count.map(Value::from)),
        ("subscription_count", subscription_count.map(Value::from)),
    ] {
        if let Some(v) = v {
            object.insert(k.to_owned(), v);
        }
    }
    // An attribute the reader does not know is kept as sent (`other`), not dropped.
    let other = extra
        .map(|x| (x.to_owned(), Value::from("ignored")))
        .into_iter()
        .collect();
    let info = ChannelInfo {
        occupied,
        user_count,
        subscription_count,
        other,
    };
    (Value::Object(object), info)
}

/// Server answers built from values parse back to those values (channels, batch items,
/// channel info, users with string or numeric ids); a channel's unknown attributes are kept in
/// `other`, other unknown fields ignored.
pub fn response_roundtrip(case: &ResponseCase) {
    const KNOWN: [&str; 6] = [
        "occupied",
        "user_count",
        "subscription_count",
        "channels",
        "batch",
        "users",
    ];
    let extra = case
        .extra_field
        .as_deref()
        .filter(|x| !KNOWN.contains(x) && *x != "id");
    let mut channels = Map::new();
    let mut expected = BTreeMap::new();
    for (name, occupied, users, subs) in &case.channels {
        let (value, info) = info_value(*occupied, *users, *subs, extra);
        channels.insert(name.clone(), value);
        expected.insert(name.clone(), info);
    }
    let mut root = Map::new();
    if let Some(x) = extra {
        root.insert(x.to_owned(), Value::from(1));
    }
    root.insert("channels".into(), Value::Object(channels));
    let body = serde_json::to_vec(&root).unwrap();
    assert_eq!(
        parse_trigger_response(200, &body).unwrap().channels,
        expected
    );
    assert_eq!(
        parse_channels_response(200, &body).unwrap().channels,
        expected
    );

    let (values, infos): (Vec<Value>, Vec<ChannelInfo>) = case
        .batch
        .iter()
        .map(|(o, u, s)| info_value(*o, *u, *s, extra))
        .unzip();
    let body = serde_json::to_vec(&serde_json::json!({ "batch": values })).unwrap();
    assert_eq!(parse_batch_response(200, &body).unwrap().items, infos);
    for (value, info) in values.iter().zip(&infos) {
        let body = serde_json::to_vec(value).unwrap();
        assert_eq!(parse_channel_info_response(200, &body).unwrap(), *info);
    }

    let users: Vec<Value> = case
        .users
        .iter()
        .map(|u| match u {
            Ok(id) => serde_json::json!({ "id": id }),
            Err(id) => serde_json::json!({ "id": id }),
        })
        .collect();
    let ids: Vec<String> = case
        .users
        .iter()
        .map(|u| match u {
            Ok(id) => id.clone(),
            Err(id) => id.to_string(),
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "users": users })).unwrap();
    assert_eq!(parse_users_response(200, &body).unwrap(), ids);
}
