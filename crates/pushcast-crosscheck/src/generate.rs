//! Random cases, in the JSON Lines format the peer programs under tests/crosscheck read.
//!
//! Inputs cover the whole allowed channel alphabet, unicode (accents, emoji, CJK, escapes),
//! large payloads (up to ~100 KB), presence user_info, user sign-in data, encrypted channels
//! and tampered webhooks. Every input is one both SDKs accept, so any refusal is a finding.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use pushcast_core::crypto::{encrypt_data, ChannelKey};
use pushcast_core::MasterKey;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value};

use crate::oracle::hmac_hex;

pub const APP_ID: &str = "12345";
const CHANNEL_ALPHABET: &[u8] =
    b"-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=@,.;";
const MAX_CHANNEL_LEN: usize = 164; // hosted Pusher's limit; the comparer uses that profile.
const UNICODE_POOL: &[&str] = &[
    "é",
    "José/x",
    "ü",
    "ß",
    "😀",
    "🚀",
    "中文",
    "日本語",
    "\"",
    "\\",
    "/",
    "\n",
    "\t",
    "<b>",
    "&amp;",
    "\u{2028}",
    "\u{7f}",
    "Ω",
    "ça",
    "ñ",
    " ",
    "'",
    "{",
    "}",
    "[",
    "]",
];

fn ascii_token(rng: &mut StdRng, alphabet: &[u8], min: usize, max: usize) -> String {
    let len = rng.gen_range(min..=max);
    (0..len)
        .map(|_| char::from(*alphabet.choose(rng).unwrap_or(&b'a')))
        .collect()
}

fn text(rng: &mut StdRng, max_parts: usize) -> String {
    let parts = rng.gen_range(0..=max_parts);
    let mut out = String::new();
    for _ in 0..parts {
        if rng.gen_bool(0.5) {
            out.push_str(UNICODE_POOL.choose(rng).unwrap_or(&"x"));
        } else {
            out.push_str(&ascii_token(rng, b"abcdefghij KLMNOP0123456789", 1, 8));
        }
    }
    out
}

/// A JSON value shaped like a Laravel broadcast payload or presence user_info. Object keys are
/// never integer-like, so JavaScript keeps their order.
fn json_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..if depth == 0 { 4 } else { 6 }) {
        0 => Value::String(text(rng, 6)),
        1 => json!(rng.gen_range(-1_000_000i64..1_000_000)),
        2 => json!(rng.gen_bool(0.5)),
        3 => Value::Null,
        4 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| json_value(rng, depth - 1))
                .collect(),
        ),
        _ => json_object(rng, depth - 1),
    }
}

fn json_object(rng: &mut StdRng, depth: u32) -> Value {
    let mut map = Map::new();
    for _ in 0..rng.gen_range(1..6) {
        map.insert(
            format!("k_{}", ascii_token(rng, b"abcdefxyz", 1, 8)),
            json_value(rng, depth),
        );
    }
    Value::Object(map)
}

/// A payload of roughly `target` bytes (for large-payload cases).
fn big_payload(rng: &mut StdRng, target: usize) -> Value {
    let mut items = Vec::new();
    let mut size = 0;
    while size < target {
        let s = text(rng, 40);
        size += s.len() + 3;
        items.push(Value::String(s));
    }
    json!({ "items": items })
}

fn channel(rng: &mut StdRng, prefix: &str) -> String {
    let room = MAX_CHANNEL_LEN - prefix.len();
    let len = if rng.gen_bool(0.1) {
        room
    } else {
        rng.gen_range(1..=room.min(40))
    };
    format!("{prefix}{}", ascii_token(rng, CHANNEL_ALPHABET, len, len))
}

fn socket_id(rng: &mut StdRng) -> String {
    if rng.gen_bool(0.2) {
        format!("{}.{}", rng.gen::<u64>(), rng.gen::<u64>())
    } else {
        format!(
            "{}.{}",
            rng.gen_range(1..1_000_000u32),
            rng.gen_range(1..100_000_000u32)
        )
    }
}

fn credentials(rng: &mut StdRng) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("app_id".into(), json!(APP_ID));
    c.insert(
        "key".into(),
        json!(ascii_token(rng, b"abcdef0123456789", 8, 20)),
    );
    c.insert(
        "secret".into(),
        json!(ascii_token(
            rng,
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            8,
            40
        )),
    );
    c
}

