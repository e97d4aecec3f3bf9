//! `pushcast tail`: a WebSocket subscriber (tokio-tungstenite) printing events as JSON lines.
//!
//! Private, presence and encrypted subscriptions are signed locally with the core's channel
//! auth, as `/broadcasting/auth` would sign them; encrypted events are decrypted with the
//! master key. When every subscription is confirmed, one line goes to stderr:
//! `pushcast tail: subscribed to <channels> (socket <id>)` (scripts and tests wait for it).

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pushcast_core::crypto::decrypt_data;
use pushcast_core::validate::{validate_channel, ChannelKind};
use pushcast_core::App;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::TailArgs;
use crate::client::seconds;
use crate::config::Resolved;
use crate::error::{CliError, CliResult, Exit};
use crate::input::json_arg;

/// How long connecting and subscribing may take when no `--timeout` is given.
const DEFAULT_SETUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Everything checked before connecting.
struct Plan {
    app: Option<App>,
    key: String,
    ws_url: String,
    channels: Vec<String>,
    user_id: Option<String>,
    user_info: Option<Value>,
    count: Option<u64>,
    idle: Option<Duration>,
    raw: bool,
}

fn plan(config: &Resolved, args: &TailArgs) -> CliResult<Plan> {
    let channels: Vec<String> = args.channels.iter().map(|c| c.trim().to_owned()).collect();
    let needs_auth = channels
        .iter()
        .any(|c| ChannelKind::of(c).needs_authorization());
    let app = if needs_auth {
        Some(config.app(false)?)
    } else {
        None
    };
    let key = match (&app, &config.key) {
        (Some(app), _) => app.credentials().key().to_owned(),
        (None, Some(key)) => key.value.clone(),
        (None, None) => return Err(CliError::config(
            "missing app key: pass --app-key or set PUSHCAST_KEY, REVERB_APP_KEY or PUSHER_APP_KEY",
        )),
    };
    let profile = app
        .as_ref()
        .map(|a| a.profile().clone())
        .unwrap_or_default();
    for channel in &channels {
        let kind = validate_channel(channel, &profile)?;
        if kind == ChannelKind::Presence && args.user_id.is_none() {
            return Err(CliError::usage(format!(
                "{channel:?} is a presence channel: pass --user-id (and optionally --user-info)"
            )));
        }
        if let (ChannelKind::PrivateEncrypted, Some(app)) = (kind, &app) {
            app.channel_key(channel)?; // fails now, not after connecting, without a master key
        }
    }
    Ok(Plan {
        app,
        key,
        ws_url: config.ws_url()?.to_owned(),
        channels,
        user_id: args.user_id.clone(),
        user_info: args
            .user_info
            .as_deref()
            .map(|t| json_arg(t, "--user-info"))
            .transpose()?,
        count: args.count,
        idle: args.timeout.map(|t| seconds(t, "--timeout")).transpose()?,
        raw: args.raw,
    })
}

/// Subscribes and prints until `--count` events arrived, `--timeout` passed, or an error.
pub fn run(config: &Resolved, args: &TailArgs) -> CliResult {
    let plan = plan(config, args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(Exit::Failure, format!("cannot start tokio: {e}")))?;
    runtime.block_on(tail(&plan))
}

fn subscribe_frame(plan: &Plan, socket_id: &str, channel: &str) -> CliResult<String> {
    let mut data = json!({ "channel": channel });
    let kind = ChannelKind::of(channel);
    if let (true, Some(app)) = (kind.needs_authorization(), &plan.app) {
        let auth = match (kind, &plan.user_id) {
            (ChannelKind::Presence, Some(user_id)) => app.authorize_presence_channel(
                socket_id,
                channel,
                user_id,
                plan.user_info.as_ref(),
            )?,
            _ => app.authorize_channel(socket_id, channel, None)?,
        };
        data["auth"] = json!(auth.auth);
        if let Some(channel_data) = auth.channel_data {
            data["channel_data"] = json!(channel_data);
        }
    }
    Ok(json!({ "event": "pusher:subscribe", "data": data }).to_string())
}

