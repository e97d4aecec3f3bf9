//! The constructor's options array → a client configuration. Unknown keys are errors
//! (pusher-http-php silently ignores them, which hides typos such as `usetls`).

use std::collections::BTreeMap;
use std::time::Duration;

use ext_php_rs::exception::PhpResult;
use ext_php_rs::types::{ArrayKey, ZendHashTable, Zval};
use pushcast_client::{Backpressure, ClientConfig};
use pushcast_core::{App, Credentials, MasterKey, ServerProfile};

use crate::errors::{invalid, to_php};
use crate::resilience;
use crate::settings::Defaults;

/// Keys pusher-http-php and Laravel's `pusher`/`reverb` connections pass, and pushcast's own.
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
    "queue_capacity",
    "backpressure",
    "block_timeout_ms",
    "max_in_flight",
    "connect_timeout_ms",
    "request_timeout_ms",
    "delivery_timeout_ms",
    "shutdown_timeout_ms",
    "ca_file",
    "verify",
];

/// A parsed configuration and the key identifying it (one engine per process and config).
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

/// Removes the first `http://` or `https://` found in `host`, as pusher-http-php's
/// `preg_replace('/http[s]?\:\/\//', '', $host, 1)` does.
fn strip_scheme(host: &str) -> String {
    for (at, _) in host.match_indices("http") {
        let rest = &host[at + 4..];
        let skip = if rest.starts_with("://") {
            7
        } else if rest.starts_with("s://") {
            8
        } else {
            continue;
        };
        return format!("{}{}", &host[..at], &host[at + skip..]);
    }
    host.to_owned()
}

