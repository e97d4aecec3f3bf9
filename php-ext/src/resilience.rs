//! The circuit breaker, conflation and durable spool options of `Pushcast\Client` (strict,
//! like the rest: an unknown key, also inside a conflation rule, is an error).

use std::collections::BTreeMap;
use std::time::Duration;

use ext_php_rs::exception::PhpResult;
use ext_php_rs::types::{ArrayKey, Zval};
use pushcast_client::{BreakerOpenPolicy, ClientConfig, ConflateRule, SpoolConfig, SpoolSync};

use crate::errors::invalid;

/// The option keys read here.
pub(crate) const KNOWN: &[&str] = &[
    "breaker_failure_threshold",
    "breaker_cooldown_ms",
    "breaker_cooldown_max_ms",
    "breaker_open_policy",
    "conflate",
    "spool",
    "spool_sync",
    "spool_sync_interval_ms",
    "spool_max_bytes",
    "spool_max_age_ms",
];

const RULE_KEYS: &[&str] = &["event", "channel", "key", "window_ms"];

fn count(value: &Zval, key: &str) -> PhpResult<u64> {
    let n = value
        .long()
        .ok_or_else(|| invalid(format!("option `{key}` must be an integer")))?;
    u64::try_from(n).map_err(|_| invalid(format!("option `{key}` must not be negative")))
}

fn string(value: &Zval, key: &str) -> PhpResult<String> {
    value
        .str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("option `{key}` must be a string")))
}

fn rule(index: usize, value: &Zval) -> PhpResult<ConflateRule> {
    let at = |field: &str| format!("conflate[{index}].{field}");
    let array = value.array().ok_or_else(|| {
        invalid(format!(
            "option `conflate` must be a list of rules like ['event' => 'RoomsUpdated', 'key' => 'id', 'window_ms' => 1000]; item {index} is not an array"
        ))
    })?;
    let mut fields = BTreeMap::new();
    for (k, v) in array.iter() {
        let name = match k {
            ArrayKey::Long(i) => i.to_string(),
            other => other.to_string(),
        };
        if !RULE_KEYS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "unknown key `{name}` in conflate[{index}]; accepted keys: {}",
                RULE_KEYS.join(", ")
            )));
        }
        fields.insert(name, v);
    }
    let text = |field: &str| -> PhpResult<Option<String>> {
        fields
            .get(field)
            .filter(|v| !v.is_null())
            .map(|v| string(v, &at(field)))
            .transpose()
    };
    let window = fields
        .get("window_ms")
        .ok_or_else(|| invalid(format!("{} is required", at("window_ms"))))?;
    Ok(ConflateRule {
        event: text("event")?,
        channel: text("channel")?,
        key: text("key")?,
        window: Duration::from_millis(count(window, &at("window_ms"))?),
    })
}

/// Applies the breaker and conflation options; returns their part of the engine fingerprint.
pub(crate) fn apply(get: &BTreeMap<String, &Zval>, config: &mut ClientConfig) -> PhpResult<String> {
    if let Some(v) = get.get("breaker_failure_threshold") {
        config.breaker_failure_threshold = u32::try_from(count(v, "breaker_failure_threshold")?)
            .map_err(|_| invalid("option `breaker_failure_threshold` is too large"))?;
    }
    if let Some(v) = get.get("breaker_cooldown_ms") {
        config.breaker_cooldown = Duration::from_millis(count(v, "breaker_cooldown_ms")?);
    }
    if let Some(v) = get.get("breaker_cooldown_max_ms") {
        config.breaker_cooldown_max = Duration::from_millis(count(v, "breaker_cooldown_max_ms")?);
    } else {
        config.breaker_cooldown_max = config.breaker_cooldown_max.max(config.breaker_cooldown);
    }
    if let Some(v) = get.get("breaker_open_policy") {
        config.breaker_open_policy = match string(v, "breaker_open_policy")?.as_str() {
            "queue" => BreakerOpenPolicy::Queue,
            "fail_fast" => BreakerOpenPolicy::FailFast,
            "spool" => BreakerOpenPolicy::Spool,
            other => {
                return Err(invalid(format!(
                    "option `breaker_open_policy` must be queue, fail_fast or spool, got {other:?}"
                )))
            }
        };
    }
    if let Some(v) = get.get("conflate") {
        let list = v
            .array()
            .ok_or_else(|| invalid("option `conflate` must be a list of rules"))?;
        config.conflate = list
            .iter()
            .enumerate()
            .map(|(i, (_, r))| rule(i, r))
            .collect::<PhpResult<_>>()?;
    }
    config.spool = spool(get)?;
    Ok(format!(
        "{}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}",
        config.breaker_failure_threshold,
        (config.breaker_cooldown, config.breaker_cooldown_max),
        config.breaker_open_policy,
        config.conflate,
        config.spool,
    ))
}

/// `spool` (a directory) turns the durable spool on; the other `spool_*` keys need it.
fn spool(get: &BTreeMap<String, &Zval>) -> PhpResult<Option<SpoolConfig>> {
    let Some(dir) = get.get("spool").filter(|v| !v.is_null()) else {
        if let Some(key) = KNOWN
            .iter()
            .find(|k| k.starts_with("spool_") && get.contains_key(**k))
        {
            return Err(invalid(format!(
                "option `{key}` needs `spool` (the spool directory)"
            )));
        }
        return Ok(None);
    };
    let mut spool = SpoolConfig::new(string(dir, "spool")?);
    let interval = match get.get("spool_sync_interval_ms") {
        Some(v) => Duration::from_millis(count(v, "spool_sync_interval_ms")?),
        None => Duration::from_millis(100),
    };
    if let Some(v) = get.get("spool_sync") {
        let level = string(v, "spool_sync")?;
        spool.sync = SpoolSync::parse(&level, interval).map_err(crate::errors::to_php)?;
    } else if get.contains_key("spool_sync_interval_ms") {
        spool.sync = SpoolSync::parse("interval", interval).map_err(crate::errors::to_php)?;
    }
    if let Some(v) = get.get("spool_max_bytes") {
        spool.max_bytes = count(v, "spool_max_bytes")?;
    }
    if let Some(v) = get.get("spool_max_age_ms") {
        spool.max_age = Duration::from_millis(count(v, "spool_max_age_ms")?);
    }
    Ok(Some(spool))
}
