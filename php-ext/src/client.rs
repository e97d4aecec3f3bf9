//! `Pushcast\Client`: pusher-http-php's method names and argument order over the pushcast
//! background publisher. Data is encoded by PHP's own `json_encode`, so the bytes are the ones
//! Laravel users send today.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ext_php_rs::boxed::ZBox;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ext_php_rs::zend::Function;
use pushcast_client::{Accepted, Client as Engine, StatsSnapshot};
use pushcast_core::response::ChannelInfo;
use pushcast_core::validate::ChannelKind;
use pushcast_core::{App, ChannelAuth, Event, Freshness};

use crate::errors::{guard, invalid, to_php};
use crate::options::parse;
use crate::registry::client_for;
use crate::settings::Defaults;

/// Publishes events to a Pusher-protocol server without blocking on the network.
#[php_class]
#[php(name = "Pushcast\\Client")]
pub struct PhpClient {
    engine: Arc<Engine>,
    app: App,
}

/// `JSON_UNESCAPED_SLASHES`.
const JSON_UNESCAPED_SLASHES: i64 = 64;

/// PHP's `json_encode($value)`, or an error if it fails (as pusher-http-php throws).
fn json_encode(value: &Zval) -> PhpResult<String> {
    json_encode_flags(value, 0)
}

/// PHP's `json_encode($value, $flags)`: the answers carry PHP's own escaping (`\/`, `\u00e9`).
fn json_encode_flags(value: &Zval, flags: i64) -> PhpResult<String> {
    let encode = Function::try_from_function("json_encode")
        .ok_or_else(|| invalid("json_encode is not available (ext-json)"))?;
    let encoded = encode.try_call(vec![value, &flags])?;
    if let Some(text) = encoded.str() {
        return Ok(text.to_owned());
    }
    let reason = Function::try_from_function("json_last_error_msg")
        .and_then(|f| f.try_call(vec![]).ok())
        .and_then(|m| m.str().map(str::to_owned))
        .unwrap_or_default();
    Err(invalid(format!("json_encode failed: {reason}")))
}

/// An answer object `{k: v, ...}` of strings, encoded as pusher-http-php encodes it.
fn answer_json(fields: &[(&str, Option<&str>)], flags: i64) -> PhpResult<String> {
    let mut table = ZendHashTable::new();
    for (key, value) in fields {
        if let Some(value) = value {
            table.insert(*key, *value)?;
        }
    }
    let mut zval = Zval::new();
    zval.set_hashtable(table);
    json_encode_flags(&zval, flags)
}

/// A channel authorization as pusher-http-php's `authorizeChannel` answers it:
/// `json_encode($signature, JSON_UNESCAPED_SLASHES)` (non-ASCII as `\uXXXX`).
fn channel_auth_json(auth: &ChannelAuth) -> PhpResult<String> {
    answer_json(
        &[
            ("auth", Some(auth.auth.as_str())),
            ("channel_data", auth.channel_data.as_deref()),
            ("shared_secret", auth.shared_secret.as_deref()),
        ],
        JSON_UNESCAPED_SLASHES,
    )
}

/// PHP's `json_decode($text, true)`, or `None` if it is not JSON.
fn json_decode_assoc(text: &str) -> PhpResult<Option<Zval>> {
    let decode = Function::try_from_function("json_decode")
        .ok_or_else(|| invalid("json_decode is not available (ext-json)"))?;
    let decoded = decode.try_call(vec![&text, &true])?;
    Ok((!decoded.is_null()).then_some(decoded))
}

/// A presence user id as pusher-http-php's `string $user_id` parameter takes it: strings,
/// integers, floats and booleans as PHP converts them, objects through `__toString`.
fn user_id_text(user_id: &Zval) -> PhpResult<String> {
    if let Some(text) = user_id.str() {
        return Ok(text.to_owned());
    }
    let refused = || invalid("user id must be a string, a number or an object with __toString");
    if let Some(object) = user_id.object() {
        let text = object
            .try_call_method("__toString", vec![])
            .map_err(|_| refused())?;
        return text.str().map(str::to_owned).ok_or_else(refused);
    }
    if user_id.is_long() || user_id.is_double() || user_id.is_bool() {
        let strval = Function::try_from_function("strval").ok_or_else(refused)?;
        let text = strval.try_call(vec![user_id])?;
        return text.str().map(str::to_owned).ok_or_else(refused);
    }
    Err(refused())
}

