//! The constructor's options array → a client configuration. Unknown keys are errors
//! (pusher-http-php silently ignores them, which hides typos such as `usetls`).

use std::collections::BTreeMap;

use ext_php_rs::exception::PhpResult;
use ext_php_rs::types::{ArrayKey, ZendHashTable, Zval};
use pushcast_client::ClientConfig;
use pushcast_core::{App, Credentials, MasterKey, PusherEndpoint, ServerProfile};

use crate::errors::{invalid, to_php};
use crate::resilience;
use crate::settings::Defaults;

/// Keys pusher-http-php and Laravel's `pusher`/`reverb` connections pass, and pushcast's own
/// that are not [`CONFIG_KEYS`] (which are accepted too).
const KNOWN: &[&str] = &[
    // pusher-http-php / Laravel
    "host",
    "port",
    "scheme",
    "useTLS",
    "encrypted",
    "cluster",
    "timeout",
    "encryption_master_key_base64",
    "path",
    // pushcast
    "endpoints",
    "server_profile",
    "max_request_size",
    "limits",
    "verify",
    "conflate",
];

/// A parsed configuration and the key identifying it (one engine per process and config:
/// [`ClientConfig::engine_key`]).
pub(crate) struct Parsed {
    pub config: ClientConfig,
    pub fingerprint: String,
    pub settings: Settings,
}

/// What pusher-http-php's `getSettings()` reports besides the credentials: the first
/// endpoint's parts, and `timeout` (seconds) as given (default 30).
pub(crate) struct Settings {
    pub scheme: String,
    pub host: String,
    pub port: i64,
    pub path: String,
    pub timeout: i64,
}

/// Splits a base URL `scheme://host[:port][/path]` (checked by the core when the client is
/// built) into getSettings()'s parts; the port defaults to the scheme's.
fn settings_of(endpoint: &str, timeout: i64) -> Settings {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("http", endpoint));
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], rest[at..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let default_port = if scheme == "https" { 443 } else { 80 };
    let (host, port) = match authority.rfind(':') {
        Some(at) if !authority[at..].contains(']') => (
            &authority[..at],
            authority[at + 1..].parse().unwrap_or(default_port),
        ),
        _ => (authority, default_port),
    };
    Settings {
        scheme: scheme.to_owned(),
        host: host.to_owned(),
        port,
        path: path.to_owned(),
        timeout,
    }
}

fn text(value: &Zval, key: &str) -> PhpResult<String> {
    if let Some(s) = value.str() {
        return Ok(s.to_owned());
    }
    if let Some(n) = value.long() {
        return Ok(n.to_string());
    }
    Err(invalid(format!("option `{key}` must be a string")))
}

fn number(value: &Zval, key: &str) -> PhpResult<u64> {
    let n = match (value.long(), value.str()) {
        (Some(n), _) => n,
        (None, Some(s)) => s
            .trim()
            .parse()
            .map_err(|_| invalid(format!("option `{key}` must be an integer, got {s:?}")))?,
        _ => return Err(invalid(format!("option `{key}` must be an integer"))),
    };
    u64::try_from(n).map_err(|_| invalid(format!("option `{key}` must not be negative")))
}

fn flag(value: &Zval) -> bool {
    value
        .bool()
        .unwrap_or_else(|| value.long().is_some_and(|n| n != 0))
}

/// The option, unless absent or null (PHP's `isset`).
fn set<'a>(get: &BTreeMap<String, &'a Zval>, key: &str) -> Option<&'a Zval> {
    get.get(key).copied().filter(|v| !v.is_null())
}

/// The base URL from pusher-http-php's `host`/`cluster`, `scheme`, `port`, `useTLS` and `path`,
/// by the one rule of [`PusherEndpoint::url`]. What counts as set is pusher-http-php's: `isset`
/// for `useTLS`, `scheme`, `port` and `path`, `array_key_exists` for `host` and `cluster`; and
/// `useTLS` is on unless given as something other than `true` itself.
fn pusher_endpoint(get: &BTreeMap<String, &Zval>) -> PhpResult<String> {
    let given = |key: &str| get.get(key).map(|v| text(v, key)).transpose();
    let (host, cluster) = (given("host")?, given("cluster")?);
    let isset = |key: &str| set(get, key).map(|v| text(v, key)).transpose();
    let (scheme, path) = (isset("scheme")?, isset("path")?);
    let endpoint = PusherEndpoint {
        host: host.as_deref(),
        port: set(get, "port").map(|p| number(p, "port")).transpose()?,
        scheme: scheme.as_deref(),
        use_tls: set(get, "useTLS").map(|v| v.bool() == Some(true)),
        cluster: cluster.as_deref(),
        path: path.as_deref(),
    };
    endpoint.url().map_err(to_php)
}

/// The options (and ini settings) that are [`ClientConfig::set`] keys under the same name, in
/// the order they are applied: `spool` before the `spool_*` keys that need it.
const CONFIG_KEYS: &[&str] = &[
    "queue_capacity",
    "backpressure",
    "block_timeout_ms",
    "max_in_flight",
    "connect_timeout_ms",
    "request_timeout_ms",
    "delivery_timeout_ms",
    "shutdown_timeout_ms",
    "ca_file",
    "breaker_failure_threshold",
    "breaker_cooldown_ms",
    "breaker_cooldown_max_ms",
    "breaker_open_policy",
    "spool",
    "spool_sync",
    "spool_sync_interval_ms",
    "spool_max_bytes",
    "spool_max_age_ms",
];

