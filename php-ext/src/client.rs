//! `Pushcast\Client`: pusher-http-php's method names and argument order over the pushcast
//! background publisher. Data is encoded by PHP's own `json_encode`, so the bytes are the ones
//! Laravel users send today.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::flags::DataType;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ext_php_rs::zend::Function;
use pushcast_client::{Accepted, Client as Engine, Confirmed, StatsSnapshot};
use pushcast_core::validate::ChannelKind;
use pushcast_core::{unix_now, App, ChannelAuth, Event, Freshness, Method};

use crate::errors::{exception_object, guard, internal, invalid, to_php};
use crate::options::{parse, Settings};
use crate::promise::{Answer, PhpPromise};
use crate::registry::client_for;
use crate::settings::Defaults;
use crate::webhook::PhpWebhook;

/// Publishes events to a Pusher-protocol server without blocking on the network.
#[php_class]
#[php(name = "Pushcast\\Client")]
pub struct PhpClient {
    engine: Arc<Engine>,
    app: App,
    settings: Settings,
    /// (key, secret, app id) as given, for `getSettings()`.
    credentials: (String, String, String),
    /// The PSR-3 logger of `setLogger`.
    logger: Option<Zval>,
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
    // A channel listed twice is sent once: pusher-http-php passes the list on as given and
    // the server answers each channel once, so a Laravel event whose broadcastOn() repeats a
    // channel must not start failing (the core, and so the C ABI, refuse repeats instead).
    let mut list: Vec<String> = Vec::with_capacity(array.len());
    for (_, c) in array.iter() {
        let channel = c
            .str()
            .ok_or_else(|| invalid("every channel must be a string"))?;
        if !list.iter().any(|seen| seen == channel) {
            list.push(channel.to_owned());
        }
    }
    Ok(list)
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

/// A decoded answer that is an object: pusher-http-php's `: object` return type, which the
/// stubs show.
pub struct Object(Zval);

impl Object {
    fn new(value: Zval) -> PhpResult<Self> {
        if value.is_object() {
            Ok(Object(value))
        } else {
            Err(internal("Data decoding error."))
        }
    }
}

impl IntoZval for Object {
    const TYPE: DataType = DataType::ANY_OBJECT;
    const NULLABLE: bool = false;