fn master_key(rng: &mut StdRng) -> String {
    let bytes: [u8; 32] = rng.gen();
    BASE64.encode(bytes)
}

fn sign_case(rng: &mut StdRng, c: &mut Map<String, Value>) {
    let timestamp = rng.gen_range(1_600_000_000u64..2_000_000_000);
    let (method, path, params, body) = if rng.gen_bool(0.7) {
        let data = if rng.gen_bool(0.05) {
            let target = rng.gen_range(20_000..100_000);
            big_payload(rng, target)
        } else {
            json_object(rng, 3)
        };
        let data = data.to_string();
        let path = format!("/apps/{APP_ID}/events");
        let body = if rng.gen_bool(0.5) {
            json!({"name": text(rng, 3), "data": data, "channel": channel(rng, "private-")})
        } else {
            json!({"name": text(rng, 3), "data": data,
                   "channels": [channel(rng, ""), channel(rng, "presence-")], "socket_id": socket_id(rng)})
        };
        ("POST", path, Map::new(), Some(body.to_string()))
    } else {
        let mut params = Map::new();
        let path = match rng.gen_range(0..3) {
            0 => {
                params.insert("filter_by_prefix".into(), json!("presence-"));
                format!("/apps/{APP_ID}/channels")
            }
            1 => format!("/apps/{APP_ID}/channels/{}", channel(rng, "")),
            _ => format!(
                "/apps/{APP_ID}/channels/{}/users",
                channel(rng, "presence-")
            ),
        };
        if rng.gen_bool(0.5) {
            params.insert("info".into(), json!("user_count,subscription_count"));
        }
        ("GET", path, params, None)
    };
    c.insert("method".into(), json!(method));
    c.insert("path".into(), json!(path));
    c.insert("params".into(), Value::Object(params));
    c.insert("body".into(), json!(body));
    c.insert("timestamp".into(), json!(timestamp));
}

fn webhook_case(rng: &mut StdRng, c: &mut Map<String, Value>, now_ms: u64) {
    let events: Vec<Value> = (0..rng.gen_range(1..4))
        .map(|_| match rng.gen_range(0..3) {
            0 => json!({"name": "channel_occupied", "channel": channel(rng, "")}),
            1 => json!({"name": "member_added", "channel": channel(rng, "presence-"), "user_id": text(rng, 2)}),
            _ => json!({"name": "client_event", "channel": channel(rng, "private-"), "event": "client-typing",
                        "data": json_object(rng, 2).to_string(), "socket_id": socket_id(rng)}),
        })
        .collect();
    let body = json!({"time_ms": now_ms, "events": events}).to_string();
    let key = c
        .get("key")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let secret = c
        .get("secret")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut signature = hmac_hex(secret.as_bytes(), &[body.as_bytes()]);
    let mut webhook_key = key;
    let mut sent_body = body;
    match rng.gen_range(0..10) {
        0 => {
            // Flip one hex digit of the signature.
            let i = rng.gen_range(0..signature.len());
            let flipped = if &signature[i..=i] == "0" { "1" } else { "0" };
            signature.replace_range(i..=i, flipped);
        }
        1 => webhook_key.push('x'),
        2 => sent_body = sent_body.replacen("\"events\"", "\"events\" ", 1),
        _ => {}
    }
    c.insert("body".into(), json!(sent_body));
    c.insert("signature".into(), json!(signature));
    c.insert("webhook_key".into(), json!(webhook_key));
}