/// An option's value as the text [`ClientConfig::set`] parses: strings as they are, integers
/// in decimal, booleans as true/false; `null` is "not set" for `spool` alone (as before).
fn setting_text(value: &Zval, key: &str) -> PhpResult<Option<String>> {
    if value.is_null() && key == "spool" {
        return Ok(None);
    }
    if let Some(b) = value.bool() {
        return Ok(Some(b.to_string()));
    }
    match (value.str(), value.long()) {
        (Some(s), _) => Ok(Some(s.to_owned())),
        (None, Some(n)) => Ok(Some(n.to_string())),
        _ => Err(invalid(format!(
            "option `{key}` must be a string or an integer"
        ))),
    }
}

/// Reads the options. `defaults` are the ini settings (process-wide defaults).
pub(crate) fn parse(
    key: &str,
    secret: &str,
    app_id: &str,
    options: Option<&ZendHashTable>,
    defaults: &Defaults,
) -> PhpResult<Parsed> {
    let mut get = BTreeMap::new();
    for (k, v) in options.into_iter().flat_map(|o| o.iter()) {
        let name = match k {
            ArrayKey::Long(i) => i.to_string(),
            other => other.to_string(),
        };
        if !KNOWN.contains(&name.as_str()) && !CONFIG_KEYS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "unknown option `{name}`; accepted options: {}, {}",
                KNOWN.join(", "),
                CONFIG_KEYS.join(", ")
            )));
        }
        get.insert(name, v);
    }
    let credentials = Credentials::new(app_id, key, secret).map_err(to_php)?;

    if get.contains_key("endpoints") && set(&get, "path").is_some() {
        return Err(invalid(
            "option `path` goes with host/port/scheme; put the prefix in each of `endpoints` instead",
        ));
    }
    let endpoints: Vec<String> = if let Some(list) = get.get("endpoints") {
        let array = list
            .array()
            .ok_or_else(|| invalid("option `endpoints` must be a list of base URLs"))?;
        array
            .iter()
            .map(|(_, v)| text(v, "endpoints"))
            .collect::<PhpResult<_>>()?
    } else {
        vec![pusher_endpoint(&get)?]
    };
    if endpoints.is_empty() {
        return Err(invalid("option `endpoints` must not be empty"));
    }

    let hosted_pusher = endpoints.iter().all(|e| e.contains(".pusher.com"));
    let profile_name = match get.get("server_profile") {
        Some(p) => text(p, "server_profile")?,
        None if hosted_pusher => "pusher".into(),
        None => defaults.server_profile.clone(),
    };
    let mut profile: ServerProfile = profile_name.parse().map_err(to_php)?;
    // Reverb's `max_request_size` (REVERB_MAX_REQUEST_SIZE): the whole HTTP request, headers
    // included, in bytes; 0 means unlimited.
    let max_request_size = match get.get("max_request_size") {
        Some(v) if v.is_null() => None,
        Some(v) => Some(number(v, "max_request_size")?),
        None => defaults.max_request_size,
    };
    if let Some(limit) = max_request_size {
        profile.max_request_bytes =
            (limit > 0).then(|| usize::try_from(limit).unwrap_or(usize::MAX));
    }
    // The profile's size limits by name (ServerProfile::LIMIT_NAMES), as a server configured
    // beyond its defaults needs: `['max_events_per_batch' => 100]`; 0 means unlimited.
    if let Some(limits) = get.get("limits") {
        let limits = limits
            .array()
            .ok_or_else(|| invalid("option `limits` must be an array of limit name => number"))?;
        for (name, value) in limits.iter() {
            let name = name.to_string();
            let value = number(value, &format!("limits[{name}]"))?;
            let value = (value > 0).then(|| usize::try_from(value).unwrap_or(usize::MAX));
            profile.set_limit(&name, value).map_err(to_php)?;
        }
    }
    let mut app = App::new(credentials).with_profile(profile);
    // pusher-http-php: an empty key (a common `.env` default) is no key.
    if let Some(master) = get.get("encryption_master_key_base64") {
        let master = text(master, "encryption_master_key_base64")?;
        if !master.is_empty() {
            app = app.with_master_key(MasterKey::from_base64(&master).map_err(to_php)?);
        }
    }

    let mut config = ClientConfig::new(app, endpoints[0].clone());
    config.endpoints = endpoints;
    // Every default is the library's: the ini settings and options only pass what is set.
    for (key, value) in &defaults.config {
        config
            .set(key, value)
            .map_err(|e| invalid(format!("ini setting pushcast.{key}: {e}")))?;
    }
    let mut timeout = 30;
    if let Some(t) = get.get("timeout") {
        // pusher-http-php's `timeout` is in seconds and bounds the whole request; the
        // `request_timeout_ms` option, applied after, wins over it.
        let seconds = number(t, "timeout")?;
        timeout = i64::try_from(seconds).unwrap_or(i64::MAX);
        let ms = seconds.max(1).saturating_mul(1000);
        config
            .set("request_timeout_ms", &ms.to_string())
            .map_err(to_php)?;
    }
    for key in CONFIG_KEYS {
        if let Some(value) = get.get(*key) {
            if let Some(text) = setting_text(value, key)? {
                config.set(key, &text).map_err(to_php)?;
            }
        }
    }
    if let Some(v) = get.get("verify") {
        let accept_any = if flag(v) { "false" } else { "true" };
        config
            .set("danger_accept_invalid_certs", accept_any)
            .map_err(to_php)?;
    }

    config.log = Some(crate::notices::sink());
    resilience::apply(&get, &mut config)?;
    let fingerprint = config.engine_key();
    let settings = settings_of(config.endpoints.first().map_or("", String::as_str), timeout);
    Ok(Parsed {
        config,
        fingerprint,
        settings,
    })
}
