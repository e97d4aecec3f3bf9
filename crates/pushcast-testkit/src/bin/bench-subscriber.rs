//! The counting subscriber of `scripts/bench-all`: one WebSocket subscriber (our
//! tokio-tungstenite client) on one channel of a running server.
//!
//! Prints `ready` once subscribed, then waits for `--expect` events (or for `--idle-secs`
//! without a new one once events started, or `--timeout-secs` in all), and prints one JSON line:
//! received, distinct sequence numbers, duplicates, first and last arrival (Unix µs), and the
//! end-to-end latency percentiles (arrival − the payload's `t_us`). `--latencies FILE` writes
//! every latency (ms), one per line, for the plots.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use pushcast_testkit::bench::{percentile, seq_and_time, unix_micros};
use pushcast_testkit::{Subscriber, APP_ID, APP_KEY, APP_SECRET};

fn main() {
    let mut port = 0u16;
    let mut channel = String::new();
    let (mut expect, mut idle_secs, mut timeout_secs) = (0usize, 10u64, 600u64);
    let mut latencies_file = None;
    for (flag, value) in pushcast_testkit::bench::flag_pairs() {
        match flag.as_str() {
            "--port" => port = value.parse().unwrap(),
            "--channel" => channel = value,
            "--expect" => expect = value.parse().unwrap(),
            "--idle-secs" => idle_secs = value.parse().unwrap(),
            "--timeout-secs" => timeout_secs = value.parse().unwrap(),
            "--latencies" => latencies_file = Some(value),
            _ => panic!("unknown flag {flag}"),
        }
    }
    let app = pushcast_core::App::new(
        pushcast_core::Credentials::new(APP_ID, APP_KEY, APP_SECRET).unwrap(),
    );
    let sub = Subscriber::connect(port, APP_KEY);
    sub.subscribe(&app, &channel);
    // Arrival instants are monotonic; one pair of readings maps them onto Unix time.
    let (base_instant, base_unix) = (Instant::now(), unix_micros());
    println!("ready");
    std::io::stdout().flush().unwrap();

    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    let (mut last_count, mut last_change) = (0, Instant::now());
    loop {
        let count = sub.count();
        if count >= expect || Instant::now() > deadline {
            break;
        }
        if count != last_count {
            (last_count, last_change) = (count, Instant::now());
        } else if count > 0 && last_change.elapsed() > Duration::from_secs(idle_secs) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    let received: Vec<_> = sub
        .events()
        .into_iter()
        .filter(|e| e.channel == channel)
        .collect();
    let unix_of = |at: Instant| -> f64 {
        if at >= base_instant {
            base_unix as f64 + (at - base_instant).as_micros() as f64
        } else {
            base_unix as f64 - (base_instant - at).as_micros() as f64
        }
    };
    let mut seen = HashSet::new();
    let mut latencies_ms = Vec::with_capacity(received.len());
    let (mut first, mut last) = (f64::INFINITY, 0f64);
    for event in &received {
        let Some((seq, t_us)) = seq_and_time(&event.data) else {
            continue;
        };
        let arrival = unix_of(event.at);
        first = first.min(arrival);
        last = last.max(arrival);
        if seen.insert(seq) {
            latencies_ms.push((arrival - t_us as f64) / 1000.0);
        }
    }
    if let Some(path) = latencies_file {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        for l in &latencies_ms {
            writeln!(out, "{l:.3}").unwrap();
        }
    }
    latencies_ms.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "received": received.len(),
            "distinct": seen.len(),
            "duplicates": received.len() - seen.len(),
            "first_unix_us": if first.is_finite() { first } else { 0.0 },
            "last_unix_us": last,
            "latency_ms_p50": percentile(&latencies_ms, 0.5),
            "latency_ms_p99": percentile(&latencies_ms, 0.99),
            "latency_ms_max": latencies_ms.last().copied().unwrap_or(f64::NAN),
        })
    );
}