/// The base URL pusher-http-php builds from `host`/`cluster`, `scheme`, `port` and `useTLS`:
/// `useTLS` (default true; only `true` itself counts) gives https on 443 when neither `scheme`
/// nor `port` is set, otherwise `scheme` defaults to http and `port` to 80; the host is `host`
/// without its scheme prefix, else `api-{cluster}.pusher.com`, else `api-mt1.pusher.com`.
/// (pusher-http-php 7 ignores the old `encrypted` option; so does pushcast.)
///
/// Stricter than pusher-http-php, which builds any URL and fails on the first request: a host
/// that still holds a scheme, port, path or user part, a scheme other than http/https and a
/// port outside 1..=65535 are refused here.
fn pusher_endpoint(get: &BTreeMap<String, &Zval>) -> PhpResult<String> {
    let use_tls = set(get, "useTLS").is_none_or(|v| v.bool() == Some(true));
    let scheme = set(get, "scheme").map(|s| text(s, "scheme")).transpose()?;
    let port = set(get, "port").map(|p| number(p, "port")).transpose()?;
    let (scheme, port) = match (scheme, port) {
        (None, None) if use_tls => ("https".to_owned(), 443),
        (scheme, port) => (scheme.unwrap_or_else(|| "http".into()), port.unwrap_or(80)),
    };
    let host = match (get.get("host"), get.get("cluster")) {
        (Some(host), _) => strip_scheme(&text(host, "host")?),
        (None, Some(cluster)) => format!("api-{}.pusher.com", text(cluster, "cluster")?),
        (None, None) => "api-mt1.pusher.com".to_owned(),
    };
    if scheme != "http" && scheme != "https" {
        return Err(invalid(format!(
            "option `scheme` must be http or https, got {scheme:?}"
        )));
    }
    if !(1..=65535).contains(&port) {
        return Err(invalid(format!(
            "option `port` must be between 1 and 65535, got {port}"
        )));
    }
    let bracketed_ipv6 = host.starts_with('[') && host.ends_with(']');
    let bad = |c: char| {
        c.is_whitespace()
            || matches!(c, '/' | '?' | '#' | '@' | '\\')
            || (c == ':' && !bracketed_ipv6)
    };
    if host.is_empty() || host.contains(bad) {
        return Err(invalid(format!(
            "option `host` must be a host name or address only (put the port in `port` and the scheme in `scheme`), got {host:?}"
        )));
    }
    // pusher-http-php's `path`: a prefix between the port and `/apps/{app_id}` (a proxy's).
    let path = match set(get, "path") {
        Some(p) => text(p, "path")?,
        None => String::new(),
    };
    if !(path.is_empty() || path.starts_with('/')) || path.contains(['?', '#', ' ']) {
        return Err(invalid(format!(
            "option `path` must be empty or start with `/` (a path prefix only), got {path:?}"
        )));
    }
    Ok(format!(
        "{scheme}://{host}:{port}{}",
        path.trim_end_matches('/')
    ))
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
        if !KNOWN.contains(&name.as_str()) && !resilience::KNOWN.contains(&name.as_str()) {
            return Err(invalid(format!(
                "unknown option `{name}`; accepted options: {}, {}",
                KNOWN.join(", "),
                resilience::KNOWN.join(", ")
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
    config.queue_capacity = defaults.queue_capacity;
    config.shutdown_timeout = Duration::from_millis(defaults.shutdown_timeout_ms);
    config.delivery_timeout = Duration::from_millis(defaults.delivery_timeout_ms);
    let ms = |key: &str| -> PhpResult<Option<Duration>> {
        get.get(key)
            .map(|v| number(v, key).map(Duration::from_millis))
            .transpose()
    };
    if let Some(v) = get.get("queue_capacity") {
        config.queue_capacity = usize::try_from(number(v, "queue_capacity")?).unwrap_or(usize::MAX);
    }
    if let Some(v) = get.get("max_in_flight") {
        config.max_in_flight = usize::try_from(number(v, "max_in_flight")?).unwrap_or(usize::MAX);
    }
    let mut timeout = 30;
    if let Some(t) = get.get("timeout") {
        // pusher-http-php's `timeout` is in seconds and bounds the whole request.
        let seconds = number(t, "timeout")?;
        timeout = i64::try_from(seconds).unwrap_or(i64::MAX);
        config.request_timeout = Duration::from_secs(seconds.max(1));
    }
    if let Some(d) = ms("connect_timeout_ms")? {
        config.connect_timeout = d;
    }
    if let Some(d) = ms("request_timeout_ms")? {
        config.request_timeout = d;
    }
    if let Some(d) = ms("delivery_timeout_ms")? {
        config.delivery_timeout = d;
    }
    if let Some(d) = ms("shutdown_timeout_ms")? {
        config.shutdown_timeout = d;
    }
    let block = ms("block_timeout_ms")?.unwrap_or(Duration::from_millis(100));
    let policy = match get.get("backpressure") {
        Some(p) => text(p, "backpressure")?,
        None => defaults.backpressure.clone(),
    };
    config.backpressure = match policy.as_str() {
        "fail_fast" => Backpressure::FailFast,
        "block" => Backpressure::Block { timeout: block },
        "drop_newest" => Backpressure::DropNewest,
        "drop_oldest" => Backpressure::DropOldest,
        other => {
            return Err(invalid(format!(
                "option `backpressure` must be fail_fast, block, drop_newest or drop_oldest, got {other:?}"
            )))
        }
    };
    if let Some(ca) = get.get("ca_file") {
        config.ca_file = Some(text(ca, "ca_file")?.into());
    }
    if let Some(v) = get.get("verify") {
        config.danger_accept_invalid_certs = !flag(v);
    }

    config.log = Some(crate::notices::sink());
    let resilience = resilience::apply(&get, &mut config)?;
    // Everything that shapes the engine, secret included (two apps must not share one).
    let fingerprint = format!(
        "{app_id}\u{0}{key}\u{0}{secret}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}",
        config.endpoints,
        config.app.profile(),
        get.get("encryption_master_key_base64")
            .and_then(|v| v.str())
            .filter(|k| !k.is_empty()),
        config.queue_capacity,
        config.backpressure,
        config.max_in_flight,
        (config.connect_timeout, config.request_timeout),
        config.delivery_timeout,
        config.shutdown_timeout,
        config.ca_file,
        config.danger_accept_invalid_certs,
    ) + "\u{0}" + &resilience;
    let settings = settings_of(config.endpoints.first().map_or("", String::as_str), timeout);
    Ok(Parsed {
        config,
        fingerprint,
        settings,
    })
}