fn data_string(data: &Zval, already_encoded: bool) -> PhpResult<String> {
    if already_encoded {
        return data
            .str()
            .map(str::to_owned)
            .ok_or_else(|| invalid("already-encoded data must be a string"));
    }
    json_encode(data)
}

fn channel_list(channels: &Zval) -> PhpResult<Vec<String>> {
    if let Some(one) = channels.str() {
        return Ok(vec![one.to_owned()]);
    }
    let array = channels
        .array()
        .ok_or_else(|| invalid("channels must be a string or an array of strings"))?;
    array
        .iter()
        .map(|(_, c)| {
            c.str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("every channel must be a string"))
        })
        .collect()
}

/// `$params` of trigger: `socket_id` and `info`; anything else is refused.
fn apply_params(mut event: Event, params: Option<&ZendHashTable>) -> PhpResult<Event> {
    for (key, value) in params.into_iter().flat_map(|p| p.iter()) {
        let key = key.to_string();
        let text = value
            .str()
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("trigger parameter `{key}` must be a string")))?;
        match key.as_str() {
            "socket_id" => event.socket_id = Some(text),
            "info" => event.info = Some(text),
            other => {
                return Err(invalid(format!(
                    "unknown trigger parameter `{other}`; accepted: socket_id, info"
                )))
            }
        }
    }
    Ok(event)
}

fn info_table(channels: &BTreeMap<String, ChannelInfo>) -> PhpResult<ZBox<ZendHashTable>> {
    let mut table = ZendHashTable::new();
    for (name, info) in channels {
        table.insert(name.as_str(), channel_info_table(info)?)?;
    }
    Ok(table)
}

fn channel_info_table(info: &ChannelInfo) -> PhpResult<ZBox<ZendHashTable>> {
    let mut t = ZendHashTable::new();
    if let Some(v) = info.occupied {
        t.insert("occupied", v)?;
    }
    if let Some(v) = info.user_count {
        t.insert("user_count", i64::try_from(v).unwrap_or(i64::MAX))?;
    }
    if let Some(v) = info.subscription_count {
        t.insert("subscription_count", i64::try_from(v).unwrap_or(i64::MAX))?;
    }
    Ok(t)
}

fn stats_table(s: &StatsSnapshot) -> PhpResult<ZBox<ZendHashTable>> {
    let mut t = ZendHashTable::new();
    let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for (name, value) in s.counters() {
        t.insert(name, int(value))?;
    }
    match s.latency_p50_us {
        Some(v) => t.insert("latency_p50_us", int(v))?,
        None => t.insert("latency_p50_us", ())?,
    }
    match s.latency_p99_us {
        Some(v) => t.insert("latency_p99_us", int(v))?,
        None => t.insert("latency_p99_us", ())?,
    }
    match &s.last_error {
        Some(e) => t.insert("last_error", e.as_str())?,
        None => t.insert("last_error", ())?,
    }
    Ok(t)
}

fn millis(ms: Option<i64>, default: u64) -> Duration {
    Duration::from_millis(ms.and_then(|v| u64::try_from(v).ok()).unwrap_or(default))
}

#[php_impl]
impl PhpClient {
    /// `new Pushcast\Client($key, $secret, $appId, $options)`, like `new Pusher\Pusher(...)`.
    /// Unknown options are an error. Clients with the same configuration share one engine.
    pub fn __construct(
        key: String,
        secret: String,
        app_id: String,
        options: Option<&ZendHashTable>,
    ) -> PhpResult<Self> {
        guard(|| {
            let defaults = Defaults::current();
            let parsed = parse(&key, &secret, &app_id, options, &defaults)?;
            let app = parsed.config.app.clone();
            let engine = client_for(parsed.fingerprint, parsed.config).map_err(to_php)?;
            Ok(PhpClient { engine, app })
        })
    }