/// The `data` field as text (servers send it as a JSON string, some as an object).
fn data_text(frame: &Value) -> String {
    match &frame["data"] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The printed line for an event: data decoded as JSON when it is JSON.
fn event_line(plan: &Plan, channel: &str, event: &str, frame: &Value) -> CliResult<String> {
    let mut data = data_text(frame);
    if ChannelKind::of(channel) == ChannelKind::PrivateEncrypted
        && !event.starts_with("pusher_internal:")
    {
        if let Some(app) = &plan.app {
            let plain = decrypt_data(&app.channel_key(channel)?, &data)?;
            data = String::from_utf8(plain).map_err(|_| {
                CliError::new(Exit::Failure, "decrypted data is not UTF-8".to_owned())
            })?;
        }
    }
    let value = serde_json::from_str::<Value>(&data).unwrap_or(Value::String(data));
    let mut line = json!({ "channel": channel, "event": event, "data": value });
    if let Some(user_id) = frame.get("user_id") {
        line["user_id"] = user_id.clone();
    }
    Ok(line.to_string())
}

/// A server error frame's message and code, from `data` as an object or a JSON string.
fn server_message(frame: &Value) -> String {
    let text = data_text(frame);
    let data: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let message = ["message", "error"]
        .iter()
        .find_map(|k| data[*k].as_str())
        .map(str::to_owned);
    match (message, data.get("code").or_else(|| data.get("status"))) {
        (Some(m), Some(code)) => format!("{m} (code {code})"),
        (Some(m), None) => m,
        (None, _) => text,
    }
}

/// Prints one line; false when stdout is gone (`pushcast tail x | head -1`): time to stop.
fn emit(line: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

fn refused(message: String) -> CliError {
    CliError::new(Exit::Refused, message)
}

async fn tail(plan: &Plan) -> CliResult {
    let url = format!(
        "{}/app/{}?protocol=7&client=pushcast-cli&version={}&flash=false",
        plan.ws_url,
        plan.key,
        env!("CARGO_PKG_VERSION")
    );
    let setup = plan.idle.unwrap_or(DEFAULT_SETUP_TIMEOUT);
    let (ws, _) = tokio::time::timeout(setup, tokio_tungstenite::connect_async(&url))
        .await
        .map_err(|_| {
            CliError::new(
                Exit::Timeout,
                format!("cannot connect to {url} within {setup:?}"),
            )
        })?
        .map_err(|e| CliError::new(Exit::Delivery, format!("cannot connect to {url}: {e}")))?;
    let (mut sink, mut stream) = ws.split();
    let mut pending: BTreeSet<String> = plan.channels.iter().cloned().collect();
    let mut subscribed = false;
    let mut socket_id = String::new();
    let mut received = 0u64;
    let send_error = |e: tokio_tungstenite::tungstenite::Error| {
        CliError::new(Exit::Delivery, format!("WebSocket send failed: {e}"))
    };

    loop {
        let wait = if subscribed { plan.idle } else { Some(setup) };
        let next = match wait {
            Some(limit) => match tokio::time::timeout(limit, stream.next()).await {
                Ok(next) => next,
                Err(_) if subscribed => {
                    return Err(CliError::new(
                        Exit::Timeout,
                        format!("no event within {limit:?} ({received} received)"),
                    ))
                }
                Err(_) => {
                    return Err(CliError::new(
                        Exit::Timeout,
                        format!(
                            "subscription to {} not confirmed within {limit:?}",
                            pending.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ))
                }
            },
            None => stream.next().await,
        };
        let text = match next {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                let why = frame
                    .map(|f| format!("code {}: {}", u16::from(f.code), f.reason))
                    .unwrap_or_else(|| "no reason given".into());
                return Err(CliError::new(
                    Exit::Delivery,
                    format!("the server closed the connection ({why})"),
                ));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                return Err(CliError::new(
                    Exit::Delivery,
                    format!("WebSocket connection failed: {e}"),
                ))
            }
            None => {
                return Err(CliError::new(
                    Exit::Delivery,
                    "the server closed the connection".to_owned(),
                ))
            }
        };
        let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let event = frame["event"].as_str().unwrap_or_default();
        let channel = frame["channel"].as_str().unwrap_or_default().to_owned();
        if plan.raw && !emit(&text) {
            return Ok(());
        }
        match event {
            "pusher:connection_established" => {
                let data: Value = serde_json::from_str(&data_text(&frame)).unwrap_or(Value::Null);
                data["socket_id"]
                    .as_str()
                    .unwrap_or_default()
                    .clone_into(&mut socket_id);
                for channel in &plan.channels {
                    let message = subscribe_frame(plan, &socket_id, channel)?;
                    sink.send(Message::Text(message))
                        .await
                        .map_err(send_error)?;
                }
            }
            "pusher:ping" => {
                let pong = json!({ "event": "pusher:pong", "data": {} }).to_string();
                sink.send(Message::Text(pong)).await.map_err(send_error)?;
            }
            "pusher_internal:subscription_succeeded" => {
                pending.remove(&channel);
                if !subscribed && pending.is_empty() {
                    subscribed = true;
                    eprintln!(
                        "pushcast tail: subscribed to {} (socket {socket_id})",
                        plan.channels.join(", ")
                    );
                }
            }
            "pusher:subscription_error" => {
                return Err(refused(format!(
                    "the server refused the subscription to {channel:?}: {}; check the app secret, the user id and the channel name",
                    server_message(&frame)
                )));
            }
            "pusher:error" if socket_id.is_empty() => {
                return Err(refused(format!(
                    "the server refused the connection: {}; check the app key",
                    server_message(&frame)
                )));
            }
            "pusher:error" if !subscribed => {
                // sockudo answers a bad subscription with pusher:error (code 4009), no channel.
                let names: Vec<String> = pending.iter().map(|c| format!("{c:?}")).collect();
                return Err(refused(format!(
                    "the server refused the subscription to {}: {}; check the app secret, the user id and the channel name",
                    names.join(", "),
                    server_message(&frame)
                )));
            }
            "pusher:error" => {
                return Err(refused(format!(
                    "the server reported an error: {}",
                    server_message(&frame)
                )));
            }
            e if e.starts_with("pusher:") || e.is_empty() => {}
            _ => {
                if !plan.raw && !emit(&event_line(plan, &channel, event, &frame)?) {
                    return Ok(());
                }
                received += 1;
                if plan.count.is_some_and(|n| received >= n) {
                    let _ = sink.close().await;
                    return Ok(());
                }
            }
        }
    }
}
