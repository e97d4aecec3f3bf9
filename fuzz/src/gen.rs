//! Input generators: fuzzer bytes to values near the protocol's languages (channel names around
//! the length limits, socket ids around u64::MAX, presence JSON, ...), with a share of raw
//! arbitrary strings so nothing is out of reach.
//!
//! Each generator, on exhausted input, yields a well-formed value (arbitrary returns the lower
//! bound of every range then), so short inputs still reach the deep paths.

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use serde_json::{Map, Value};

const CHANNEL_CHARS: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=@,.;:";

const PREFIXES: &[&str] = &[
    "",
    "private-",
    "presence-",
    "private-encrypted-",
    "#server-to-user-",
    "",
    "#",
    "pusher:",
    "pusher_internal:",
];

/// Profile limits (and limit - 16 for user ids) that lengths cluster around.
const LIMITS: &[usize] = &[8, 12, 24, 84, 100, 148, 164, 184, 200];

/// A length: mostly short, sometimes just around a limit.
pub fn length(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0u8..=9)? {
        0..=5 => u.int_in_range(1..=12)?,
        6 => u.int_in_range(13..=64)?,
        _ => {
            let limit = *u.choose(LIMITS)?;
            (limit + u.int_in_range(0..=4)?).saturating_sub(2)
        }
    })
}

/// `len` characters, nearly all from the channel alphabet.
pub fn chars(u: &mut Unstructured<'_>, len: usize) -> Result<String> {
    let mut s = String::with_capacity(len);
    for _ in 0..len {
        if u.ratio(47u8, 48)? {
            s.push(char::from(*u.choose(CHANNEL_CHARS)?));
        } else {
            s.push(u.arbitrary::<char>()?);
        }
    }
    Ok(s)
}

/// A channel, event or user name: a known prefix and channel characters, or raw text.
pub fn name_like(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1u8, 10)? {
        return u.arbitrary::<String>();
    }
    let mut s = String::from(*u.choose(PREFIXES)?);
    let len = length(u)?;
    s.push_str(&chars(u, len)?);
    Ok(s)
}

/// Channel lists: empty, a few, some repeated, all encrypted, or around 100.
pub fn channels(u: &mut Unstructured<'_>) -> Result<Vec<String>> {
    let count = match u.int_in_range(0u8..=15)? {
        0..=11 => u.int_in_range(1..=4)?,
        12 => 0,
        13 => u.int_in_range(5..=12)?,
        _ => u.int_in_range(98..=102)?,
    };
    let all_encrypted = u.ratio(1u8, 4)?;
    let mut list: Vec<String> = Vec::with_capacity(count);
    for _ in 0..count {
        if !list.is_empty() && u.ratio(1u8, 16)? {
            let again = u.choose(&list)?.clone();
            list.push(again);
            continue;
        }
        let name = if all_encrypted {
            let len = length(u)?;
            format!("private-encrypted-{}", chars(u, len)?)
        } else {
            name_like(u)?
        };
        list.push(name);
    }
    Ok(list)
}

/// A socket id: mostly two u64s, sometimes an edge or a near miss.
pub fn socket_like(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0u8..=7)? {
        0..=3 => format!("{}.{}", u.arbitrary::<u64>()?, u.arbitrary::<u64>()?),
        4 => format!(
            "{}.{}",
            u.int_in_range(0u8..=99)?,
            u.int_in_range(0u8..=99)?
        ),
        5 => {
            let mut s = format!("{}.{}", u.arbitrary::<u32>()?, u.arbitrary::<u32>()?);
            let at = u.int_in_range(0..=s.len())?;
            let junk = *u.choose(&["", "\n", "+", ".", "0", "a", " ", "-", "٣", "\u{0}"])?;
            s.insert_str(at, junk);
            s
        }
        6 => (*u.choose(&[
            "18446744073709551615.0",
            "18446744073709551616.1",
            "0.18446744073709551615",
            "99999999999999999999.1",
            "000000000000000000000001.2",
            "1.",
            ".1",
            "1..1",
            "-1.1",
            "",
        ])?)
        .to_owned(),
        _ => u.arbitrary::<String>()?,
    })
}

/// An optional socket id (absent half the time).
pub fn optional_socket(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    Ok(if u.ratio(1u8, 2)? {
        None
    } else {
        Some(socket_like(u)?)
    })
}