    /// Queues an event for one or more channels; returns true (queued) or false (dropped by
    /// the drop_newest policy, counted). Never waits on the network.
    pub fn trigger(
        &self,
        channels: &Zval,
        event: String,
        data: &Zval,
        params: Option<&ZendHashTable>,
        already_encoded: Option<bool>,
    ) -> PhpResult<bool> {
        guard(|| {
            let data = data_string(data, already_encoded.unwrap_or(false))?;
            let event = apply_params(Event::new(channel_list(channels)?, event, data), params)?;
            let accepted = self.engine.publish(event).map_err(to_php)?;
            Ok(accepted == Accepted::Queued)
        })
    }

    /// Queues `[['channel' => .., 'name' => .., 'data' => .., 'socket_id' => ..], ...]`; every
    /// event is validated before any is queued.
    pub fn trigger_batch(
        &self,
        batch: &ZendHashTable,
        already_encoded: Option<bool>,
    ) -> PhpResult<bool> {
        guard(|| {
            let mut events = Vec::with_capacity(batch.len());
            for (_, item) in batch.iter() {
                let item = item
                    .array()
                    .ok_or_else(|| invalid("every batch item must be an array"))?;
                let get = |k: &str| item.get(k);
                let channel =
                    get("channel").ok_or_else(|| invalid("a batch item needs `channel`"))?;
                let name = get("name")
                    .and_then(Zval::str)
                    .ok_or_else(|| invalid("a batch item needs a string `name`"))?;
                let data = get("data").ok_or_else(|| invalid("a batch item needs `data`"))?;
                let mut event = Event::new(
                    channel_list(channel)?,
                    name,
                    data_string(data, already_encoded.unwrap_or(false))?,
                );
                event.socket_id = get("socket_id").and_then(Zval::str).map(str::to_owned);
                event.info = get("info").and_then(Zval::str).map(str::to_owned);
                events.push(event);
            }
            let accepted = self.engine.publish_batch(events).map_err(to_php)?;
            Ok(accepted == Accepted::Queued)
        })
    }

