//! The durable spool's caller cost, behind `scripts/bench-spool`: how long `publish` takes the
//! caller with the spool off and at each sync level, publishing to a real sockudo at a fixed
//! rate (so the background delivery and deletes run as they would in production), one event
//! per call and, at `every_event`, also 100 events per `publish_batch` call (one fsync for the
//! batch).
//!
//! Each run twice: back to back, and paced at `BENCH_SPOOL_RATE` (default 5,000/s; the last
//! line's figures). `BENCH_SPOOL_EVENTS` (default 20,000 per run).
//! Last line: `bench-spool off_us_p50=.. none_us_p50=.. interval_us_p50=.. every_event_us_p50=..
//! every_event_batch100_us_per_event=..` with the p99 and mean of each printed above it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use pushcast_client::{Client, ClientConfig, SpoolConfig, SpoolSync};
use pushcast_core::Event;
use pushcast_testkit::Sockudo;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Figures {
    p50: f64,
    p99: f64,
    mean: f64,
}

fn figures(mut costs: Vec<Duration>, per_call: usize) -> Figures {
    costs.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6 / per_call as f64;
    let at = |q: f64| us(costs[((costs.len() - 1) as f64 * q) as usize]);
    Figures {
        p50: at(0.5),
        p99: at(0.99),
        mean: costs.iter().map(|d| us(*d)).sum::<f64>() / costs.len() as f64,
    }
}

fn event(i: usize) -> Event {
    let payload = format!(r#"{{"seq":{i},"pad":"{}"}}"#, "x".repeat(200));
    Event::new([format!("bench-{}", i % 8)], "Tick", payload)
}

fn run(
    server: &Sockudo,
    sync: Option<SpoolSync>,
    batch: usize,
    events: usize,
    rate: usize,
) -> Figures {
    let dir = std::env::temp_dir().join(format!("pushcast-bench-spool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = ClientConfig::new(server.app(), server.url());
    config.queue_capacity = 100_000;
    if let Some(sync) = sync {
        let mut spool = SpoolConfig::new(&dir);
        spool.sync = sync;
        config.spool = Some(spool);
    }
    let client = Client::new(config).unwrap();
    client.start().unwrap();
    let calls = events / batch;
    let mut costs = Vec::with_capacity(calls);
    let started = Instant::now();
    for call in 0..calls {
        if rate > 0 {
            let due = started + Duration::from_secs_f64((call * batch) as f64 / rate as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let t = Instant::now();
        if batch == 1 {
            client.publish(event(call)).unwrap();
        } else {
            let events = (0..batch).map(|i| event(call * batch + i)).collect();
            client.publish_batch(events).unwrap();
        }
        costs.push(t.elapsed());
    }
    let report = client.flush(Duration::from_secs(60));
    assert_eq!(report.pending, 0, "{:?}", report.stats);
    assert_eq!(report.stats.delivered as usize, calls * batch);
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
    figures(costs, batch)
}

fn main() {
    let events = env_usize("BENCH_SPOOL_EVENTS", 20_000);
    let rate = env_usize("BENCH_SPOOL_RATE", 5_000);
    let server = Sockudo::start();
    let interval = SpoolSync::Interval(Duration::from_millis(100));
    let runs: [(&str, Option<SpoolSync>, usize, usize); 5] = [
        ("off", None, 1, events),
        ("none", Some(SpoolSync::None), 1, events),
        ("interval", Some(interval), 1, events),
        // One fsync per call: fewer events, or the run takes minutes on a slow disk.
        (
            "every_event",
            Some(SpoolSync::EveryEvent),
            1,
            (events / 10).max(100),
        ),
        (
            "every_event_batch100",
            Some(SpoolSync::EveryEvent),
            100,
            events,
        ),
    ];
    let mut last = Vec::new();
    for (name, sync, batch, n) in runs {
        // Back to back (the cost of the call itself, caches warm), then paced at `rate` (each
        // call after a sleep, as a web request or a queue job would make it).
        let tight = run(&server, sync, batch, n, 0);
        let f = run(&server, sync, batch, n, rate);
        println!(
            "bench-spool {name}: {n} events, {batch} per call, per event: back to back p50 {:.2} us \
             p99 {:.2} us mean {:.2} us; at {rate}/s p50 {:.2} us p99 {:.2} us mean {:.2} us",
            tight.p50, tight.p99, tight.mean, f.p50, f.p99, f.mean
        );
        let key = if batch == 1 {
            format!("{name}_us_p50={:.2}", f.p50)
        } else {
            format!("{name}_us_per_event={:.2}", f.p50)
        };
        last.push(key);
    }
    println!("bench-spool {}", last.join(" "));
}
