//! Server response parsing.
//!
//! Raw mode (first byte even): byte 1 picks the HTTP status, the rest is the body; every
//! parser answers without panicking, with the error the status calls for. Structured mode
//! (first byte odd): answers built from values parse back to them.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pushcast_fuzz::checks::{self, ResponseCase};

const STATUSES: [u16; 16] = [
    200, 400, 401, 403, 404, 413, 422, 429, 500, 502, 503, 504, 202, 204, 0, 999,
];

fn info(u: &mut Unstructured<'_>) -> Result<(Option<bool>, Option<u64>, Option<u64>)> {
    Ok((u.arbitrary()?, u.arbitrary()?, u.arbitrary()?))
}

fn structured(u: &mut Unstructured<'_>) -> Result<ResponseCase> {
    let (c, b, n) = (
        u.int_in_range(0..=4)?,
        u.int_in_range(0..=4)?,
        u.int_in_range(0..=4)?,
    );
    let mut channels = Vec::with_capacity(c);
    for _ in 0..c {
        let (o, uc, sc) = info(u)?;
        channels.push((u.arbitrary()?, o, uc, sc));
    }
    Ok(ResponseCase {
        channels,
        batch: (0..b).map(|_| info(u)).collect::<Result<_>>()?,
        users: (0..n)
            .map(|_| {
                Ok(if u.arbitrary()? {
                    Ok(u.arbitrary()?)
                } else {
                    Err(u.arbitrary()?)
                })
            })
            .collect::<Result<_>>()?,
        extra_field: u.arbitrary()?,
    })
}

fuzz_target!(|data: &[u8]| {
    let [mode, status, body @ ..] = data else {
        return;
    };
    if mode & 1 == 0 {
        // Half the inputs are 200s: the interesting parsing is there.
        let status = if status & 1 == 0 {
            200
        } else {
            STATUSES[usize::from(status >> 1) % STATUSES.len()]
        };
        checks::response(status, body);
    } else if let Ok(case) = structured(&mut Unstructured::new(&data[1..])) {
        checks::response_roundtrip(&case);
    }
});