    /// Queues an event and waits up to `$timeoutMs` for the server's acknowledgement; returns
    /// per-channel info (when `$params['info']` asked for it). For queue jobs.
    pub fn trigger_confirmed(
        &self,
        channels: &Zval,
        event: String,
        data: &Zval,
        params: Option<&ZendHashTable>,
        timeout_ms: Option<i64>,
        already_encoded: Option<bool>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let data = data_string(data, already_encoded.unwrap_or(false))?;
            let event = apply_params(Event::new(channel_list(channels)?, event, data), params)?;
            let confirmed = self
                .engine
                .publish_confirmed(event, millis(timeout_ms, 5000))
                .map_err(to_php)?;
            info_table(&confirmed.channels)
        })
    }

    /// Queues an event for one user's connections (`#server-to-user-{userId}`).
    pub fn send_to_user(
        &self,
        user_id: String,
        event: String,
        data: &Zval,
        already_encoded: Option<bool>,
    ) -> PhpResult<bool> {
        guard(|| {
            let data = data_string(data, already_encoded.unwrap_or(false))?;
            let accepted = self
                .engine
                .send_to_user(&user_id, &event, data)
                .map_err(to_php)?;
            Ok(accepted == Accepted::Queued)
        })
    }

    /// `GET /channels/{channel}`; `$params['info']` as in pusher-http-php.
    pub fn get_channel_info(
        &self,
        channel: String,
        params: Option<&ZendHashTable>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let info = params
                .and_then(|p| p.get("info"))
                .and_then(Zval::str)
                .map(str::to_owned);
            let answer = self
                .engine
                .channel_info(&channel, info.as_deref())
                .map_err(to_php)?;
            channel_info_table(&answer)
        })
    }

    /// `GET /channels`; `$params['filter_by_prefix']`, `$params['info']`. Returns
    /// `['channels' => [name => info]]`.
    pub fn get_channels(&self, params: Option<&ZendHashTable>) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let get = |k: &str| {
                params
                    .and_then(|p| p.get(k))
                    .and_then(Zval::str)
                    .map(str::to_owned)
            };
            let answer = self
                .engine
                .channels(get("filter_by_prefix").as_deref(), get("info").as_deref())
                .map_err(to_php)?;
            let mut t = ZendHashTable::new();
            t.insert("channels", info_table(&answer.channels)?)?;
            Ok(t)
        })
    }

    /// `GET /channels/{channel}/users`: `['users' => [['id' => ..], ...]]`.
    pub fn get_presence_users(&self, channel: String) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let ids = self.engine.presence_users(&channel).map_err(to_php)?;
            let mut users = ZendHashTable::new();
            for id in ids {
                let mut user = ZendHashTable::new();
                user.insert("id", id.as_str())?;
                users.push(user)?;
            }
            let mut t = ZendHashTable::new();
            t.insert("users", users)?;
            Ok(t)
        })
    }

    /// `POST /users/{userId}/terminate_connections`.
    pub fn terminate_user_connections(&self, user_id: String) -> PhpResult<()> {
        guard(|| {
            self.engine
                .terminate_user_connections(&user_id)
                .map_err(to_php)
        })
    }

    /// The `/broadcasting/auth` answer (JSON text) for a private or encrypted channel, or a
    /// presence channel with already-encoded `$customData`.
    pub fn authorize_channel(
        &self,
        channel: String,
        socket_id: String,
        custom_data: Option<String>,
    ) -> PhpResult<String> {
        guard(|| {
            // pusher-http-php tests `if ($custom_data)`: "" and "0" mean no custom data.
            let custom_data = custom_data.filter(|d| !d.is_empty() && d != "0");
            let auth = self
                .app
                .authorize_channel(&socket_id, &channel, custom_data.as_deref())
                .map_err(to_php)?;
            channel_auth_json(&auth)
        })
    }

    /// Presence auth: `channel_data` is PHP's `json_encode(['user_id' => .., 'user_info' =>
    /// ..])`, byte for byte what pusher-http-php signs.
    pub fn authorize_presence_channel(
        &self,
        channel: String,
        socket_id: String,
        user_id: &Zval,
        user_info: Option<&Zval>,
    ) -> PhpResult<String> {
        guard(|| {
            let mut data = ZendHashTable::new();
            data.insert("user_id", user_id_text(user_id)?.as_str())?;
            // pusher-http-php: `if ($user_info)`, PHP's truthiness (false, 0, "", "0", [] and
            // null are left out).
            if let Some(info) = user_info.filter(|i| i.coerce_to_bool()) {
                data.insert("user_info", info.shallow_clone())?;
            }
            let mut zval = Zval::new();
            zval.set_hashtable(data);
            let channel_data = json_encode(&zval)?;
            let auth = self
                .app
                .authorize_channel(&socket_id, &channel, Some(&channel_data))
                .map_err(to_php)?;
            channel_auth_json(&auth)
        })
    }

    /// User sign-in: signs PHP's `json_encode($userData)` (which must hold an `id`).
    pub fn authenticate_user(&self, socket_id: String, user_data: &Zval) -> PhpResult<String> {
        guard(|| {
            let encoded = json_encode(user_data)?;
            let auth = self
                .app
                .authenticate_user(&socket_id, &encoded)
                .map_err(to_php)?;
            // pusher-http-php: json_encode(['auth' => .., 'user_data' => ..]), default flags.
            answer_json(
                &[
                    ("auth", Some(auth.auth.as_str())),
                    ("user_data", Some(auth.user_data.as_str())),
                ],
                0,
            )
        })
    }

    /// Verifies a webhook (headers as `['X-Pusher-Key' => .., 'X-Pusher-Signature' => ..]`,
    /// any case) and returns `['time_ms' => .., 'events' => [...]]` (decrypted where needed).
    /// `$maxAgeMs` > 0 also refuses stale webhooks.
    pub fn webhook(
        &self,
        headers: &ZendHashTable,
        body: String,
        max_age_ms: Option<i64>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let pairs = header_pairs(headers)?;
            let freshness = max_age_ms.filter(|m| *m > 0).map(|m| Freshness {
                now_ms: pushcast_core::unix_now() * 1000,
                max_age_ms: u64::try_from(m).unwrap_or(0),
            });
            let hook = self
                .app
                .verify_webhook(&pairs, body.as_bytes(), freshness)
                .map_err(to_php)?;
            // Every field as PHP's json_decode reads it (pusher-http-php returns the decoded
            // events), in the body's order; decrypted data replaces the sealed one.
            let mut decoded =
                json_decode_assoc(&body)?.ok_or_else(|| invalid("the webhook body is not JSON"))?;
            let events = decoded
                .array_mut()
                .and_then(|t| t.get_mut("events"))
                .and_then(Zval::array_mut)
                .ok_or_else(|| invalid("the webhook body has no events list"))?;
            if events.len() != hook.events.len() {
                return Err(invalid("the webhook events could not be read"));
            }
            let mut out = ZendHashTable::new();
            for ((_, raw), e) in events.iter().zip(hook.events) {
                let mut event = raw.shallow_clone();
                let table = event
                    .array_mut()
                    .ok_or_else(|| invalid("every webhook event must be an object"))?;
                if let Some(data) = &e.data {
                    if ChannelKind::of(e.channel.as_deref().unwrap_or_default())
                        == ChannelKind::PrivateEncrypted
                    {
                        table.insert("data", data.as_str())?;
                    }
                }
                out.push(event)?;
            }
            let mut t = ZendHashTable::new();
            t.insert("time_ms", i64::try_from(hook.time_ms).unwrap_or(i64::MAX))?;
            t.insert("events", out)?;
            Ok(t)
        })
    }

    /// Verifies a webhook's signature only; throws if it does not match.
    pub fn verify_signature(&self, headers: &ZendHashTable, body: String) -> PhpResult<()> {
        guard(|| {
            let pairs = header_pairs(headers)?;
            self.app
                .verify_webhook_signature(&pairs, body.as_bytes())
                .map_err(to_php)
        })
    }

    /// Waits up to `$timeoutMs` for pending events; returns `['pending' => n, 'stats' => [...]]`.
    pub fn flush(&self, timeout_ms: Option<i64>) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let report = self.engine.flush(millis(timeout_ms, 5000));
            let mut t = ZendHashTable::new();
            t.insert("pending", i64::try_from(report.pending).unwrap_or(i64::MAX))?;
            t.insert("stats", stats_table(&report.stats)?)?;
            Ok(t)
        })
    }

    /// Live statistics of this process's engine for this configuration.
    pub fn stats(&self) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| stats_table(&self.engine.stats()))
    }

    /// The live statistics in the Prometheus text format (for a `/metrics` route).
    pub fn metrics(&self) -> PhpResult<String> {
        guard(|| Ok(self.engine.metrics()))
    }

    /// Takes the recent failures: `[['event', 'channel', 'error', 'at'], ...]`.
    pub fn failures(&self) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let mut list = ZendHashTable::new();
            for f in self.engine.drain_failures() {
                let mut t = ZendHashTable::new();
                t.insert("event", f.event.as_str())?;
                t.insert("channel", f.channel.as_str())?;
                t.insert("error", f.error.to_string().as_str())?;
                let at =
                    f.at.duration_since(std::time::UNIX_EPOCH)
                        .map_or(0.0, |d| d.as_secs_f64());
                t.insert("at", at)?;
                list.push(t)?;
            }
            Ok(list)
        })
    }
}

fn header_pairs(headers: &ZendHashTable) -> PhpResult<Vec<(String, String)>> {
    headers
        .iter()
        .map(|(k, v)| {
            // Laravel's $request->headers->all() gives lists of values; take the first.
            let value = v
                .str()
                .map(str::to_owned)
                .or_else(|| {
                    v.array()
                        .and_then(|a| a.get_index(0))
                        .and_then(Zval::str)
                        .map(str::to_owned)
                })
                .ok_or_else(|| invalid("header values must be strings"))?;
            Ok((k.to_string(), value))
        })
        .collect()
}
