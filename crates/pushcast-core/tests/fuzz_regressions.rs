//! Fuzz findings, replayed: each input a target in fuzz/ found runs here through the same check
//! the target runs. The checks are fuzz/src/checks.rs, compiled into this test too, so a fixed
//! finding stays fixed under `cargo test` without libFuzzer or nightly flags.
//!
//! Adding a finding: decode the artifact the way its target does (fuzz/fuzz_targets/<target>.rs
//! says how its bytes become a case) and call the check with that case.
//!
//! The last tests are not findings: one known-good input per check, so that the checks compile
//! and pass under the workspace's tests and lints between fuzzing runs.

#[allow(dead_code)]
#[path = "../../../fuzz/src/checks.rs"]
mod checks;

use checks::{AuthCase, ResponseCase, SignedWebhookCase, StructuredWebhookCase, TriggerCase};
use checks::{WebhookEventCase, KEY, SECRET};
use pushcast_core::validate::validate_channel;
use pushcast_core::{Error, NameRule, ServerProfile};

/// names, artifact crash-b16a117f1c54254b3984eecff23ad8ef70adf3f8 (`00` + the name): a
/// `#server-to-user-` channel refused for a character of its user id reported the character's
/// offset within the user id (0) instead of within the channel name (16), so the message
/// pointed at the wrong byte of the value it showed. Fixed in validate.rs.
#[test]
fn server_to_user_forbidden_character_is_located_in_the_channel_name() {
    checks::names(0, "#server-to-user-\u{10}");
    for (name, offset) in [
        ("#server-to-user-\u{10}", 16),
        ("#server-to-user-a b", 17),
        ("#server-to-user-42/x", 18),
    ] {
        checks::names(0, name);
        match validate_channel(name, &ServerProfile::strict()) {
            Err(Error::InvalidChannelName {
                rule: NameRule::ForbiddenCharacter { offset: got, .. },
                ..
            }) => assert_eq!(got, offset, "{name:?}"),
            other => panic!("{name:?} gave {other:?}"),
        }
    }
}

/// trigger_roundtrip, artifact crash-5ecb62aa51e4c78c99fcadab84ee2d170b4bd979: on the strict
/// profile (10,000-byte requests) `check_fits_alone` accepted an event whose first item alone
/// makes a 9,274-byte batch body, over `max_batch_body_bytes` (9,272), because it signed at
/// timestamp 0 (1 digit) while the budget counts 20 digits. The client accepted the publish,
/// then its dispatcher, filling batches to that budget, failed the event as too large.
/// Fixed in app.rs: signed at the widest timestamp; the no-serialization shortcut now compares
/// with the same budget (it reserved a fixed 256 bytes for path and query, short for long keys).
#[test]
fn fits_alone_agrees_with_the_batch_budget_at_every_timestamp() {
    let case = TriggerCase {
        profile: 0,
        key: KEY.into(),
        channels: vec![
            "EUVzDVJEaaTTaEEbacTVISfZaQTFzONaMaBazDTTTVISnHBVFYUIxaaaaaaaaabaaaaaaaaaaaaa;;hhaEafDDDDDDDDDDDDDD".into(),
            "DDDDDDDDDa".into(),
        ],
        name: "\u{2}\u{2}\u{2}\0\0\0\0\0\0\0\0\0\u{8}\0\0\0\0\0\0\0\u{1}\0\0".into(),
        data: "x".repeat(8996),
        socket_id: None,
        info: None,
        timestamp: 0,
    };
    checks::trigger(&case);

    // The same at the edge, for every profile with a size limit, and with a long key (the
    // key is in every signed query).
    for profile in [0, 1, 2, 3, 5] {
        for key in [KEY.to_owned(), "k".repeat(300)] {
            for extra in 0..24 {
                checks::trigger(&TriggerCase {
                    profile,
                    key: key.clone(),
                    data: "x".repeat(8996 + extra),
                    ..case.clone()
                });
                checks::trigger(&TriggerCase {
                    profile,
                    key: key.clone(),
                    channels: vec!["c".into()],
                    name: "e".into(),
                    // Escaped to six bytes each: the shortcut's worst case.
                    data: "\u{1}".repeat(1_480 + extra),
                    ..case.clone()
                });
            }
        }
    }
}

// ---- Known-good inputs, one per check (not findings).

#[test]
fn seed_names() {
    for profile in 0..6 {
        for name in [
            "private-orders.1",
            "presence-chat:1",
            "#server-to-user-42",
            "pusher:subscribe",
            "12345.67890",
            "",
        ] {
            checks::names(profile, name);
        }
    }
}

#[test]
fn seed_trigger() {
    for profile in 0..6 {
        for channels in [
            vec!["my-channel".to_owned()],
            vec!["a".to_owned(), "presence-b".to_owned()],
            vec![
                "private-encrypted-a".to_owned(),
                "private-encrypted-b".to_owned(),
            ],
        ] {
            checks::trigger(&TriggerCase {
                profile,
                key: KEY.into(),
                channels,
                name: "my_event".into(),
                data: r#"{"message":"hello \"you\""}"#.into(),
                socket_id: Some("1.2".into()),
                info: Some("subscription_count".into()),
                timestamp: 1_700_000_000,
            });
        }
    }
}

#[test]
fn seed_webhooks() {
    let body =
        br#"{"time_ms":1700000000000,"events":[{"name":"channel_occupied","channel":"orders"}]}"#;
    checks::webhook_signed(&SignedWebhookCase {
        secret: SECRET.into(),
        body: body.to_vec(),
        tamper_at: 5,
        tamper_xor: 0x20,
        uppercase: true,
        header_case: 0x0505_0505,
        freshness: Some((1_000, 300_000)),
    });
    checks::webhook_raw(
        SECRET,
        &[
            ("x-pusher-key".into(), KEY.into()),
            (
                "X-Pusher-Signature".into(),
                checks::hmac_hex(SECRET.as_bytes(), body),
            ),
        ],
        body,
    );
    checks::webhook_structured(&StructuredWebhookCase {
        time_ms: 1,
        events: vec![WebhookEventCase {
            name: "client_event".into(),
            channel: Some("room".into()),
            event: Some("client-typing".into()),
            data: Some(r#"{"hi":1}"#.into()),
            socket_id: Some("1.1".into()),
            user_id: None,
            extra: vec![("origin".into(), "eu".into())],
            encrypt: true,
        }],
        freshness: None,
    });
}

#[test]
fn seed_auth() {
    checks::auth(&AuthCase {
        profile: 0,
        key: KEY.into(),
        secret: SECRET.into(),
        socket_id: "45055.28877557".into(),
        channel: "private-encrypted-channel-a".into(),
        channel_data: Some(r#"{"user_id": "123"}"#.into()),
        user_id: "7".into(),
        user_info: Some(serde_json::json!({"name": "José/x"})),
        user_data: r#"{"id":"123"}"#.into(),
    });
}

#[test]
fn seed_responses() {
    for (status, body) in [
        (200, &br#"{"channels":{"presence-a":{"user_count":2}}}"#[..]),
        (200, b" \n"),
        (200, b"[1]"),
        (
            422,
            br#"{"message":"The data field must be a string.","errors":{"data":["x"]}}"#,
        ),
        (413, b"Payload too large\n"),
    ] {
        checks::response(status, body);
    }
    checks::response_roundtrip(&ResponseCase {
        channels: vec![("a".into(), Some(true), None, Some(3))],
        batch: vec![(None, Some(1), None), (None, None, None)],
        users: vec![Ok("1".into()), Err(2)],
        extra_field: Some("cluster".into()),
    });
}
