//! The C ABI's string entry points with arbitrary bytes (NUL-cut, invalid UTF-8, NULL): each
//! call answers with the documented result code and the core's exact output.

#![no_main]

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pushcast_fuzz::ffi::{self, Arg, FfiCase};
use pushcast_fuzz::gen;

/// An argument: mostly a good value for the parameter, sometimes one with a byte changed
/// (invalid UTF-8 included), raw bytes, or NULL.
fn arg(u: &mut Unstructured<'_>, good: &[String]) -> Result<Arg> {
    Ok(match u.int_in_range(0u8..=15)? {
        0..=8 => Some(u.choose(good)?.clone().into_bytes()),
        9..=11 => {
            let mut bytes = u.choose(good)?.clone().into_bytes();
            let b = *u.choose(&[0xff, 0xc3, 0x80, 0x00, b'#', b' ', b'"', b'\\'])?;
            let at = u.int_in_range(0..=bytes.len())?;
            if at < bytes.len() && u.arbitrary()? {
                bytes[at] = b;
            } else {
                bytes.insert(at, b);
            }
            Some(bytes)
        }
        12..=14 => Some(u.arbitrary()?),
        _ => None,
    })
}

/// An optional argument: NULL a third of the time.
fn opt_arg(u: &mut Unstructured<'_>, good: &[String]) -> Result<Arg> {
    Ok(if u.ratio(1u8, 3)? {
        None
    } else {
        arg(u, good)?
    })
}

fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn case(u: &mut Unstructured<'_>) -> Result<FfiCase> {
    let master = BASE64.encode([b'a'; 32]);
    let channel = vec![
        gen::name_like(u)?,
        "private-orders.1".to_owned(),
        "presence-room".to_owned(),
        "private-encrypted-vault".to_owned(),
    ];
    let body = match u.int_in_range(0u8..=3)? {
        0 => u.arbitrary()?,
        _ => format!(
            r#"{{"time_ms":{},"events":[{{"name":"client_event","channel":{},"data":{}}}]}}"#,
            u.arbitrary::<u64>()?,
            serde_json::Value::from(u.choose(&channel)?.as_str()),
            serde_json::Value::from(gen::data_like(u)?),
        )
        .into_bytes(),
    };
    let n = u.int_in_range(0..=3)?;
    let header_names = strs(&["X-Pusher-Key", "X-Pusher-Signature", "x-pusher-key", "Host"]);
    let header_values = strs(&["k", "fuzz-key", &"0".repeat(64), ""]);
    let mut headers = Vec::with_capacity(n);
    for _ in 0..n {
        headers.push((arg(u, &header_names)?, arg(u, &header_values)?));
    }
    let glob = strs(&["*", "order.*", "private-?", ""]);
    let socket = [gen::socket_like(u)?, "1.1".to_owned()];
    let channel_data = [gen::user_json(u, "user_id")?];
    let user = [gen::name_like(u)?, "7".to_owned()];
    let user_info = [serde_json::to_string(&gen::json_value(u, 2)?).unwrap_or_default()];
    let user_data = [gen::user_json(u, "id")?];
    Ok(FfiCase {
        app_id: arg(u, &strs(&["4711", "1"]))?,
        key: arg(u, &strs(&["fuzz-key", "k"]))?,
        secret: arg(u, &strs(&["fuzz-secret", "s"]))?,
        profile: arg(
            u,
            &strs(&["strict", "Pusher", "reverb", "sockudo", "soketi", "custom"]),
        )?,
        // Every limit the core knows, so a new one is fuzzed too.
        limit: arg(u, &strs(pushcast_core::ServerProfile::LIMIT_NAMES))?,
        limit_value: *u.choose(&[0, 1, 10, 20, 100, 200, usize::MAX])?,
        master_key: arg(u, &[master, "YWFh".to_owned()])?,
        socket_id: arg(u, &socket)?,
        channel: arg(u, &channel)?,
        channel_data: opt_arg(u, &channel_data)?,
        user_id: arg(u, &user)?,
        user_info: opt_arg(u, &user_info)?,
        user_data: arg(u, &user_data)?,
        headers,
        sign: u.ratio(3u8, 4)?,
        fuzzed_headers_first: u.arbitrary()?,
        body,
        max_age_ms: *u.choose(&[0, 0, 1, 300_000, u64::MAX])?,
        endpoint: arg(
            u,
            &strs(&[
                "http://127.0.0.1:6001",
                "https://api.example.invalid",
                "ftp://x",
                "http://",
            ]),
        )?,
        endpoint2: arg(
            u,
            &strs(&["http://[::1]:6001", "http://h/?q=1", "not a url"]),
        )?,
        conflate: [
            opt_arg(u, &glob)?,
            opt_arg(u, &glob)?,
            opt_arg(u, &strs(&["id", ""]))?,
        ],
        window_ms: *u.choose(&[0, 1, 1_000])?,
        ca_file: opt_arg(u, &strs(&["/nonexistent/ca.pem", "/etc/hostname", ""]))?,
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(case) = case(&mut Unstructured::new(data)) {
        ffi::ffi_strings(&case);
    }
});
