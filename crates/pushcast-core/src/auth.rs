//! Authorizing subscriptions and user sign-in: what `/broadcasting/auth` returns.
//!
//! Byte-identical to pusher-http-php for the same inputs: `auth` is `key:hex(HMAC-SHA256)`
//! over `socket_id:channel[:channel_data]`, or `socket_id::user::user_data` for sign-in.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Serialize;
use serde_json::Value;

use crate::app::App;
use crate::error::{Error, Result};
use crate::validate::{validate_channel, validate_json_user_id, validate_socket_id, ChannelKind};

/// A channel authorization, as the subscriber expects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelAuth {
    /// `key:signature`.
    pub auth: String,
    /// Presence only: the signed `{"user_id", "user_info"}` JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<String>,
    /// Encrypted channels only: the channel's key in base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
}

impl ChannelAuth {
    /// The JSON object the auth endpoint answers with.
    pub fn to_json(&self) -> String {
        json_text(self)
    }
}

/// A user sign-in (`pusher:signin`) authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserAuth {
    /// `key:signature`.
    pub auth: String,
    /// The signed user data JSON text (has an `id`).
    pub user_data: String,
}

impl UserAuth {
    /// The JSON object the user-auth endpoint answers with.
    pub fn to_json(&self) -> String {
        json_text(self)
    }
}

fn json_text(value: &impl Serialize) -> String {
    // Serializing a struct of strings cannot fail; an empty object would be the only fallback.
    serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"))
}

#[derive(Serialize)]
struct PresenceData<'a> {
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_info: Option<&'a Value>,
}

fn is_empty_json(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

impl App {
    /// Authorizes a subscription, signing `socket_id:channel` or, with `channel_data`,
    /// `socket_id:channel:channel_data` (an already-encoded presence payload, signed as given).
    ///
    /// Like pusher-http-php's `authorizeChannel`. For a `private-encrypted-` channel the answer
    /// carries the channel's `shared_secret` (needs the master key). On a presence channel,
    /// `channel_data` must be JSON holding a non-empty `user_id` (the server reads it); on any
    /// other channel it is custom data, signed and returned as given, as pusher-http-php does.
    pub fn authorize_channel(
        &self,
        socket_id: &str,
        channel: &str,
        channel_data: Option<&str>,
    ) -> Result<ChannelAuth> {
        validate_socket_id(socket_id)?;
        let kind = validate_channel(channel, self.profile())?;
        if let (Some(data), ChannelKind::Presence) = (channel_data, kind) {
            check_user_json(data, "channel_data", "user_id")?;
        }
        let shared_secret = match kind {
            ChannelKind::PrivateEncrypted => Some(self.channel_key(channel)?.to_base64()),
            _ => None,
        };
        let signature = match channel_data {
            Some(data) => self.credentials().sign_hex(&[
                socket_id.as_bytes(),
                b":",
                channel.as_bytes(),
                b":",
                data.as_bytes(),
            ]),
            None => self
                .credentials()
                .sign_hex(&[socket_id.as_bytes(), b":", channel.as_bytes()]),
        };
        Ok(ChannelAuth {
            auth: self.key_prefixed(signature),
            channel_data: channel_data.map(str::to_owned),
            shared_secret,
        })
    }

    /// Authorizes a presence subscription: encodes `{"user_id": .., "user_info": ..}`
    /// (`user_info` left out when absent or empty, as pusher-http-php does) and signs it.
    pub fn authorize_presence_channel(
        &self,
        socket_id: &str,
        channel: &str,
        user_id: &str,
        user_info: Option<&Value>,
    ) -> Result<ChannelAuth> {
        validate_json_user_id(user_id)?;
        let channel_data = serde_json::to_string(&PresenceData {
            user_id,
            user_info: user_info.filter(|v| !is_empty_json(v)),
        })
        .map_err(|e| Error::InvalidJson {
            what: "user_info",
            reason: e.to_string(),
        })?;
        self.authorize_channel(socket_id, channel, Some(&channel_data))
    }

    /// Authenticates a user for `pusher:signin`, signing `socket_id::user::user_data` over the
    /// given, already-encoded `user_data` (JSON with a non-empty string `id`).
    pub fn authenticate_user(&self, socket_id: &str, user_data: &str) -> Result<UserAuth> {
        self.check_user_sign_in("user authentication (pusher:signin)")?;
        validate_socket_id(socket_id)?;
        check_user_json(user_data, "user_data", "id")?;
        let signature =
            self.credentials()
                .sign_hex(&[socket_id.as_bytes(), b"::user::", user_data.as_bytes()]);
        Ok(UserAuth {
            auth: self.key_prefixed(signature),
            user_data: user_data.to_owned(),
        })
    }

    /// [`App::authenticate_user`] with `user_data` encoded from a JSON object.
    pub fn authenticate_user_value(&self, socket_id: &str, user_data: &Value) -> Result<UserAuth> {
        let encoded = serde_json::to_string(user_data).map_err(|e| Error::InvalidJson {
            what: "user_data",
            reason: e.to_string(),
        })?;
        self.authenticate_user(socket_id, &encoded)
    }

    fn key_prefixed(&self, signature: String) -> String {
        let key = self.credentials().key();
        let mut auth = String::with_capacity(key.len() + 1 + signature.len());
        auth.push_str(key);
        auth.push(':');
        auth.push_str(&signature);
        auth
    }
}

/// Checks that `text` is a JSON object whose `field` is a non-empty string (or, for presence,
/// a number, which pusher-http-php users send from integer model keys).
///
/// Only `field` is read into a value; every other member is skipped without building it, so
/// a deeply nested `user_info` is accepted as deep as PHP's `json_encode` writes it (512
/// levels), not only to serde_json's 128-level limit for values.
fn check_user_json(text: &str, what: &'static str, field: &'static str) -> Result<()> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = FieldSeed(field)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| Error::InvalidJson {
            what,
            reason: e.to_string(),
        })?;
    match value {
        Some(Value::String(id)) => validate_json_user_id(&id),
        Some(Value::Number(_)) if field == "user_id" => Ok(()),
        _ => Err(Error::InvalidJson {
            what,
            reason: format!("needs a non-empty string \"{field}\""),
        }),
    }
}

