//! A lock-free latency histogram with log-linear (HDR-like) buckets, shared by the live stats,
//! the stage timings and the metrics text.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Sub-buckets per power of two: latencies are kept within 1/8 (12.5 %) of their value.
const SUB_BUCKETS: u64 = 8;
const BUCKETS: usize = 8 * 40;

/// A lock-free histogram of microsecond values, log-linear (HDR-like) buckets.
pub(crate) struct Histogram {
    counts: Box<[AtomicU64]>,
    /// Sum of every recorded value, µs (for the metrics' `_sum`).
    sum_us: AtomicU64,
}

fn bucket_of(micros: u64) -> usize {
    if micros < SUB_BUCKETS {
        return micros as usize;
    }
    let exponent = 63 - u64::from(micros.leading_zeros()); // ≥ 3
    let shift = exponent - 3;
    let mantissa = (micros >> shift) & (SUB_BUCKETS - 1);
    let index = (shift + 1) * SUB_BUCKETS + mantissa;
    (index as usize).min(BUCKETS - 1)
}

/// The upper bound (µs) of a bucket, what a percentile reports.
pub(crate) fn bucket_upper(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return index;
    }
    let shift = index / SUB_BUCKETS - 1;
    let mantissa = index % SUB_BUCKETS;
    ((SUB_BUCKETS + mantissa + 1) << shift) - 1
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            sum_us: AtomicU64::new(0),
        }
    }

    pub(crate) fn record(&self, value: Duration) {
        self.record_n(value, 1);
    }

    /// Records `value` for `n` events at once.
    pub(crate) fn record_n(&self, value: Duration, n: u64) {
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(micros)].fetch_add(n, Relaxed);
        self.sum_us.fetch_add(micros.saturating_mul(n), Relaxed);
    }

    /// Every bucket's count (bucket `i` holds values up to `bucket_upper(i)` µs) and the sum.
    pub(crate) fn raw(&self) -> (Vec<u64>, u64) {
        let counts = self.counts.iter().map(|c| c.load(Relaxed)).collect();
        (counts, self.sum_us.load(Relaxed))
    }

    /// The value at quantile `q` (0..=1), in microseconds; `None` when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<u64> {
        let counts: Vec<u64> = self.counts.iter().map(|c| c.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(bucket_upper(i));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_bound_their_values() {
        let mut last = 0;
        for v in (0..100_000u64).chain([1 << 30, u64::MAX / 2]) {
            let b = bucket_of(v);
            assert!(b >= last || v == 0, "bucket order broke at {v}");
            last = b;
            if b < BUCKETS - 1 {
                assert!(
                    bucket_upper(b) >= v,
                    "{v} above its bucket's bound {}",
                    bucket_upper(b)
                );
                assert!(bucket_upper(b) as f64 <= (v as f64) * 1.125 + 1.0, "{v}");
            }
        }
    }

    #[test]
    fn quantiles() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), None);
        for ms in 1..=100u64 {
            h.record(Duration::from_millis(ms));
        }
        let p50 = h.quantile(0.5).unwrap();
        let p99 = h.quantile(0.99).unwrap();
        assert!((50_000..=56_250).contains(&p50), "{p50}");
        assert!((99_000..=111_375).contains(&p99), "{p99}");
    }
}
