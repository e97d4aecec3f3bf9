//! Verifying and reading webhooks.
//!
//! `X-Pusher-Signature` is hex HMAC-SHA256(secret, raw body), compared in constant time
//! (pusher-http-php used `===`). Every malformed input is an error, never a panic.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::App;
use crate::crypto::decrypt_data;
use crate::error::{Error, Result, WebhookRejection};
use crate::validate::ChannelKind;

/// One event of a webhook (`channel_occupied`, `member_added`, `client_event`, ...).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WebhookEvent {
    /// The webhook event name (`channel_occupied`, `client_event`, ...).
    pub name: String,
    /// The channel it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Client events: the client event's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Client events: the data, decrypted when it came from an encrypted channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Client events: the sender's socket id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
    /// Presence events and signed-in clients: the user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Any other field the server sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A verified webhook.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Webhook {
    /// When the server sent it, unix milliseconds.
    pub time_ms: u64,
    /// Its events, in order.
    pub events: Vec<WebhookEvent>,
}

/// How fresh a webhook must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// The verifier's clock, unix milliseconds.
    pub now_ms: u64,
    /// Largest accepted distance between `time_ms` and `now_ms`.
    pub max_age_ms: u64,
}

fn rejected(why: WebhookRejection) -> Error {
    Error::WebhookRejected(why)
}

fn header<'a, K: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(K, V)],
    name: &'static str,
) -> Result<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref().trim())
        .ok_or(rejected(WebhookRejection::MissingHeader(name)))
}

