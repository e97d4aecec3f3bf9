//! Comparing pushcast with each peer SDK, under the rules of shared/protocol.md §9:
//! bytes where the inputs are the same bytes, parsed JSON where each side encodes its own.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{anyhow, Context, Result};
use pushcast_core::{
    sign_request, unix_now, App, Credentials, Freshness, MasterKey, Method, ServerProfile,
};
use serde_json::Value;

use crate::oracle::hmac_hex;

/// The outcome of comparing one case with one peer.
pub enum Outcome {
    /// Every comparison held.
    Agree,
    /// A rule the peer does not follow, so the comparison is not meaningful (named).
    Skipped(&'static str),
    /// A comparison failed (what differed).
    Disagree(String),
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("missing string field `{name}`"))
}

fn app_for(case: &Value) -> Result<App> {
    let creds = Credentials::new(
        field(case, "app_id")?,
        field(case, "key")?,
        field(case, "secret")?,
    )?;
    let mut app = App::new(creds).with_profile(ServerProfile::pusher());
    if let Ok(master) = field(case, "master_key_base64") {
        app = app.with_master_key(MasterKey::from_base64(master)?);
    }
    Ok(app)
}

fn check(differences: &mut String, what: &str, ours: impl AsRef<str>, theirs: impl AsRef<str>) {
    if ours.as_ref() != theirs.as_ref() {
        let _ = write!(
            differences,
            "{what}: ours {:?} theirs {:?}; ",
            ours.as_ref(),
            theirs.as_ref()
        );
    }
}

fn parsed(text: &str) -> Result<Value> {
    serde_json::from_str(text).with_context(|| format!("not JSON: {text:?}"))
}

/// pushcast's own signature for a sign case: (auth_signature, body_md5).
fn our_signature(app: &App, case: &Value) -> Result<(String, Option<String>)> {
    let method = match field(case, "method")? {
        "POST" => Method::Post,
        _ => Method::Get,
    };
    let params: BTreeMap<String, String> = case
        .get("params")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let body = case
        .get("body")
        .and_then(Value::as_str)
        .map(|b| b.as_bytes().to_vec());
    let timestamp = case
        .get("timestamp")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let request = sign_request(
        app.credentials(),
        method,
        field(case, "path")?,
        &params,
        body,
        timestamp,
    )?;
    let md5 = request
        .query
        .split('&')
        .find_map(|kv| kv.strip_prefix("body_md5="))
        .map(str::to_owned);
    Ok((request.signature, md5))
}

/// What pushcast itself answers for a case, as the peers' output fields.
pub fn our_output(case: &Value) -> Result<Value> {
    let app = app_for(case)?;
    Ok(match field(case, "kind")? {
        "sign" => {
            let (sig, md5) = our_signature(&app, case)?;
            serde_json::json!({"auth_signature": sig, "body_md5": md5})
        }
        "private_auth" | "encrypted_auth" => {
            let auth =
                app.authorize_channel(field(case, "socket_id")?, field(case, "channel")?, None)?;
            serde_json::json!({"auth": auth.auth, "shared_secret": auth.shared_secret})
        }
        "user_auth" => {
            let data = case
                .get("user_data")
                .ok_or_else(|| anyhow!("no user_data"))?;
            let auth = app.authenticate_user_value(field(case, "socket_id")?, data)?;
            serde_json::json!({"auth": auth.auth, "user_data": auth.user_data})
        }
        other => return Err(anyhow!("no golden output for kind {other}")),
    })
}

