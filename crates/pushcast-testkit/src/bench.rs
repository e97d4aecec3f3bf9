//! What every publisher of `scripts/bench-all` shares, so that each language sends the same
//! bytes: a JSON payload of a given size carrying a sequence number and the publish instant
//! (`t_us`, Unix microseconds), from which the subscriber computes end-to-end latency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time now, in microseconds.
pub fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// `{"seq":N,"t_us":T,"pad":"xx…"}`, padded to about `size` bytes.
pub fn payload(seq: u64, t_us: u64, size: usize) -> String {
    let head = format!(r#"{{"seq":{seq},"t_us":{t_us},"pad":""#);
    let pad = size.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

/// The `seq` and `t_us` of a payload made by [`payload`] (or by the other languages' twins).
pub fn seq_and_time(data: &str) -> Option<(u64, u64)> {
    let value: serde_json::Value = serde_json::from_str(data).ok()?;
    Some((value.get("seq")?.as_u64()?, value.get("t_us")?.as_u64()?))
}

/// The value at quantile `q` of sorted values (nearest rank); NaN when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The publish instant an event carries: now when unpaced; at a fixed rate, the instant it was
/// due, so that a caller falling behind its schedule shows as latency (no coordinated omission).
pub fn stamp(started_unix_us: u64, seq: u64, rate: f64) -> u64 {
    if rate <= 0.0 {
        return unix_micros();
    }
    started_unix_us + (seq as f64 * 1e6 / rate) as u64
}

/// Sleeps until `seq`'s slot of a steady `rate` per second that began at `start` (0: no pacing).
pub fn pace(start: std::time::Instant, seq: u64, rate: f64) {
    if rate <= 0.0 {
        return;
    }
    let due = start + std::time::Duration::from_secs_f64(seq as f64 / rate);
    let now = std::time::Instant::now();
    if due > now {
        std::thread::sleep(due - now);
    }
}

/// The command line of a benchmark binary as `(flag, value)` pairs: every flag of these
/// binaries takes a value. Panics (a usage error) on a flag without one.
pub fn flag_pairs() -> Vec<(String, String)> {
    let mut args = std::env::args().skip(1);
    let mut pairs = Vec::new();
    while let Some(flag) = args.next() {
        match args.next() {
            Some(value) => pairs.push((flag, value)),
            None => {
                eprintln!("{flag} needs a value");
                std::process::exit(2);
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_has_the_size_and_reads_back() {
        let p = payload(42, 1_700_000_000_000_000, 100);
        assert_eq!(p.len(), 100);
        assert_eq!(seq_and_time(&p), Some((42, 1_700_000_000_000_000)));
        assert_eq!(payload(1, 2, 1024).len(), 1024);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