    fn set_zval(self, zv: &mut Zval, _persistent: bool) -> ext_php_rs::error::Result<()> {
        *zv = self.0;
        Ok(())
    }
}

/// PHP's `json_decode($text, $associative)`, as pusher-http-php decodes every answer; text
/// that is not JSON is pusher-http-php's `Data decoding error.`.
fn json_decode(text: &[u8], associative: bool) -> PhpResult<Zval> {
    let text = std::str::from_utf8(text).map_err(|_| internal("Data decoding error."))?;
    let decode = Function::try_from_function("json_decode")
        .ok_or_else(|| invalid("json_decode is not available (ext-json)"))?;
    let decoded = decode.try_call(vec![&text, &associative])?;
    if decoded.is_null() && text.trim() != "null" {
        return Err(internal("Data decoding error."));
    }
    Ok(decoded)
}

/// pusher-http-php's `process_trigger_result` and `getChannels`: `$result->channels =
/// get_object_vars($result->channels)` (an array keyed by channel name, of objects).
fn channels_as_array(mut answer: Zval) -> PhpResult<Zval> {
    let vars = match answer
        .object()
        .and_then(|o| o.get_property::<&Zval>("channels").ok())
    {
        Some(channels) if channels.is_object() => Function::try_from_function("get_object_vars")
            .ok_or_else(|| internal("get_object_vars is not available"))?
            .try_call(vec![channels])?,
        _ => return Ok(answer),
    };
    if let Some(object) = answer.object_mut() {
        object.set_property("channels", vars)?;
    }
    Ok(answer)
}

/// One channel's attributes as JSON text, in the order the caller's `info` names them (the
/// order a Pusher server answers them in), then any others the server sent.
fn info_object_json(info: &pushcast_core::response::ChannelInfo, asked: &str) -> String {
    let value = serde_json::to_value(info).unwrap_or(serde_json::Value::Null);
    let Some(fields) = value.as_object() else {
        return "{}".to_owned();
    };
    let mut names: Vec<&str> = asked
        .split(',')
        .filter(|n| fields.contains_key(*n))
        .collect();
    names.dedup();
    for name in fields.keys() {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let members: Vec<String> = names
        .iter()
        .filter_map(|n| {
            Some(format!(
                "{}:{}",
                serde_json::Value::from(*n),
                fields.get(*n)?
            ))
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

/// The server's answer to a trigger, rebuilt from its acknowledgement: `{}` (an empty
/// `stdClass`) without `info`, else `{"channels": {name: {..}}}` with the channels in the
/// caller's order and each one's attributes in the order `info` names them, as a Pusher
/// server writes its answer to `POST /events`.
fn trigger_answer(confirmed: &Confirmed, event: &AnswerOrder) -> PhpResult<Zval> {
    let Some(asked) = &event.info else {
        return json_decode(b"{}", false);
    };
    let members: Vec<String> = event
        .channels
        .iter()
        .filter_map(|name| {
            let info = confirmed.channels.get(name)?;
            Some(format!(
                "{}:{}",
                serde_json::Value::from(name.as_str()),
                info_object_json(info, asked)
            ))
        })
        .collect();
    let answer = format!("{{\"channels\":{{{}}}}}", members.join(","));
    channels_as_array(json_decode(answer.as_bytes(), false)?)
}

/// What shapes an answer: the event's channels in the caller's order and its `info`.
#[derive(Clone, Default)]
struct AnswerOrder {
    channels: Vec<String>,
    info: Option<String>,
}

impl AnswerOrder {
    fn of(event: &Event) -> Self {
        AnswerOrder {
            channels: event.channels.clone(),
            info: event.info.clone(),
        }
    }
}

/// The server's answer to a batch with `info`: `{"batch": [{..}, ...]}`, one object per
/// event (its channel's attributes in the order its `info` names them, `{}` for an event
/// that did not ask).
fn batch_answer(confirmed: &[Confirmed], events: &[AnswerOrder]) -> PhpResult<Zval> {
    let items: Vec<String> = confirmed
        .iter()
        .zip(events)
        .map(|(c, e)| match (&e.info, c.channels.values().next()) {
            (Some(asked), Some(info)) => info_object_json(info, asked),
            _ => "{}".to_owned(),
        })
        .collect();
    json_decode(
        format!("{{\"batch\":[{}]}}", items.join(",")).as_bytes(),
        false,
    )
}

/// What a publish the drop_newest policy dropped returns: `{"dropped": true}` (counted in
/// the stats and kept in `failures()`).
fn dropped_answer() -> PhpResult<Zval> {
    json_decode(br#"{"dropped":true}"#, false)
}

/// `$params` values as query text (strings, numbers and booleans as PHP's `strval`).
fn query_params(params: Option<&ZendHashTable>) -> PhpResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (key, value) in params.into_iter().flat_map(|p| p.iter()) {
        let text = if value.is_array() || value.is_object() && value.str().is_none() {
            return Err(invalid(format!("parameter `{key}` must be a scalar")));
        } else {
            user_id_text(value)
                .map_err(|_| invalid(format!("parameter `{key}` must be a scalar")))?
        };
        out.insert(key.to_string(), text);
    }
    Ok(out)
}

fn stats_table(s: &StatsSnapshot) -> PhpResult<ZBox<ZendHashTable>> {
    let mut t = ZendHashTable::new();
    let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for (name, value) in s.counters() {
        t.insert(name, int(value))?;
    }
    insert_micros(&mut t, "latency_p50_us", s.latency_p50_us)?;
    insert_micros(&mut t, "latency_p99_us", s.latency_p99_us)?;
    match &s.last_error {
        Some(e) => t.insert("last_error", e.as_str())?,
        None => t.insert("last_error", ())?,
    }
    let mut circuits = ZendHashTable::new();
    for circuit in &s.circuits {
        let mut c = ZendHashTable::new();
        c.insert("endpoint", circuit.endpoint.as_str())?;
        c.insert("state", circuit.state.as_str())?;
        circuits.push(c)?;
    }
    t.insert("circuits", circuits)?;
    Ok(t)
}

/// A percentile in µs as a PHP int, or null when nothing was measured yet.
fn insert_micros(t: &mut ZendHashTable, key: &str, micros: Option<u64>) -> PhpResult<()> {
    match micros {
        Some(v) => t.insert(key, i64::try_from(v).unwrap_or(i64::MAX))?,
        None => t.insert(key, ())?,
    }
    Ok(())
}

fn millis(ms: Option<i64>, default: u64) -> Duration {
    Duration::from_millis(ms.and_then(|v| u64::try_from(v).ok()).unwrap_or(default))
}

fn confirmed_info_table(confirmed: &Confirmed) -> PhpResult<ZBox<ZendHashTable>> {
    let mut table = ZendHashTable::new();
    for (name, info) in &confirmed.channels {
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
        table.insert(name.as_str(), t)?;
    }
    Ok(table)
}

/// One `triggerBatch` item: `['channel' => .., 'name' => .., 'data' => .., 'socket_id' => ..,
/// 'info' => ..]`.
fn batch_event(item: &Zval, already_encoded: bool) -> PhpResult<Event> {
    let item = item
        .array()
        .ok_or_else(|| invalid("every batch item must be an array"))?;
    let get = |k: &str| item.get(k);
    let channel = get("channel").ok_or_else(|| invalid("a batch item needs `channel`"))?;
    let name = get("name")
        .and_then(Zval::str)
        .ok_or_else(|| invalid("a batch item needs a string `name`"))?;
    let data = get("data").ok_or_else(|| invalid("a batch item needs `data`"))?;
    let mut event = Event::new(
        channel_list(channel)?,
        name,
        data_string(data, already_encoded)?,
    );
    event.socket_id = get("socket_id").and_then(Zval::str).map(str::to_owned);
    event.info = get("info").and_then(Zval::str).map(str::to_owned);
    Ok(event)
}

impl PhpClient {
    /// How long a wait for delivery may take: the delivery deadline plus one request.
    fn delivery_wait(&self) -> Duration {
        let config = self.engine.config();
        config
            .delivery_timeout
            .saturating_add(config.request_timeout)
    }

    /// Calls the PSR-3 logger set by `setLogger`, if any: `$logger->log($level, $message, [])`.
    /// A logger that throws is left out of the way (its exception is discarded).
    fn log(&self, level: &str, message: &str) {
        self.log_with(level, message, &[]);
    }

    /// Hands the engine's queued messages (see `notices`) to the logger, or else to PHP's
    /// error log.
    fn forward_notices(&self) {
        for (level, message) in crate::notices::drain() {
            if self.logger.is_some() {
                self.log(level.as_str(), &message);
            } else {
                crate::log_error(&message);
            }
        }
    }

    /// `log` with a PSR-3 context (`{name}` placeholders in the message).
    fn log_with(&self, level: &str, message: &str, context: &[(&str, &str)]) {
        if let Some(object) = self.logger.as_ref().and_then(Zval::object) {
            let mut table = ZendHashTable::new();
            for (key, value) in context {
                if table.insert(*key, *value).is_err() {
                    return;
                }
            }
            let context = table;
            if object
                .try_call_method("log", vec![&level, &message, &context])
                .is_err()
            {
                let _ = ext_php_rs::zend::ExecutorGlobals::take_exception();
            }
        }
    }

    /// Queues one event: `{}` when queued, `{"dropped": true}` when the drop_newest policy
    /// dropped it; with `info` asked for, waits for delivery and returns the server's answer.
    fn trigger_event(&self, event: Event) -> PhpResult<Zval> {
        self.log_queued(&event);
        let answer = self.trigger_event_now(event);
        self.forward_notices();
        answer
    }

    fn trigger_event_now(&self, event: Event) -> PhpResult<Zval> {
        if event.info.is_some() {
            let order = AnswerOrder::of(&event);
            let confirmed = self
                .engine
                .publish_confirmed(event, self.delivery_wait())
                .map_err(to_php)?;
            return trigger_answer(&confirmed, &order);
        }
        let name = event.name.clone();
        match self.engine.publish(event).map_err(to_php)? {
            Accepted::Queued => json_decode(b"{}", false),
            Accepted::Dropped => {
                self.log(
                    "warning",
                    &format!("pushcast: event {name} dropped: the queue is full (drop_newest)"),
                );
                dropped_answer()
            }
        }
    }

    /// pusher-http-php logs each trigger at debug level (`trigger POST: {post_value}`);
    /// pushcast logs each event it queues.
    fn log_queued(&self, event: &Event) {
        if self.logger.is_some() {
            self.log_with(
                "debug",
                "pushcast: queue {event} for {channels}",
                &[
                    ("event", event.name.as_str()),
                    ("channels", event.channels.join(",").as_str()),
                ],
            );
        }
    }

    /// Tracks the events; a refusal other than bad input becomes a rejected promise.
    fn track(&self, events: Vec<Event>, answer: Answer) -> PhpResult<PhpPromise> {
        let mut tracked = Vec::with_capacity(events.len());
        for event in events {
            self.log_queued(&event);
            match self.engine.publish_tracked(event) {
                Ok(t) => tracked.push(t),
                Err(e)
                    if matches!(
                        e.kind(),
                        pushcast_core::ErrorKind::Validation | pushcast_core::ErrorKind::Config
                    ) =>
                {
                    return Err(to_php(e))
                }
                Err(e) => {
                    self.log("error", &format!("pushcast: publish refused: {e}"));
                    return Ok(PhpPromise::rejected(exception_object(&e)?));
                }
            }
        }
        self.forward_notices();
        Ok(PhpPromise::waiting(tracked, self.delivery_wait(), answer))
    }

    fn trigger_params(
        channels: &Zval,
        event: String,
        data: &Zval,
        params: Option<&ZendHashTable>,
        already_encoded: Option<bool>,
    ) -> PhpResult<Event> {
        let data = data_string(data, already_encoded.unwrap_or(false))?;
        apply_params(Event::new(channel_list(channels)?, event, data), params)
    }

    fn batch_events(batch: &ZendHashTable, already_encoded: Option<bool>) -> PhpResult<Vec<Event>> {
        batch
            .iter()
            .map(|(_, item)| batch_event(item, already_encoded.unwrap_or(false)))
            .collect()
    }

    /// pusher-http-php's `post`/`postAsync` request: `$body` (a string) signed with `$params`.
    fn post_request(
        &self,
        path: &str,
        body: &Zval,
        params: Option<&ZendHashTable>,
    ) -> PhpResult<pushcast_core::SignedRequest> {
        let body = user_id_text(body).map_err(|_| invalid("the body must be a string"))?;
        self.app
            .api_request(
                Method::Post,
                path,
                &query_params(params)?,
                Some(body.into_bytes()),
                unix_now(),
            )
            .map_err(to_php)
    }

    fn api(&self, request: pushcast_core::SignedRequest) -> PhpResult<Vec<u8>> {
        let answer = self.engine.request_raw(request);
        self.forward_notices();
        answer.map_err(to_php)
    }

    fn terminate(&self, user_id: &str) -> PhpResult<Vec<u8>> {
        let request = self
            .app
            .terminate_user_connections_request(user_id, unix_now())
            .map_err(to_php)?;
        self.api(request)
    }

    fn webhook_events(
        &self,
        headers: &ZendHashTable,
        body: &str,
        max_age_ms: Option<i64>,
    ) -> PhpResult<PhpWebhook> {
        let pairs = header_pairs(headers)?;
        let freshness = max_age_ms.filter(|m| *m > 0).map(|m| Freshness {
            now_ms: pushcast_core::unix_now() * 1000,
            max_age_ms: u64::try_from(m).unwrap_or(0),
        });
        let hook = match self.app.verify_webhook(&pairs, body.as_bytes(), freshness) {
            Ok(hook) => hook,
            Err(e) => {
                self.log("warning", &format!("pushcast: webhook rejected: {e}"));
                return Err(to_php(e));
            }
        };
        // Every event as PHP's json_decode reads it (pusher-http-php returns the decoded
        // objects), in the body's order; decrypted data replaces the sealed one.
        let decoded = json_decode(body.as_bytes(), false)?;
        let events = decoded
            .object()
            .and_then(|o| o.get_property::<&Zval>("events").ok())
            .and_then(Zval::array)
            .ok_or_else(|| invalid("the webhook body has no events list"))?;
        if events.len() != hook.events.len() {
            return Err(invalid("the webhook events could not be read"));
        }
        let mut out = ZendHashTable::new();
        for ((_, raw), e) in events.iter().zip(hook.events) {
            let mut event = raw.shallow_clone();
            let object = event
                .object_mut()
                .ok_or_else(|| invalid("every webhook event must be an object"))?;
            if let Some(data) = &e.data {
                if ChannelKind::of(e.channel.as_deref().unwrap_or_default())
                    == ChannelKind::PrivateEncrypted
                {
                    object.set_property("data", data.as_str())?;
                }
            }
            out.push(event)?;
        }
        Ok(PhpWebhook::new(
            i64::try_from(hook.time_ms).unwrap_or(i64::MAX),
            out,
        ))
    }
}

#[php_impl]
impl PhpClient {
    /// `new Pushcast\Client($auth_key, $secret, $app_id, $options)`, like `new
    /// Pusher\Pusher(...)`. Unknown options are an error. Clients with the same configuration
    /// share one engine. pusher-http-php's fifth argument, a Guzzle client, may be passed as
    /// null (Laravel does); pushcast makes its own requests, so a client is refused.
    pub fn __construct(
        auth_key: String,
        secret: String,
        app_id: String,
        options: Option<&ZendHashTable>,
        client: Option<&Zval>,
    ) -> PhpResult<Self> {
        guard(|| {
            if client.is_some_and(|c| !c.is_null()) {
                return Err(invalid(
                    "pushcast makes its own HTTP requests and takes no Guzzle client: pass timeouts and TLS settings as options (timeout, connect_timeout_ms, ca_file, verify)",
                ));
            }
            let defaults = Defaults::current();
            let parsed = parse(&auth_key, &secret, &app_id, options, &defaults)?;
            let app = parsed.config.app.clone();
            let engine = client_for(parsed.fingerprint, parsed.config).map_err(to_php)?;
            Ok(PhpClient {
                engine,
                app,
                settings: parsed.settings,
                credentials: (auth_key, secret, app_id),
                logger: None,
            })
        })
    }

    /// pusher-http-php's settings: `scheme`, `port`, `path`, `timeout`, `auth_key`,
    /// `secret`, `app_id`, `base_path`, `host` (of the first endpoint).
    pub fn get_settings(&self) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let s = &self.settings;
            let (key, secret, app_id) = &self.credentials;
            let mut t = ZendHashTable::new();
            t.insert("scheme", s.scheme.as_str())?;
            t.insert("port", s.port)?;
            t.insert("path", s.path.as_str())?;
            t.insert("timeout", s.timeout)?;
            t.insert("auth_key", key.as_str())?;
            t.insert("secret", secret.as_str())?;
            t.insert("app_id", app_id.as_str())?;
            t.insert("base_path", format!("/apps/{app_id}").as_str())?;
            t.insert("host", s.host.as_str())?;
            Ok(t)
        })
    }

    /// A PSR-3 logger (any object with `log($level, $message, $context)`): dropped events,
    /// refused async publishes and rejected webhooks are logged to it.
    pub fn set_logger(&mut self, logger: &Zval) -> PhpResult<()> {
        guard(|| {
            if logger.object().is_none() {
                return Err(invalid("the logger must be an object with a log() method"));
            }
            self.logger = Some(logger.shallow_clone());
            Ok(())
        })
    }

    /// Queues an event for one or more channels and returns at once: an empty object (what
    /// pusher-http-php returns for the server's `{}`), or `{"dropped": true}` when the
    /// drop_newest policy dropped it (counted). With `$params['info']`, waits for delivery
    /// and returns the server's answer (`channels`, an array keyed by channel name).
    pub fn trigger(
        &self,
        channels: &Zval,
        event: String,
        data: &Zval,
        params: Option<&ZendHashTable>,
        already_encoded: Option<bool>,
    ) -> PhpResult<Object> {
        guard(|| {
            self.trigger_event(Self::trigger_params(
                channels,
                event,
                data,
                params,
                already_encoded,
            )?)
        })
        .and_then(Object::new)
    }

    /// `trigger` as a promise settled on delivery, with the value `trigger` returns after
    /// delivery (`{}`, or the server's answer with `info`).
    pub fn trigger_async(
        &self,
        channels: &Zval,
        event: String,
        data: &Zval,
        params: Option<&ZendHashTable>,
        already_encoded: Option<bool>,
    ) -> PhpResult<PhpPromise> {
        guard(|| {
            let event = Self::trigger_params(channels, event, data, params, already_encoded)?;
            let order = AnswerOrder::of(&event);
            self.track(
                vec![event],
                Box::new(move |c| match c.first() {
                    Some(c) => trigger_answer(c, &order),
                    None => trigger_answer(&Confirmed::default(), &order),
                }),
            )
        })
    }

    /// Queues `[['channel' => .., 'name' => .., 'data' => .., 'socket_id' => ..], ...]`; every
    /// event is validated before any is queued. Returns like `trigger`; when an item asks for
    /// `info`, waits for delivery and returns `{"batch": [{..}, ...]}` as the server answers.
    pub fn trigger_batch(
        &self,
        batch: &ZendHashTable,
        already_encoded: Option<bool>,
    ) -> PhpResult<Object> {
        guard(|| {
            let events = Self::batch_events(batch, already_encoded)?;
            if events.iter().any(|e| e.info.is_some()) {
                let orders: Vec<AnswerOrder> = events.iter().map(AnswerOrder::of).collect();
                let promise = self.track(events, Box::new(move |c| batch_answer(c, &orders)))?;
                return promise.wait(Some(true));
            }
            events.iter().for_each(|e| self.log_queued(e));
            let accepted = self.engine.publish_batch(events);
            self.forward_notices();
            match accepted.map_err(to_php)? {
                Accepted::Queued => json_decode(b"{}", false),
                Accepted::Dropped => {
                    self.log(
                        "warning",
                        "pushcast: a batch was dropped: the queue is full (drop_newest)",
                    );
                    dropped_answer()
                }
            }
        })
        .and_then(Object::new)
    }

    /// `triggerBatch` as a promise settled when every event is delivered.
    pub fn trigger_batch_async(
        &self,
        batch: &ZendHashTable,
        already_encoded: Option<bool>,
    ) -> PhpResult<PhpPromise> {
        guard(|| {
            let events = Self::batch_events(batch, already_encoded)?;
            if events.is_empty() {
                return Err(to_php(pushcast_core::Error::EmptyBatch));
            }
            let info = events.iter().any(|e| e.info.is_some());
            let orders: Vec<AnswerOrder> = events.iter().map(AnswerOrder::of).collect();
            self.track(
                events,
                Box::new(move |c| {
                    if info {
                        batch_answer(c, &orders)
                    } else {
                        json_decode(b"{}", false)
                    }
                }),
            )
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
            let event = Self::trigger_params(channels, event, data, params, already_encoded)?;
            let confirmed = self
                .engine
                .publish_confirmed(event, millis(timeout_ms, 5000))
                .map_err(to_php)?;
            confirmed_info_table(&confirmed)
        })
    }

    /// Queues an event for one user's connections (`#server-to-user-{user_id}`); returns like
    /// `trigger`.
    pub fn send_to_user(
        &self,
        user_id: String,
        event: String,
        data: &Zval,
        already_encoded: Option<bool>,
    ) -> PhpResult<Object> {
        guard(|| {
            let data = data_string(data, already_encoded.unwrap_or(false))?;
            let event = self
                .app
                .send_to_user_event(&user_id, &event, data)
                .map_err(to_php)?;
            self.trigger_event(event)
        })
        .and_then(Object::new)
    }

    /// `sendToUser` as a promise settled on delivery.
    pub fn send_to_user_async(
        &self,
        user_id: String,
        event: String,
        data: &Zval,
        already_encoded: Option<bool>,
    ) -> PhpResult<PhpPromise> {
        guard(|| {
            let data = data_string(data, already_encoded.unwrap_or(false))?;
            let event = self
                .app
                .send_to_user_event(&user_id, &event, data)
                .map_err(to_php)?;
            self.track(vec![event], Box::new(|_| json_decode(b"{}", false)))
        })
    }

    /// `GET /channels/{channel}`: the server's answer decoded as pusher-http-php decodes it
    /// (an object: `occupied`, `subscription_count`, `user_count` as sent).
    pub fn get_channel_info(
        &self,
        channel: String,
        params: Option<&ZendHashTable>,
    ) -> PhpResult<Object> {
        guard(|| {
            let info = params
                .and_then(|p| p.get("info"))
                .and_then(Zval::str)
                .map(str::to_owned);
            let request = self
                .app
                .channel_info_request(&channel, info.as_deref(), unix_now())
                .map_err(to_php)?;
            json_decode(&self.api(request)?, false)
        })
        .and_then(Object::new)
    }

    /// `GET /channels`; `$params['filter_by_prefix']`, `$params['info']`. An object whose
    /// `channels` is an array keyed by channel name, of objects (pusher-http-php's shape).
    pub fn get_channels(&self, params: Option<&ZendHashTable>) -> PhpResult<Object> {
        guard(|| {
            let get = |k: &str| {
                params
                    .and_then(|p| p.get(k))
                    .and_then(Zval::str)
                    .map(str::to_owned)
            };
            let request = self
                .app
                .channels_request(
                    get("filter_by_prefix").as_deref(),
                    get("info").as_deref(),
                    unix_now(),
                )
                .map_err(to_php)?;
            channels_as_array(json_decode(&self.api(request)?, false)?)
        })
        .and_then(Object::new)
    }

    /// `GET /channels/{channel}/users`: an object whose `users` is a list of objects with
    /// `id`. (Reverb's 404 `{}` for a presence channel nobody is on is no users.)
    pub fn get_presence_users(&self, channel: String) -> PhpResult<Object> {
        guard(|| {
            let request = self
                .app
                .presence_users_request(&channel, unix_now())
                .map_err(to_php)?;
            match self.engine.request_raw(request) {
                Ok(body) => json_decode(&body, false),
                Err(e) if pushcast_core::response::is_empty_presence_answer(&e) => {
                    json_decode(br#"{"users":[]}"#, false)
                }
                Err(e) => Err(to_php(e)),
            }
        })
        .and_then(Object::new)
    }

    /// `POST /users/{user_id}/terminate_connections`: the server's answer (`{}`) decoded.
    pub fn terminate_user_connections(&self, user_id: String) -> PhpResult<Object> {
        guard(|| json_decode(&self.terminate(&user_id)?, false)).and_then(Object::new)
    }

    /// `terminateUserConnections` as a promise: the request runs on the I/O thread and the
    /// promise settles with its decoded answer.
    pub fn terminate_user_connections_async(&self, user_id: String) -> PhpResult<PhpPromise> {
        guard(|| {
            let request = self
                .app
                .terminate_user_connections_request(&user_id, unix_now())
                .map_err(to_php)?;
            match self.engine.request_raw_pending(request) {
                Ok(call) => Ok(PhpPromise::call(call, |body| json_decode(body, false))),
                Err(e) => Ok(PhpPromise::rejected(exception_object(&e)?)),
            }
        })
    }

    /// A signed `GET` of any API path (after `/apps/{app_id}`), as pusher-http-php's `get`:
    /// the answer decoded by `json_decode($body, $associative)`.
    pub fn get(
        &self,
        path: String,
        params: Option<&ZendHashTable>,
        associative: Option<&Zval>,
    ) -> PhpResult<Zval> {
        guard(|| {
            let request = self
                .app
                .api_request(Method::Get, &path, &query_params(params)?, None, unix_now())
                .map_err(to_php)?;
            let associative = associative.is_some_and(Zval::coerce_to_bool);
            json_decode(&self.api(request)?, associative)
        })
    }

    /// A signed `POST` of `$body` (a string, e.g. JSON) to any API path, as pusher-http-php's
    /// `post`: the answer decoded as an object.
    pub fn post(
        &self,
        path: String,
        body: &Zval,
        params: Option<&ZendHashTable>,
    ) -> PhpResult<Zval> {
        guard(|| {
            let request = self.post_request(&path, body, params)?;
            json_decode(&self.api(request)?, false)
        })
    }

    /// `post` as a promise, as pusher-http-php's `postAsync`: the request runs on the I/O
    /// thread and the promise settles with the decoded answer (or the typed exception).
    pub fn post_async(
        &self,
        path: String,
        body: &Zval,
        params: Option<&ZendHashTable>,
    ) -> PhpResult<PhpPromise> {
        guard(|| {
            let request = self.post_request(&path, body, params)?;
            match self.engine.request_raw_pending(request) {
                Ok(call) => Ok(PhpPromise::call(call, |body| json_decode(body, false))),
                Err(e) => Ok(PhpPromise::rejected(exception_object(&e)?)),
            }
        })
    }

    /// The `/broadcasting/auth` answer (JSON text) for a private or encrypted channel, or a
    /// presence channel with already-encoded `$custom_data`.
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

    /// Deprecated alias of `authorizeChannel` (pusher-http-php keeps it).
    pub fn socket_auth(
        &self,
        channel: String,
        socket_id: String,
        custom_data: Option<String>,
    ) -> PhpResult<String> {
        guard(|| self.authorize_channel(channel, socket_id, custom_data))
    }

    /// Deprecated alias of `authorizeChannel` (pusher-http-php keeps it).
    #[php(name = "socket_auth")]
    pub fn socket_auth_snake(
        &self,
        channel: String,
        socket_id: String,
        custom_data: Option<String>,
    ) -> PhpResult<String> {
        guard(|| self.authorize_channel(channel, socket_id, custom_data))
    }

    /// Deprecated alias of `authorizePresenceChannel` (pusher-http-php keeps it).
    pub fn presence_auth(
        &self,
        channel: String,
        socket_id: String,
        user_id: &Zval,
        user_info: Option<&Zval>,
    ) -> PhpResult<String> {
        guard(|| self.authorize_presence_channel(channel, socket_id, user_id, user_info))
    }

    /// Deprecated alias of `authorizePresenceChannel` (pusher-http-php keeps it).
    #[php(name = "presence_auth")]
    pub fn presence_auth_snake(
        &self,
        channel: String,
        socket_id: String,
        user_id: &Zval,
        user_info: Option<&Zval>,
    ) -> PhpResult<String> {
        guard(|| self.authorize_presence_channel(channel, socket_id, user_id, user_info))
    }

    /// Deprecated alias of `getChannelInfo` (pusher-http-php keeps it).
    #[php(name = "get_channel_info")]
    pub fn get_channel_info_snake(
        &self,
        channel: String,
        params: Option<&ZendHashTable>,
    ) -> PhpResult<Object> {
        guard(|| self.get_channel_info(channel, params))
    }

    /// Deprecated alias of `getChannels` (pusher-http-php keeps it).
    #[php(name = "get_channels")]
    pub fn get_channels_snake(&self, params: Option<&ZendHashTable>) -> PhpResult<Object> {
        guard(|| self.get_channels(params))
    }

    /// Deprecated alias of `getPresenceUsers` (pusher-http-php keeps it).
    #[php(name = "get_users_info")]
    pub fn get_users_info(&self, channel: String) -> PhpResult<Object> {
        guard(|| self.get_presence_users(channel))
    }

    /// User sign-in: signs PHP's `json_encode($user_data)` (which must hold an `id`).
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
    /// any case) and returns a `Pushcast\Webhook` (`get_events()`: the events as objects,
    /// decrypted where needed; `get_time_ms()`). `$max_age_ms` > 0 also refuses stale ones.
    pub fn webhook(
        &self,
        headers: &ZendHashTable,
        body: String,
        max_age_ms: Option<i64>,
    ) -> PhpResult<PhpWebhook> {
        guard(|| self.webhook_events(headers, &body, max_age_ms))
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

    /// Deprecated alias of `verifySignature` (pusher-http-php keeps it).
    #[php(name = "ensure_valid_signature")]
    pub fn ensure_valid_signature(&self, headers: &ZendHashTable, body: String) -> PhpResult<()> {
        guard(|| self.verify_signature(headers, body))
    }

    /// Waits up to `$timeoutMs` for pending events; returns `['pending' => n, 'stats' => [...]]`.
    pub fn flush(&self, timeout_ms: Option<i64>) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let report = self.engine.flush(millis(timeout_ms, 5000));
            self.forward_notices();
            let mut t = ZendHashTable::new();
            t.insert("pending", i64::try_from(report.pending).unwrap_or(i64::MAX))?;
            t.insert("stats", stats_table(&report.stats)?)?;
            Ok(t)
        })
    }

    /// Live statistics of this process's engine for this configuration: every counter of the
    /// library by name, `latency_p50_us` / `latency_p99_us` (null before any delivery),
    /// `last_error` (null if none) and `circuits` (`[['endpoint' => .., 'state' => 'closed' |
    /// 'open' | 'half_open']]`).
    pub fn stats(&self) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            self.forward_notices();
            stats_table(&self.engine.stats())
        })
    }

    /// Where events' time went in this process's engine, hop by hop: `['queue' => ['what',
    /// 'count', 'p50_us', 'p99_us', 'buckets' => [upper bound µs => events]], 'batch', 'wake',
    /// 'send', 'total']` (buckets of several workers merge by adding equal bounds).
    pub fn stage_latencies(&self) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            let mut stages = ZendHashTable::new();
            for stage in self.engine.stage_latencies() {
                let mut t = ZendHashTable::new();
                t.insert("what", stage.what)?;
                t.insert("count", int(stage.count))?;
                insert_micros(&mut t, "p50_us", stage.p50_us)?;
                insert_micros(&mut t, "p99_us", stage.p99_us)?;
                let mut buckets = ZendHashTable::new();
                for (upper, count) in stage.buckets {
                    buckets.insert_at_index(int(upper), int(count))?;
                }
                t.insert("buckets", buckets)?;
                stages.insert(stage.stage, t)?;
            }
            Ok(stages)
        })
    }

    /// The live statistics in the Prometheus text format (for a `/metrics` route).
    pub fn metrics(&self) -> PhpResult<String> {
        guard(|| Ok(self.engine.metrics()))
    }

    /// Takes the recent failures: `[['event', 'channel', 'error', 'code', 'at'], ...]`, the
    /// record every binding reports (`pushcast_client::Failure::to_json`'s fields).
    pub fn failures(&self) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| {
            let mut list = ZendHashTable::new();
            for f in self.engine.drain_failures() {
                let mut t = ZendHashTable::new();
                t.insert("event", f.event.as_str())?;
                t.insert("channel", f.channel.as_str())?;
                t.insert("error", f.error.to_string().as_str())?;
                t.insert("code", i64::from(f.code()))?;
                t.insert("at", f.at_unix_secs())?;
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
