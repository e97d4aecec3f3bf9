//! The C ABI's integer and enumeration arguments with numbers the fuzzer chose: every config
//! setter, lengths beside pointers, and the timeouts of publish / confirmed publish / flush /
//! shutdown on a started engine. Enumeration values outside their constants must give the
//! typed error and leave the config as it was; everything else is checked against the client
//! crate's own answer (pushcast_fuzz::ffi_config).

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pushcast_fuzz::ffi_config::{self, ConfigCase, Lengths, Probe, Step};

/// A u64 argument: the edges (0, 1, the largest values, the top of i64 and of milliseconds
/// that fit a u64 of nanoseconds), small values, or anything.
fn any_u64(u: &mut Unstructured<'_>) -> Result<u64> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => 0,
        1 => u.int_in_range(1..=100)?,
        2 => u.int_in_range(101..=100_000)?,
        3 => u64::MAX,
        4 => *u.choose(&[
            u64::MAX - 1,
            u64::MAX / 1000,
            u64::MAX / 1_000_000,
            i64::MAX as u64,
            1 << 63,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
        ])?,
        _ => u.arbitrary()?,
    })
}

/// A usize argument (capacities, requests in flight): around the checked ranges, or anything.
fn any_usize(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 => u.int_in_range(0..=300)?,
        1 => *u.choose(&[0, 1, 256, 257, usize::MAX, isize::MAX as usize])?,
        _ => u.arbitrary()?,
    })
}

/// An enumeration number: mostly around the constants, sometimes the extremes or anything.
fn any_enum(u: &mut Unstructured<'_>) -> Result<u32> {
    Ok(match u.int_in_range(0u8..=5)? {
        0..=2 => u.int_in_range(0..=6)?,
        3 => *u.choose(&[255, 256, 1000, 1 << 31, u32::MAX - 1, u32::MAX])?,
        _ => u.arbitrary()?,
    })
}

/// A length of `item`-byte items: mostly fine (the real one is passed then), sometimes just
/// around the largest an object can have, or anything.
fn any_len(u: &mut Unstructured<'_>, item: usize) -> Result<usize> {
    let max = isize::MAX as usize / item;
    Ok(match u.int_in_range(0u8..=4)? {
        0 | 1 => 1,
        2 => max + u.int_in_range(0..=2)? - 1,
        3 => *u.choose(&[usize::MAX, usize::MAX / 2, max * 2])?,
        _ => u.arbitrary()?,
    })
}

fn step(u: &mut Unstructured<'_>) -> Result<Step> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => Step::Queue {
            capacity: any_usize(u)?,
            policy: any_enum(u)?,
            block_timeout_ms: any_u64(u)?,
            max_in_flight: any_usize(u)?,
        },
        1 => Step::Timeouts([any_u64(u)?, any_u64(u)?, any_u64(u)?, any_u64(u)?]),
        2 => Step::Breaker {
            failure_threshold: *u.choose(&[0, 1, 5, u32::MAX])?,
            cooldown_ms: any_u64(u)?,
            cooldown_max_ms: any_u64(u)?,
            policy: any_enum(u)?,
        },
        3 => Step::Spool {
            sync: any_enum(u)?,
            sync_interval_ms: any_u64(u)?,
            max_bytes: any_u64(u)?,
            max_age_ms: any_u64(u)?,
        },
        _ => Step::Conflate {
            window_ms: any_u64(u)?,
        },
    })
}

fn case(u: &mut Unstructured<'_>) -> Result<ConfigCase> {
    let n = u.int_in_range(0..=8)?;
    let mut steps = Vec::with_capacity(n);
    for _ in 0..n {
        steps.push(step(u)?);
    }
    let lengths = Lengths {
        channels_len: any_len(u, size_of::<*const u8>())?,
        data_len: any_len(u, 1)?,
        events_len: any_len(u, size_of::<pushcast::pushcast_event>())?,
        headers_len: any_len(u, size_of::<pushcast::pushcast_header>())?,
        body_len: any_len(u, 1)?,
    };
    // A started engine costs tens of milliseconds: one run in 32 (never on exhausted input,
    // where every range gives its lower bound).
    let probe = if u.int_in_range(0u8..=31)? == 31 {
        Some(Probe {
            block_timeout_ms: any_u64(u)?,
            confirmed_ms: any_u64(u)?,
            flush_ms: any_u64(u)?,
            shutdown_ms: any_u64(u)?,
        })
    } else {
        None
    };
    Ok(ConfigCase {
        steps,
        lengths,
        probe,
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(case) = case(&mut Unstructured::new(data)) {
        ffi_config::ffi_config(&case);
    }
});