/// Compares one case with one peer's answer.
pub fn compare(case: &Value, peer: &str, theirs: &Value) -> Result<Outcome> {
    if let Some(error) = theirs.get("error") {
        return Ok(Outcome::Disagree(format!(
            "the SDK refused a valid input: {error}"
        )));
    }
    let app = app_for(case)?;
    let socket_id = || field(case, "socket_id");
    let mut diff = String::new();
    match field(case, "kind")? {
        "sign" => {
            if peer == "python" && field(case, "method")? == "GET" {
                // pusher-http-python puts body_md5 (of an empty body) on GET too; the protocol
                // and the other SDKs never do, so the signatures cannot agree.
                return Ok(Outcome::Skipped("python signs body_md5 on GET"));
            }
            let (sig, md5) = our_signature(&app, case)?;
            check(
                &mut diff,
                "auth_signature",
                sig,
                field(theirs, "auth_signature")?,
            );
            let their_md5 = theirs
                .get("body_md5")
                .and_then(Value::as_str)
                .unwrap_or("null");
            check(
                &mut diff,
                "body_md5",
                md5.as_deref().unwrap_or("null"),
                their_md5,
            );
        }
        "private_auth" => {
            let ours = app.authorize_channel(socket_id()?, field(case, "channel")?, None)?;
            check(&mut diff, "auth", ours.auth, field(theirs, "auth")?);
        }
        "encrypted_auth" => {
            let ours = app.authorize_channel(socket_id()?, field(case, "channel")?, None)?;
            check(&mut diff, "auth", &ours.auth, field(theirs, "auth")?);
            check(
                &mut diff,
                "shared_secret",
                ours.shared_secret.unwrap_or_default(),
                field(theirs, "shared_secret")?,
            );
        }
        "presence_auth" => {
            let channel = field(case, "channel")?;
            let their_data = field(theirs, "channel_data")?;
            // Bytes: our signature over the SDK's own channel_data string.
            let over_theirs = app.authorize_channel(socket_id()?, channel, Some(their_data))?;
            check(
                &mut diff,
                "auth over their channel_data",
                over_theirs.auth,
                field(theirs, "auth")?,
            );
            // Parsed JSON: our own encoding says the same thing.
            let info = case.get("user_info").filter(|v| !v.is_null());
            let ours = app.authorize_presence_channel(
                socket_id()?,
                channel,
                field(case, "user_id")?,
                info,
            )?;
            let our_data = ours.channel_data.clone().unwrap_or_default();
            if parsed(&our_data)? != parsed(their_data)? {
                check(&mut diff, "channel_data (parsed)", &our_data, their_data);
            }
            // Our auth signs exactly the channel_data we return (independent HMAC).
            let expected = hmac_hex(
                field(case, "secret")?.as_bytes(),
                &[
                    socket_id()?.as_bytes(),
                    b":",
                    channel.as_bytes(),
                    b":",
                    our_data.as_bytes(),
                ],
            );
            check(
                &mut diff,
                "our auth vs oracle",
                &ours.auth,
                format!("{}:{expected}", field(case, "key")?),
            );
        }
        "user_auth" => {
            let their_data = field(theirs, "user_data")?;
            let over_theirs = app.authenticate_user(socket_id()?, their_data)?;
            check(
                &mut diff,
                "auth over their user_data",
                over_theirs.auth,
                field(theirs, "auth")?,
            );
            let data = case
                .get("user_data")
                .ok_or_else(|| anyhow!("no user_data"))?;
            let ours = app.authenticate_user_value(socket_id()?, data)?;
            if parsed(&ours.user_data)? != parsed(their_data)? {
                check(&mut diff, "user_data (parsed)", &ours.user_data, their_data);
            }
            let expected = hmac_hex(
                field(case, "secret")?.as_bytes(),
                &[
                    socket_id()?.as_bytes(),
                    b"::user::",
                    ours.user_data.as_bytes(),
                ],
            );
            check(
                &mut diff,
                "our auth vs oracle",
                &ours.auth,
                format!("{}:{expected}", field(case, "key")?),
            );
        }
        "webhook" => {
            let headers = [
                ("X-Pusher-Key", field(case, "webhook_key")?),
                ("X-Pusher-Signature", field(case, "signature")?),
            ];
            // The Python SDK also refuses webhooks more than five minutes old; so do we here.
            let fresh = Freshness {
                now_ms: unix_now() * 1000,
                max_age_ms: 300_000,
            };
            let ours = app
                .verify_webhook(&headers, field(case, "body")?.as_bytes(), Some(fresh))
                .is_ok();
            let theirs_valid = theirs.get("valid").and_then(Value::as_bool);
            if Some(ours) != theirs_valid {
                let _ = write!(diff, "valid: ours {ours} theirs {theirs_valid:?}; ");
            }
        }
        "decrypt" => {
            check(
                &mut diff,
                "plaintext",
                field(case, "plaintext")?,
                field(theirs, "plaintext")?,
            );
        }
        other => return Err(anyhow!("unknown kind {other}")),
    }
    Ok(if diff.is_empty() {
        Outcome::Agree
    } else {
        Outcome::Disagree(diff)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn case(kind: &str, extra: Value) -> Value {
        let mut c = json!({"id": 1, "kind": kind, "app_id": "12345", "key": "k", "secret": "s"});
        if let (Value::Object(c), Value::Object(e)) = (&mut c, extra) {
            c.extend(e);
        }
        c
    }

    fn disagrees(case: &Value, peer: &str, theirs: Value) -> bool {
        matches!(compare(case, peer, &theirs).unwrap(), Outcome::Disagree(_))
    }

    #[test]
    fn a_wrong_private_auth_is_caught_and_a_right_one_agrees() {
        let c = case(
            "private_auth",
            json!({"socket_id": "1.1", "channel": "private-a"}),
        );
        let right = our_output(&c).unwrap()["auth"].clone();
        assert!(!disagrees(&c, "node", json!({"auth": right})));
        assert!(disagrees(&c, "node", json!({"auth": "k:00"})));
        assert!(disagrees(&c, "node", json!({"error": "refused"})));
    }

    #[test]
    fn presence_compares_bytes_over_their_data_and_json_over_ours() {
        let c = case(
            "presence_auth",
            json!({"socket_id": "1.1", "channel": "presence-a", "user_id": "7", "user_info": {"name": "José/x"}}),
        );
        // pusher-http-python's encoding: other bytes, same JSON; signed by its own key.
        let their_data = r#"{"user_id": "7", "user_info": {"name": "Jos\u00e9/x"}}"#;
        let their_auth = format!(
            "k:{}",
            hmac_hex(b"s", &[b"1.1:presence-a:", their_data.as_bytes()])
        );
        assert!(!disagrees(
            &c,
            "python",
            json!({"auth": their_auth, "channel_data": their_data})
        ));
        // Same bytes, different meaning: caught by the parsed comparison.
        let other_data = r#"{"user_id": "8"}"#;
        let other_auth = format!(
            "k:{}",
            hmac_hex(b"s", &[b"1.1:presence-a:", other_data.as_bytes()])
        );
        assert!(disagrees(
            &c,
            "python",
            json!({"auth": other_auth, "channel_data": other_data})
        ));
    }

    #[test]
    fn python_get_signatures_are_skipped_not_counted_as_agreement() {
        let c = case(
            "sign",
            json!({"method": "GET", "path": "/apps/12345/channels", "params": {}, "body": null, "timestamp": 1}),
        );
        assert!(matches!(
            compare(
                &c,
                "python",
                &json!({"auth_signature": "x", "body_md5": "y"})
            )
            .unwrap(),
            Outcome::Skipped(_)
        ));
        assert!(disagrees(
            &c,
            "node",
            json!({"auth_signature": "x", "body_md5": null})
        ));
    }
}
