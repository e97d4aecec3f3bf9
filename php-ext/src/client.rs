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
use pushcast_core::{App, Event, Freshness};

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

/// PHP's `json_encode($value)`, or an error if it fails (as pusher-http-php throws).
fn json_encode(value: &Zval) -> PhpResult<String> {
    let encode = Function::try_from_function("json_encode")
        .ok_or_else(|| invalid("json_encode is not available (ext-json)"))?;
    let encoded = encode.try_call(vec![value])?;
    encoded
        .str()
        .map(str::to_owned)
        .ok_or_else(|| invalid("json_encode failed on the event data"))
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
            let auth = self
                .app
                .authorize_channel(&socket_id, &channel, custom_data.as_deref())
                .map_err(to_php)?;
            Ok(auth.to_json())
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
            let user_id_text = user_id
                .str()
                .map(str::to_owned)
                .or_else(|| user_id.long().map(|n| n.to_string()))
                .ok_or_else(|| invalid("user id must be a string or an integer"))?;
            data.insert("user_id", user_id_text.as_str())?;
            if let Some(info) = user_info.filter(|i| !i.is_null()) {
                let empty = info.array().is_some_and(|a| a.is_empty());
                if !empty {
                    data.insert("user_info", info.shallow_clone())?;
                }
            }
            let mut zval = Zval::new();
            zval.set_hashtable(data);
            let channel_data = json_encode(&zval)?;
            let auth = self
                .app
                .authorize_channel(&socket_id, &channel, Some(&channel_data))
                .map_err(to_php)?;
            Ok(auth.to_json())
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
            Ok(auth.to_json())
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
            let mut events = ZendHashTable::new();
            for e in hook.events {
                let mut t = ZendHashTable::new();
                t.insert("name", e.name.as_str())?;
                for (k, v) in [
                    ("channel", e.channel),
                    ("event", e.event),
                    ("data", e.data),
                    ("socket_id", e.socket_id),
                    ("user_id", e.user_id),
                ] {
                    if let Some(v) = v {
                        t.insert(k, v.as_str())?;
                    }
                }
                events.push(t)?;
            }
            let mut t = ZendHashTable::new();
            t.insert("time_ms", i64::try_from(hook.time_ms).unwrap_or(i64::MAX))?;
            t.insert("events", events)?;
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