/// An optional `info` attribute list.
pub fn optional_info(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    Ok(match u.int_in_range(0u8..=5)? {
        0..=2 => None,
        3 => Some(
            (*u.choose(&[
                "subscription_count",
                "user_count",
                "subscription_count,user_count",
                "",
                ",",
                "user_count,",
                "user_count;drop",
                "USER_COUNT",
                "a,,b",
            ])?)
            .to_owned(),
        ),
        _ => Some(u.arbitrary::<String>()?),
    })
}

/// Event data: text, JSON, or a run of bytes around the size limits.
pub fn data_like(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0u8..=7)? {
        0..=3 => u.arbitrary::<String>()?,
        4 | 5 => serde_json::to_string(&json_value(u, 3)?).unwrap_or_default(),
        _ => {
            let size = *u.choose(&[40usize, 56, 104, 120, 400, 9_000, 9_950, 10_000, 10_240])?;
            let size = (size + u.int_in_range(0..=8)?).saturating_sub(4);
            let c = *u.choose(&['x', '"', '\u{1}', 'é', '\\'])?;
            std::iter::repeat_n(c, size).collect()
        }
    })
}

/// A JSON value without floats (floats need not round-trip through text), `depth` deep at most.
pub fn json_value(u: &mut Unstructured<'_>, depth: u8) -> Result<Value> {
    let top = if depth == 0 { 4 } else { 6 };
    Ok(match u.int_in_range(0u8..=top)? {
        0 => Value::String(u.arbitrary()?),
        1 => Value::Null,
        2 => Value::Bool(u.arbitrary()?),
        3 => Value::from(u.arbitrary::<i64>()?),
        4 => Value::from(u.arbitrary::<u64>()?),
        5 => {
            let n = u.int_in_range(0..=3)?;
            Value::Array(
                (0..n)
                    .map(|_| json_value(u, depth - 1))
                    .collect::<Result<_>>()?,
            )
        }
        _ => {
            let n = u.int_in_range(0..=3)?;
            let mut map = Map::new();
            for _ in 0..n {
                map.insert(u.arbitrary()?, json_value(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// Presence `channel_data` / sign-in `user_data` text: a JSON object with the id `field`
/// (string, number, empty, wrong type or missing), or raw text.
pub fn user_json(u: &mut Unstructured<'_>, field: &str) -> Result<String> {
    let mut map = Map::new();
    let id = match u.int_in_range(0u8..=9)? {
        0..=4 => Some(Value::String(name_like(u)?)),
        5 => Some(Value::from(u.arbitrary::<u64>()?)),
        6 => Some(Value::String(String::new())),
        7 => Some(json_value(u, 1)?),
        8 => None,
        _ => return u.arbitrary::<String>(),
    };
    if let Some(id) = id {
        map.insert(field.to_owned(), id);
    }
    if u.ratio(1u8, 2)? {
        map.insert("user_info".into(), json_value(u, 2)?);
    }
    let text = serde_json::to_string(&map).unwrap_or_default();
    Ok(if u.ratio(1u8, 8)? {
        // Formatting the signature must keep byte for byte: pretty-printed is another text.
        serde_json::to_string_pretty(&map).unwrap_or(text)
    } else {
        text
    })
}

/// An app key: mostly a valid token, sometimes with a character that must be refused.
pub fn key_like(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0u8..=7)? {
        0..=3 => "fuzz-key".to_owned(),
        4 | 5 => {
            // Up to a few hundred characters: the key travels in every signed query.
            let len = if u.ratio(1u8, 4)? {
                u.int_in_range(25..=400)?
            } else {
                u.int_in_range(1..=24)?
            };
            let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~";
            (0..len)
                .map(|_| u.choose(alphabet).map(|b| char::from(*b)))
                .collect::<Result<_>>()?
        }
        6 => "".to_owned(),
        _ => u.arbitrary::<String>()?,
    })
}

/// A secret: any text, sometimes empty (refused), sometimes long (hashed by HMAC first).
pub fn secret_like(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0u8..=7)? {
        0..=3 => "fuzz-secret".to_owned(),
        4 => String::new(),
        5 => "s".repeat(u.int_in_range(60..=140)?),
        _ => u.arbitrary::<String>()?,
    })
}
