//! The conflation rules of `Pushcast\Client` (strict, like the rest: an unknown key inside a
//! rule is an error), and the breaker's maximum cool-down when only the cool-down is given.
//! The other breaker and spool options are `ClientConfig::set` keys (options.rs).

use std::collections::BTreeMap;
use std::time::Duration;

use ext_php_rs::exception::PhpResult;
use ext_php_rs::types::{ArrayKey, Zval};
use pushcast_client::{ClientConfig, ConflateRule};

use crate::errors::invalid;

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

/// Applies what the key table of `ClientConfig::set` cannot: the conflation rules (a list),
/// and, without `breaker_cooldown_max_ms`, a maximum cool-down raised to the cool-down (so
/// `breaker_cooldown_ms` alone above 10 s is no error). The other keys went through
/// `ClientConfig::set` (options.rs).
pub(crate) fn apply(get: &BTreeMap<String, &Zval>, config: &mut ClientConfig) -> PhpResult<()> {
    if !get.contains_key("breaker_cooldown_max_ms") {
        config.breaker_cooldown_max = config.breaker_cooldown_max.max(config.breaker_cooldown);
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
    Ok(())
}