/// Generates `count` cases from `seed`. `now_ms` stamps webhooks (the Python SDK rejects
/// webhooks more than five minutes from its clock).
pub fn cases(rng: &mut StdRng, count: usize, now_ms: u64) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::with_capacity(count);
    for id in 0..count {
        let mut c = credentials(rng);
        c.insert("id".into(), json!(id));
        let kind = match rng.gen_range(0..100) {
            0..=29 => "sign",
            30..=44 => "private_auth",
            45..=59 => "presence_auth",
            60..=69 => "user_auth",
            70..=79 => "encrypted_auth",
            80..=89 => "webhook",
            _ => "decrypt",
        };
        c.insert("kind".into(), json!(kind));
        match kind {
            "sign" => sign_case(rng, &mut c),
            "private_auth" => {
                // Any valid name signs; encrypted ones have their own kind (they need a master key).
                let prefix = *["private-", ""].choose(rng).unwrap_or(&"");
                c.insert("socket_id".into(), json!(socket_id(rng)));
                c.insert("channel".into(), json!(channel(rng, prefix)));
            }
            "presence_auth" => {
                c.insert("socket_id".into(), json!(socket_id(rng)));
                c.insert("channel".into(), json!(channel(rng, "presence-")));
                let user_id = if rng.gen_bool(0.5) {
                    rng.gen_range(1..10_000_000u64).to_string()
                } else {
                    let t = text(rng, 3);
                    if t.is_empty() {
                        "u".to_owned()
                    } else {
                        t
                    }
                };
                c.insert("user_id".into(), json!(user_id));
                let info = if rng.gen_bool(0.2) {
                    Value::Null
                } else if rng.gen_bool(0.1) {
                    json!({"name": "José/x"})
                } else {
                    json_object(rng, 3)
                };
                c.insert("user_info".into(), info);
            }
            "user_auth" => {
                c.insert("socket_id".into(), json!(socket_id(rng)));
                let mut data = Map::new();
                // The Python SDK requires sign-in ids from the channel alphabet.
                data.insert(
                    "id".into(),
                    json!(ascii_token(rng, CHANNEL_ALPHABET, 1, 30)),
                );
                if let Value::Object(extra) = json_object(rng, 2) {
                    data.extend(extra);
                }
                c.insert("user_data".into(), Value::Object(data));
            }
            "encrypted_auth" => {
                c.insert("socket_id".into(), json!(socket_id(rng)));
                c.insert("channel".into(), json!(channel(rng, "private-encrypted-")));
                c.insert("master_key_base64".into(), json!(master_key(rng)));
            }
            "webhook" => webhook_case(rng, &mut c, now_ms),
            _ => {
                let channel = channel(rng, "private-encrypted-");
                let key_b64 = master_key(rng);
                let master = MasterKey::from_base64(&key_b64)?;
                let plaintext = if rng.gen_bool(0.1) {
                    big_payload(rng, 50_000).to_string()
                } else {
                    json_object(rng, 3).to_string()
                };
                let data =
                    encrypt_data(&ChannelKey::derive(&master, &channel), plaintext.as_bytes())?;
                c.insert("channel".into(), json!(channel));
                c.insert("master_key_base64".into(), json!(key_b64));
                c.insert("data".into(), json!(data));
                c.insert("plaintext".into(), json!(plaintext));
            }
        }
        out.push(Value::Object(c));
    }
    Ok(out)
}

/// The golden vectors of shared/protocol.md as cases, with their expected outputs.
pub fn golden_cases() -> Vec<(Value, Value)> {
    let c = |extra: Value| {
        let mut m = Map::new();
        m.insert("app_id".into(), json!(APP_ID));
        m.insert("key".into(), json!("thisisaauthkey"));
        m.insert("secret".into(), json!("thisisasecret"));
        if let Value::Object(e) = extra {
            m.extend(e);
        }
        Value::Object(m)
    };
    vec![
        (
            c(
                json!({"kind": "sign", "method": "POST", "path": "/apps/1/events", "params": {},
                     "body": r#"{"name":"my_event","data":"{\"message\":\"hello\"}","channel":"my-channel"}"#,
                     "timestamp": 1_700_000_000}),
            ),
            json!({"auth_signature": "f005924ff5a876bff819340b645a39292ba49aa6ddad1c2d554197fd36127741",
                   "body_md5": "19cef9c2eb5d07ced6b87ed94643153b"}),
        ),
        (
            c(json!({"kind": "private_auth", "socket_id": "1.1", "channel": "testing_pusher-php"})),
            json!({"auth": "thisisaauthkey:751ccc12aeaa79d46f7c199bced5fa47527d3480b51fe61a0bd10438241bd52d"}),
        ),
        (
            c(json!({"kind": "user_auth", "socket_id": "12345.6789", "user_data": {"id": "123"}})),
            json!({"auth": "thisisaauthkey:fc713f433deb729d0d96f9e26ef054285cbc3e833ebe840b93722a2fa16a6a18"}),
        ),
        (
            c(
                json!({"kind": "encrypted_auth", "socket_id": "1.1", "channel": "private-encrypted-channel-a",
                     "master_key_base64": BASE64.encode([b'a'; 32])}),
            ),
            json!({"shared_secret": "Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA="}),
        ),
    ]
}