impl App {
    /// Checks only the signature of a webhook: `X-Pusher-Key` names this app and
    /// `X-Pusher-Signature` is the body's HMAC. Header names are case-insensitive; headers
    /// come as (name, value) pairs of any string type, borrowed or owned.
    pub fn verify_webhook_signature<K: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &[(K, V)],
        body: &[u8],
    ) -> Result<()> {
        let key = header(headers, "X-Pusher-Key")?;
        let signature = header(headers, "X-Pusher-Signature")?;
        if key != self.credentials().key() {
            return Err(rejected(WebhookRejection::WrongKey));
        }
        let mut raw = [0u8; 32];
        // Both cases of hex are accepted: the signature is a number, not a string to compare.
        hex::decode_to_slice(signature, &mut raw)
            .map_err(|_| rejected(WebhookRejection::MalformedSignature))?;
        if self.credentials().verify_raw(body, &raw) {
            Ok(())
        } else {
            Err(rejected(WebhookRejection::BadSignature))
        }
    }

    /// Verifies a webhook and reads it: signature first, then the body, then (when asked)
    /// `time_ms` freshness. Client events on encrypted channels are decrypted (needs the
    /// master key).
    pub fn verify_webhook<K: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &[(K, V)],
        body: &[u8],
        freshness: Option<Freshness>,
    ) -> Result<Webhook> {
        self.verify_webhook_signature(headers, body)?;
        let mut webhook: Webhook = serde_json::from_slice(body)
            .map_err(|e| rejected(WebhookRejection::MalformedBody(e.to_string())))?;
        if let Some(Freshness { now_ms, max_age_ms }) = freshness {
            let age_ms = now_ms.abs_diff(webhook.time_ms);
            if age_ms > max_age_ms {
                return Err(rejected(WebhookRejection::Stale { age_ms, max_age_ms }));
            }
        }
        for event in &mut webhook.events {
            let channel = event.channel.as_deref().unwrap_or_default();
            if ChannelKind::of(channel) != ChannelKind::PrivateEncrypted {
                continue;
            }
            if let Some(data) = &event.data {
                let plain = decrypt_data(&self.channel_key(channel)?, data)?;
                event.data = Some(String::from_utf8(plain).map_err(|_| Error::Decryption {
                    reason: "decrypted data is not UTF-8",
                })?);
            }
        }
        Ok(webhook)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Credentials, MasterKey};
    use crate::crypto::encrypt_data;

    fn app() -> App {
        App::new(Credentials::new("1", "thisisaauthkey", "thisisasecret").unwrap())
            .with_master_key(MasterKey::from_bytes(&[b'a'; 32]).unwrap())
    }

    fn signed(app: &App, body: &str) -> String {
        app.credentials().sign_hex(&[body.as_bytes()])
    }

    #[test]
    fn accepts_a_good_webhook_with_any_header_case() {
        let a = app();
        let body =
            r#"{"time_ms":1700000000000,"events":[{"name":"channel_occupied","channel":"test"}]}"#;
        let sig = signed(&a, body);
        let hook = a
            .verify_webhook(
                &[
                    ("x-pusher-key", "thisisaauthkey"),
                    ("X-PUSHER-SIGNATURE", &sig.to_uppercase()),
                ],
                body.as_bytes(),
                Some(Freshness {
                    now_ms: 1_700_000_001_000,
                    max_age_ms: 300_000,
                }),
            )
            .unwrap();
        assert_eq!(hook.events[0].name, "channel_occupied");
        assert_eq!(hook.events[0].channel.as_deref(), Some("test"));
    }

    #[test]
    fn rejects_each_kind_of_bad_webhook() {
        let a = app();
        let body = r#"{"time_ms":1000,"events":[]}"#;
        let sig = signed(&a, body);
        let check = |headers: &[(&str, &str)], body: &str, fresh: Option<Freshness>| match a
            .verify_webhook(headers, body.as_bytes(), fresh)
        {
            Err(Error::WebhookRejected(why)) => why,
            other => panic!("expected a rejection, got {other:?}"),
        };
        assert_eq!(
            check(&[("X-Pusher-Signature", &sig)], body, None),
            WebhookRejection::MissingHeader("X-Pusher-Key")
        );
        assert_eq!(
            check(
                &[("X-Pusher-Key", "other"), ("X-Pusher-Signature", &sig)],
                body,
                None
            ),
            WebhookRejection::WrongKey
        );
        assert_eq!(
            check(
                &[
                    ("X-Pusher-Key", "thisisaauthkey"),
                    ("X-Pusher-Signature", "zz")
                ],
                body,
                None
            ),
            WebhookRejection::MalformedSignature
        );
        let tampered = body.replace("1000", "1001");
        assert_eq!(
            check(
                &[
                    ("X-Pusher-Key", "thisisaauthkey"),
                    ("X-Pusher-Signature", &sig)
                ],
                &tampered,
                None
            ),
            WebhookRejection::BadSignature
        );
        let not_json = "not json";
        let sig2 = signed(&a, not_json);
        assert!(matches!(
            check(
                &[
                    ("X-Pusher-Key", "thisisaauthkey"),
                    ("X-Pusher-Signature", &sig2)
                ],
                not_json,
                None
            ),
            WebhookRejection::MalformedBody(_)
        ));
        assert_eq!(
            check(
                &[
                    ("X-Pusher-Key", "thisisaauthkey"),
                    ("X-Pusher-Signature", &sig)
                ],
                body,
                Some(Freshness {
                    now_ms: 400_000,
                    max_age_ms: 300_000
                })
            ),
            WebhookRejection::Stale {
                age_ms: 399_000,
                max_age_ms: 300_000
            }
        );
    }

    #[test]
    fn decrypts_client_events_on_encrypted_channels() {
        let a = app();
        let channel = "private-encrypted-room";
        let sealed = encrypt_data(&a.channel_key(channel).unwrap(), br#"{"hi":1}"#).unwrap();
        let body = serde_json::json!({
            "time_ms": 1,
            "events": [{"name": "client_event", "channel": channel, "event": "client-x", "data": sealed, "socket_id": "1.1"}]
        })
        .to_string();
        let sig = signed(&a, &body);
        let hook = a
            .verify_webhook(
                &[
                    ("X-Pusher-Key", "thisisaauthkey"),
                    ("X-Pusher-Signature", &sig),
                ],
                body.as_bytes(),
                None,
            )
            .unwrap();
        assert_eq!(hook.events[0].data.as_deref(), Some(r#"{"hi":1}"#));
    }
}
