//! pushcast's Rust publisher in `scripts/bench-all` (the other languages' twins live in
//! tests/bench/): publishes `--events` events of `--payload` bytes to `--channel` on `--url`,
//! as fast as `publish` returns (`--rate 0`) or paced at `--rate` per second, times each
//! `publish` call, flushes, and prints one JSON line with the caller's cost and the outcome.
//! The queue blocks when full (nothing is dropped), so a caller outrunning the server waits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use pushcast_client::{Backpressure, Client, ClientConfig};
use pushcast_core::{App, Credentials, Event, ServerProfile};
use pushcast_testkit::bench::{pace, payload, percentile, stamp, unix_micros};
use pushcast_testkit::{SockudoOptions, APP_ID, APP_KEY, APP_SECRET};

fn main() {
    let (mut url, mut channel, mut ca_file) = (String::new(), String::new(), None);
    let (mut events, mut size, mut rate) = (10_000u64, 100usize, 0f64);
    for (flag, value) in pushcast_testkit::bench::flag_pairs() {
        match flag.as_str() {
            "--url" => url = value,
            "--channel" => channel = value,
            "--events" => events = value.parse().unwrap(),
            "--payload" => size = value.parse().unwrap(),
            "--rate" => rate = value.parse().unwrap(),
            "--ca-file" => ca_file = Some(value.into()),
            _ => panic!("unknown flag {flag}"),
        }
    }
    // The limits of the test kit's sockudo, which serve-sockudo runs.
    let limits = SockudoOptions::default();
    let mut profile = ServerProfile::sockudo();
    profile.max_events_per_batch = Some(limits.max_batch);
    let app =
        App::new(Credentials::new(APP_ID, APP_KEY, APP_SECRET).unwrap()).with_profile(profile);
    let mut config = ClientConfig::new(app, url);
    config.queue_capacity = 100_000;
    config.backpressure = Backpressure::Block {
        timeout: Duration::from_secs(60),
    };
    config.ca_file = ca_file;
    let client = Client::new(config).unwrap();
    // Starting the engine is not a publish cost.
    client
        .publish(Event::new(["bench-warmup"], "Warm", "{}"))
        .unwrap();
    client.flush(Duration::from_secs(10));
    let warm = client.stats();

    let mut calls_us = Vec::with_capacity(events as usize);
    let (started, started_unix) = (Instant::now(), unix_micros());
    for seq in 0..events {
        pace(started, seq, rate);
        let data = payload(seq, stamp(started_unix, seq, rate), size);
        let t = Instant::now();
        client
            .publish(Event::new([channel.as_str()], "Tick", data))
            .unwrap();
        calls_us.push(t.elapsed().as_nanos() as f64 / 1000.0);
    }
    let published_s = started.elapsed().as_secs_f64();
    let report = client.flush(Duration::from_secs(300));
    let elapsed_s = started.elapsed().as_secs_f64();
    calls_us.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "impl": "pushcast-rust",
            "n": events,
            "call_us_p50": percentile(&calls_us, 0.5),
            "call_us_p99": percentile(&calls_us, 0.99),
            "published_s": published_s,
            "elapsed_s": elapsed_s,
            "acknowledged": report.stats.delivered - warm.delivered,
            "failed": report.stats.failed - warm.failed,
            "pending": report.pending,
            "requests": report.stats.requests_sent - warm.requests_sent,
            // The warm-up event is in these too: one event among thousands.
            "stages": stages_json(&client.stage_latencies()),
        })
    );
}

/// The engine's stage histograms as `{stage: {p50_us, p99_us, count, buckets: [[upper, n]]}}`,
/// the shape tests/bench merges and tabulates.
fn stages_json(stages: &[pushcast_client::StageLatency]) -> serde_json::Value {
    stages
        .iter()
        .map(|s| {
            (
                s.stage.to_owned(),
                serde_json::json!({
                    "what": s.what, "count": s.count, "p50_us": s.p50_us, "p99_us": s.p99_us,
                    "buckets": s.buckets,
                }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}
