//! Channel, event, socket id and user id validation against independent oracles.
//!
//! Input: one byte choosing the server profile, then the name (raw bytes, read as UTF-8 with
//! replacement characters): raw so that libFuzzer's comparison tracing finds the prefixes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pushcast_fuzz::checks;

fuzz_target!(|data: &[u8]| {
    let Some((&profile, text)) = data.split_first() else {
        return;
    };
    checks::names(profile, &String::from_utf8_lossy(text));
});
