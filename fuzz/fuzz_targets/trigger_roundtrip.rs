//! Trigger and batch serialization round trip: validation, encryption, bodies read back with
//! serde_json, and request signatures recomputed with an independent HMAC.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use pushcast_fuzz::checks::{self, TriggerCase};
use pushcast_fuzz::gen;

#[derive(Debug, Arbitrary)]
struct Input {
    profile: u8,
    #[arbitrary(with = gen::key_like)]
    key: String,
    #[arbitrary(with = gen::channels)]
    channels: Vec<String>,
    #[arbitrary(with = gen::name_like)]
    name: String,
    #[arbitrary(with = gen::data_like)]
    data: String,
    #[arbitrary(with = gen::optional_socket)]
    socket_id: Option<String>,
    #[arbitrary(with = gen::optional_info)]
    info: Option<String>,
    timestamp: u64,
}

fuzz_target!(|input: Input| {
    checks::trigger(&TriggerCase {
        profile: input.profile,
        key: input.key,
        channels: input.channels,
        name: input.name,
        data: input.data,
        socket_id: input.socket_id,
        info: input.info,
        timestamp: input.timestamp,
    });
});
