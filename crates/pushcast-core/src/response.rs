//! Reading server answers: every server's success body, and one typed error for failures.
//!
//! Success is status 200 only. Known success bodies: `{}` and `{"ok":true}` (Reverb, sockudo),
//! `{"channels": {..}}` (with `info`), `{"batch": {}}` / `{"batch": [..]}` (batch with `info`),
//! an empty body. A server written in PHP (Reverb) encodes an empty map as `[]`: an empty
//! list is read as an empty object wherever an object is expected. Error bodies: plain text (hosted Pusher), Laravel's 422 JSON
//! (`{"message", "errors"}`), sockudo's `{"error", "code", "status"}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// Longest server message kept in an [`Error::Api`], in characters.
pub const MAX_SERVER_MESSAGE_CHARS: usize = 512;

/// Attributes of one channel, as far as the server reported them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ChannelInfo {
    /// Whether anyone is subscribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupied: Option<bool>,
    /// Presence channels: distinct users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u64>,
    /// Subscribed connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<u64>,
    /// Any other attribute the server reported, as sent (sockudo's `acknowledgement_id`):
    /// bindings that hand the answer on (the PHP extension) keep the server's shape.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// The answer to a trigger: per-channel info when `info` was asked for, else empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerResponse {
    /// Channel name → attributes.
    pub channels: BTreeMap<String, ChannelInfo>,
}

/// The answer to a batch: per-item info when `info` was asked for, else empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResponse {
    /// One entry per batch item, in order, when the server reported them.
    pub items: Vec<ChannelInfo>,
}

/// The answer to `GET /channels`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelsResponse {
    /// Channel name → attributes.
    pub channels: BTreeMap<String, ChannelInfo>,
}

fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedResponse {
        reason: reason.into(),
    }
}

/// Turns a non-200 answer into [`Error::Api`], keeping the server's own message.
pub fn api_error(status: u16, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let message = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => {
            let main = ["error", "message"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_str))
                .map(str::to_owned);
            // Laravel's 422 lists field errors under `errors`; keep them, they say what to fix.
            match (main, map.get("errors")) {
                (Some(m), Some(errors)) => format!("{m} {errors}"),
                (Some(m), None) => m,
                (None, _) => text.trim().to_owned(),
            }
        }
        _ => text.trim().to_owned(),
    };
    let message = if message.is_empty() {
        String::from("(empty body)")
    } else {
        message.chars().take(MAX_SERVER_MESSAGE_CHARS).collect()
    };
    Error::Api { status, message }
}

fn success_json(status: u16, body: &[u8]) -> Result<Value> {
    if status != 200 {
        return Err(api_error(status, body));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(Value::Array(list)) if list.is_empty() => Ok(Value::Object(Default::default())),
        Ok(_) => Err(malformed("expected a JSON object")),
        Err(e) => Err(malformed(format!("not JSON: {e}"))),
    }
}

fn channel_map(value: Option<&Value>) -> Result<BTreeMap<String, ChannelInfo>> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        // PHP's json_encode of an empty array: Reverb's `{"channels":[]}`.
        Some(Value::Array(list)) if list.is_empty() => Ok(BTreeMap::new()),
        Some(v) => {
            serde_json::from_value(v.clone()).map_err(|e| malformed(format!("bad `channels`: {e}")))
        }
    }
}

/// Reads the answer to `POST /events`.
pub fn parse_trigger_response(status: u16, body: &[u8]) -> Result<TriggerResponse> {
    let value = success_json(status, body)?;
    Ok(TriggerResponse {
        channels: channel_map(value.get("channels"))?,
    })
}

/// Reads the answer to `POST /batch_events`.
pub fn parse_batch_response(status: u16, body: &[u8]) -> Result<BatchResponse> {
    let value = success_json(status, body)?;
    let items = match value.get("batch") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| serde_json::from_value(i.clone()))
            .collect::<Result<_, _>>()
            .map_err(|e| malformed(format!("bad `batch` item: {e}")))?,
        // `{"batch": {}}`: nothing asked for, nothing reported.
        None | Some(Value::Object(_)) | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(malformed("`batch` is neither a list nor an object")),
    };
    Ok(BatchResponse { items })
}

/// Reads the answer to `GET /channels`.
pub fn parse_channels_response(status: u16, body: &[u8]) -> Result<ChannelsResponse> {
    let value = success_json(status, body)?;
    Ok(ChannelsResponse {
        channels: channel_map(value.get("channels"))?,
    })
}

/// Reads the answer to `GET /channels/{channel}`.
pub fn parse_channel_info_response(status: u16, body: &[u8]) -> Result<ChannelInfo> {
    serde_json::from_value(success_json(status, body)?)
        .map_err(|e| malformed(format!("bad channel info: {e}")))
}

/// Whether `error` is Reverb's answer to `GET /channels/{channel}/users` for a presence
/// channel nobody is on: 404 with the body `{}` (its other 404, an unknown app, has a message).
pub fn is_empty_presence_answer(error: &Error) -> bool {
    matches!(error, Error::Api { status: 404, message } if message == "{}")
}

/// Reads the answer to `GET /channels/{channel}/users`: the user ids (numbers as text).
///
/// Reverb answers a presence channel nobody is on with 404 and the body `{}` (it has no such
/// channel): that is an empty list of users. Its other 404 (an unknown app) carries a message.
pub fn parse_users_response(status: u16, body: &[u8]) -> Result<Vec<String>> {
    if status != 200 && is_empty_presence_answer(&api_error(status, body)) {
        return Ok(Vec::new());
    }
    let value = success_json(status, body)?;
    let users = value
        .get("users")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("missing `users` list"))?;
    users
        .iter()
        .map(|u| match u.get("id") {
            Some(Value::String(id)) => Ok(id.clone()),
            Some(Value::Number(id)) => Ok(id.to_string()),
            _ => Err(malformed("a user without an `id`")),
        })
        .collect()
}