/// Reads one member of a JSON object (the last one, if repeated, as PHP's `json_decode` does)
/// and skips the others.
struct FieldSeed(&'static str);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == self.0 {
                found = Some(map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Credentials, MasterKey};
    use serde_json::json;

    fn app() -> App {
        App::new(Credentials::new("1", "thisisaauthkey", "thisisasecret").unwrap())
    }

    #[test]
    fn private_channel_golden_vector() {
        let auth = app()
            .authorize_channel("1.1", "testing_pusher-php", None)
            .unwrap();
        assert_eq!(
            auth.auth,
            "thisisaauthkey:751ccc12aeaa79d46f7c199bced5fa47527d3480b51fe61a0bd10438241bd52d"
        );
        assert_eq!(
            auth.to_json(),
            r#"{"auth":"thisisaauthkey:751ccc12aeaa79d46f7c199bced5fa47527d3480b51fe61a0bd10438241bd52d"}"#
        );
    }

    #[test]
    fn presence_golden_vector_over_given_channel_data() {
        let auth = app()
            .authorize_channel(
                "45055.28877557",
                "-azAZ9_=@,.;",
                Some(r#"{"user_id": "123"}"#),
            )
            .unwrap();
        assert_eq!(
            auth.auth,
            "thisisaauthkey:3b3f1dcc4d7d2f95dd10ed05562397b3287b102d4cccfacbf30eed2f1ffa3d69"
        );
        assert_eq!(auth.channel_data.as_deref(), Some(r#"{"user_id": "123"}"#));
    }

    #[test]
    fn custom_data_on_other_channels_is_signed_as_given() {
        // pusher-http-php's answer for the same call (found by scripts/crosscheck-php).
        let auth = app()
            .authorize_channel("1.1", "private-a", Some("x"))
            .unwrap();
        assert_eq!(
            auth.to_json(),
            r#"{"auth":"thisisaauthkey:e79a34fc0f3a46c4a1dd405f511a0cfc3e6f0fe80c9af7f57571291e86e8b18e","channel_data":"x"}"#
        );
        assert!(app()
            .authorize_channel("1.1", "presence-a", Some("x"))
            .is_err());
        assert!(app()
            .authorize_channel("1.1", "presence-a", Some(r#"{"a":1}"#))
            .is_err());
    }

    #[test]
    fn presence_encoding_and_self_consistency() {
        let a = app();
        let auth = a
            .authorize_presence_channel(
                "1.2",
                "presence-chat.1",
                "7",
                Some(&json!({"name": "José/x"})),
            )
            .unwrap();
        let data = auth.channel_data.clone().unwrap();
        assert_eq!(data, r#"{"user_id":"7","user_info":{"name":"José/x"}}"#);
        let again = a
            .authorize_channel("1.2", "presence-chat.1", Some(&data))
            .unwrap();
        assert_eq!(again.auth, auth.auth);
        for empty in [json!(null), json!({}), json!([])] {
            let auth = a
                .authorize_presence_channel("1.2", "presence-c", "7", Some(&empty))
                .unwrap();
            assert_eq!(auth.channel_data.as_deref(), Some(r#"{"user_id":"7"}"#));
        }
        assert!(a
            .authorize_presence_channel("1.2", "presence-c", "", None)
            .is_err());
    }

    #[test]
    fn user_sign_in_golden_vector() {
        let auth = app()
            .authenticate_user("12345.6789", r#"{"id":"123"}"#)
            .unwrap();
        assert_eq!(
            auth.auth,
            "thisisaauthkey:fc713f433deb729d0d96f9e26ef054285cbc3e833ebe840b93722a2fa16a6a18"
        );
        assert_eq!(
            app()
                .authenticate_user_value("12345.6789", &json!({"id": "123"}))
                .unwrap(),
            auth
        );
        for bad in [r#"{"id":""}"#, r#"{"name":"x"}"#, "not json", r#"{"id":5}"#] {
            assert!(app().authenticate_user("1.1", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encrypted_channels_carry_the_shared_secret() {
        let a = app().with_master_key(MasterKey::from_bytes(&[b'a'; 32]).unwrap());
        let auth = a
            .authorize_channel("1.1", "private-encrypted-channel-a", None)
            .unwrap();
        assert_eq!(
            auth.shared_secret.as_deref(),
            Some("Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA=")
        );
        assert!(matches!(
            app().authorize_channel("1.1", "private-encrypted-channel-a", None),
            Err(Error::MissingMasterKey { .. })
        ));
    }

    #[test]
    fn deep_user_info_is_accepted_as_deep_as_php_writes_it() {
        let depth = 511;
        let info = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let data = format!(r#"{{"user_id":"u","user_info":{info}}}"#);
        assert!(app()
            .authorize_channel("1.1", "presence-a", Some(&data))
            .is_ok());
        // The id itself is still read and checked; the last of repeated members wins.
        for bad in [
            r#"{"user_id":[]}"#,
            r#"{"user_id":"a","user_id":""}"#,
            "[]",
            r#"{"user_id":"a"} x"#,
        ] {
            assert!(
                app()
                    .authorize_channel("1.1", "presence-a", Some(bad))
                    .is_err(),
                "{bad}"
            );
        }
        assert!(app()
            .authorize_channel("1.1", "presence-a", Some(r#"{"user_id":"","user_id":"a"}"#))
            .is_ok());
    }

    #[test]
    fn bad_input_is_refused() {
        let a = app();
        assert!(matches!(
            a.authorize_channel("1", "private-a", None),
            Err(Error::InvalidSocketId { .. })
        ));
        assert!(matches!(
            a.authorize_channel("1.1", "private a", None),
            Err(Error::InvalidChannelName { .. })
        ));
        assert!(matches!(
            a.authorize_channel("1.1", "presence-a", Some("{")),
            Err(Error::InvalidJson { .. })
        ));
    }
}