/// Reads the answer to `POST /users/{id}/terminate_connections`.
pub fn parse_empty_response(status: u16, body: &[u8]) -> Result<()> {
    success_json(status, body).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_beyond_the_known_ones_are_kept_as_sent() {
        let body = br#"{"channels":{"c":{"subscription_count":0,"acknowledgement_id":"a-1"}}}"#;
        let channels = parse_trigger_response(200, body).unwrap().channels;
        let info = &channels["c"];
        assert_eq!(info.subscription_count, Some(0));
        assert_eq!(info.other["acknowledgement_id"], "a-1");
        // Written back, it is the server's object again.
        assert_eq!(
            serde_json::to_value(info).unwrap(),
            serde_json::json!({"subscription_count": 0, "acknowledgement_id": "a-1"})
        );
    }

    #[test]
    fn empty_php_arrays_read_as_empty_objects() {
        // Reverb 1.10.2: GET /channels with nothing matching, POST /events with `info` on no
        // channel, and any empty `(array)` answer.
        assert!(parse_channels_response(200, br#"{"channels":[]}"#)
            .unwrap()
            .channels
            .is_empty());
        assert!(parse_trigger_response(200, br#"{"channels":[]}"#)
            .unwrap()
            .channels
            .is_empty());
        assert_eq!(
            parse_channel_info_response(200, b"[]").unwrap(),
            ChannelInfo::default()
        );
        parse_empty_response(200, b"[]").unwrap();
        // A presence channel nobody is on: Reverb has no such channel.
        assert!(parse_users_response(404, b"{}").unwrap().is_empty());
        assert!(matches!(
            parse_users_response(404, b"No matching application for ID [1]."),
            Err(Error::Api { status: 404, .. })
        ));
        // A non-empty list where a map belongs is still malformed.
        assert!(matches!(
            parse_channels_response(200, br#"{"channels":[1]}"#),
            Err(Error::MalformedResponse { .. })
        ));
        // Reverb's presence info: `user_count` only, and the `cache` attribute is ignored.
        let info =
            parse_channel_info_response(200, br#"{"occupied":true,"user_count":2,"cache":{}}"#)
                .unwrap();
        assert_eq!(info.user_count, Some(2));
        assert_eq!(info.occupied, Some(true));
    }

    #[test]
    fn every_known_success_body() {
        for body in ["", "{}", r#"{"ok":true}"#, " \n"] {
            assert_eq!(
                parse_trigger_response(200, body.as_bytes()).unwrap(),
                TriggerResponse::default()
            );
        }
        let with_info = parse_trigger_response(
            200,
            br#"{"channels":{"a":{"subscription_count":3},"presence-b":{"user_count":2}}}"#,
        )
        .unwrap();
        assert_eq!(with_info.channels["a"].subscription_count, Some(3));
        assert_eq!(with_info.channels["presence-b"].user_count, Some(2));
        for body in ["{}", r#"{"batch":{}}"#, r#"{"ok":true}"#] {
            assert!(parse_batch_response(200, body.as_bytes())
                .unwrap()
                .items
                .is_empty());
        }
        let items =
            parse_batch_response(200, br#"{"batch":[{"subscription_count":1},{}]}"#).unwrap();
        assert_eq!(items.items.len(), 2);
        assert_eq!(
            parse_users_response(200, br#"{"users":[{"id":"1"},{"id":2}]}"#).unwrap(),
            ["1", "2"]
        );
        assert_eq!(
            parse_channel_info_response(200, br#"{"occupied":true,"subscription_count":4}"#)
                .unwrap(),
            ChannelInfo {
                occupied: Some(true),
                user_count: None,
                subscription_count: Some(4),
                other: BTreeMap::new(),
            }
        );
    }

    #[test]
    fn error_bodies_become_one_typed_error() {
        assert_eq!(
            parse_trigger_response(413, b"Payload too large\n"),
            Err(Error::Api {
                status: 413,
                message: "Payload too large".into()
            })
        );
        assert_eq!(
            parse_trigger_response(
                400,
                br#"{"error":"Invalid channel name","code":4009,"status":400}"#
            ),
            Err(Error::Api {
                status: 400,
                message: "Invalid channel name".into()
            })
        );
        let laravel = parse_trigger_response(
            422,
            br#"{"message":"The data field must be a string.","errors":{"data":["The data field must be a string."]}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&laravel, Error::Api { status: 422, message }
                if message.starts_with("The data field must be a string. ") && message.contains(r#"{"data":["#)),
            "{laravel:?}"
        );
        assert_eq!(
            parse_trigger_response(500, b""),
            Err(Error::Api {
                status: 500,
                message: "(empty body)".into()
            })
        );
        // 2xx other than 200 is not success.
        assert!(matches!(
            parse_trigger_response(202, b"{}"),
            Err(Error::Api { status: 202, .. })
        ));
        let long = "x".repeat(10_000);
        match parse_trigger_response(500, long.as_bytes()) {
            Err(Error::Api { message, .. }) => assert_eq!(message.len(), MAX_SERVER_MESSAGE_CHARS),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unreadable_success_bodies_are_errors_not_panics() {
        for body in ["[1]", "nope", r#"{"channels":5}"#] {
            assert!(
                matches!(
                    parse_trigger_response(200, body.as_bytes()),
                    Err(Error::MalformedResponse { .. })
                ),
                "{body}"
            );
        }
        assert!(parse_users_response(200, b"{}").is_err());
        assert!(parse_batch_response(200, br#"{"batch":3}"#).is_err());
    }
}
