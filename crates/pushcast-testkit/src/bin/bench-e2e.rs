//! End-to-end benchmark behind `scripts/bench-e2e`.
//!
//! One run, one machine, one sockudo, one subscriber counting deliveries:
//! 1. the server's own ceiling: a raw load generator replays one pre-signed `batch_events`
//!    request (same batch size and payload as the client uses) with 16 requests in flight;
//! 2. pushcast's throughput: N events published as fast as `publish` returns, delivered/s
//!    measured at the subscriber, and the caller's cost of each `publish`;
//! 3. latency at a steady 1,000 events/s: publish instant to arrival at the subscriber.
//!
//! Last line: `e2e events=N delivered=D lost=L delivered_per_s=X ceiling_per_s=Y ratio=R
//! enqueue_ns_p50=E p50_ms=A p99_ms=B`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_client::{Backpressure, Client, ClientConfig};
use pushcast_core::{unix_now, Event};
use pushcast_testkit::{Sockudo, SockudoOptions, Subscriber, APP_KEY};

struct Args {
    events: usize,
    payload: usize,
    batch: usize,
    ceiling_secs: u64,
    steady_secs: u64,
}

fn args() -> Args {
    let mut a = Args {
        events: 100_000,
        payload: 100,
        batch: 100,
        ceiling_secs: 3,
        steady_secs: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value: u64 = it
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a number"));
        match flag.as_str() {
            "--events" => a.events = value as usize,
            "--payload" => a.payload = value as usize,
            "--batch" => a.batch = value as usize,
            "--ceiling-secs" => a.ceiling_secs = value,
            "--steady-secs" => a.steady_secs = value,
            _ => panic!("unknown flag {flag}"),
        }
    }
    a
}

/// JSON data of about `size` bytes carrying a sequence number.
fn payload(seq: usize, size: usize) -> String {
    let head = format!(r#"{{"seq":{seq},"pad":""#);
    let pad = size.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

fn seq_of(data: &str) -> usize {
    let start = data.find(":").unwrap() + 1;
    let end = data.find(",").unwrap();
    data[start..end].parse().unwrap()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ceiling(server: &Sockudo, args: &Args, sub: &Subscriber) -> f64 {
    let app = server.app();
    let events: Vec<Event> = (0..args.batch)
        .map(|i| Event::new(["bench-ceiling"], "Tick", payload(i, args.payload)))
        .collect();
    let request = app.batch_request(events, unix_now()).unwrap();
    let url = format!("{}{}", server.url(), request.path_and_query());
    let body = request.body.unwrap();
    let before = sub.count();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ok = Arc::new(AtomicU64::new(0));
    let bad = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let stop = started + Duration::from_secs(args.ceiling_secs);
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (http, url, body, ok, bad) = (
                http.clone(),
                url.clone(),
                body.clone(),
                ok.clone(),
                bad.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while Instant::now() < stop {
                    let sent = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 200 => ok.fetch_add(1, Ordering::Relaxed),
                        _ => bad.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = ok.load(Ordering::Relaxed) as usize * args.batch;
    // The ceiling counts only what the subscriber saw arrive.
    let arrived = sub.wait_for(before + accepted, Duration::from_secs(30)) - before;
    println!(
        "ceiling: {} requests ok, {} failed, {accepted} events accepted, {arrived} arrived in {elapsed:.2}s",
        ok.load(Ordering::Relaxed),
        bad.load(Ordering::Relaxed)
    );
    arrived as f64 / elapsed
}

fn main() {
    let args = args();
    let server = Sockudo::start_with(SockudoOptions {
        max_batch: args.batch,
        ..SockudoOptions::default()
    });
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    for c in ["bench-ceiling", "bench-client", "bench-steady"] {
        sub.subscribe(&app, c);
    }
    println!(
        "bench-e2e: sockudo on :{}, batches of {}, {}-byte payloads, {} events",
        server.port, args.batch, args.payload, args.events
    );

    let ceiling_per_s = ceiling(&server, &args, &sub);

    // Throughput: publish as fast as publish() returns.
    let mut config = ClientConfig::new(app.clone(), server.url());
    config.queue_capacity = args.events.max(10_000);
    config.backpressure = Backpressure::Block {
        timeout: Duration::from_secs(60),
    };
    let client = Client::new(config).unwrap();
    client
        .publish(Event::new(["bench-warmup"], "Warm", "{}"))
        .unwrap(); // engine start is not a publish cost
    client.flush(Duration::from_secs(5));
    let datas: Vec<String> = (0..args.events).map(|i| payload(i, args.payload)).collect();
    let before = sub.count();
    let mut enqueue_ns = Vec::with_capacity(args.events);
    let started = Instant::now();
    for data in &datas {
        let event = Event::new(["bench-client"], "Tick", data.as_str());
        let t = Instant::now();
        client.publish(event).unwrap();
        enqueue_ns.push(t.elapsed().as_nanos() as f64);
    }
    let published_in = started.elapsed();
    let flush = client.flush(Duration::from_secs(120));
    sub.wait_for(before + args.events, Duration::from_secs(60));
    let received: Vec<_> = sub
        .events()
        .into_iter()
        .skip(before)
        .filter(|e| e.channel == "bench-client")
        .collect();
    let last_arrival = received.iter().map(|e| e.at).max().unwrap_or(started);
    let distinct: HashSet<usize> = received.iter().map(|e| seq_of(&e.data)).collect();
    let delivered = distinct.len();
    let lost = args.events - delivered;
    let delivered_per_s = delivered as f64 / last_arrival.duration_since(started).as_secs_f64();
    enqueue_ns.sort_by(f64::total_cmp);
    println!(
        "client: published {} in {:.3}s ({:.0}/s at the caller), delivered {delivered} ({} duplicates), flush pending {}",
        args.events,
        published_in.as_secs_f64(),
        args.events as f64 / published_in.as_secs_f64(),
        received.len() - delivered,
        flush.pending
    );
    println!(
        "client: enqueue ns p50 {:.0} p99 {:.0} max {:.0}; requests {} for {} events",
        percentile(&enqueue_ns, 0.5),
        percentile(&enqueue_ns, 0.99),
        enqueue_ns.last().copied().unwrap_or(f64::NAN),
        flush.stats.requests_sent,
        flush.stats.delivered
    );

    // Latency at a steady 1,000 events/s.
    let steady = args.steady_secs as usize * 1000;
    let before = sub.count();
    let mut sent_at = Vec::with_capacity(steady);
    let start = Instant::now();
    for i in 0..steady {
        let due = start + Duration::from_millis(i as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        sent_at.push(Instant::now());
        client
            .publish(Event::new(
                ["bench-steady"],
                "Tick",
                payload(i, args.payload),
            ))
            .unwrap();
    }
    client.flush(Duration::from_secs(30));
    sub.wait_for(before + steady, Duration::from_secs(30));
    let mut latencies: Vec<f64> = sub
        .events()
        .into_iter()
        .skip(before)
        .filter(|e| e.channel == "bench-steady")
        .map(|e| e.at.duration_since(sent_at[seq_of(&e.data)]).as_secs_f64() * 1000.0)
        .collect();
    let steady_lost = steady - latencies.len();
    latencies.sort_by(f64::total_cmp);
    let stats = client.stats();
    println!(
        "steady: {steady} events at 1000/s, {} arrived, latency ms p50 {:.3} p99 {:.3} max {:.3}; client stats {stats:?}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    drop(client);
    // Every event of both phases counts: events = delivered + lost.
    println!(
        "e2e events={} delivered={} lost={} delivered_per_s={delivered_per_s:.0} ceiling_per_s={ceiling_per_s:.0} ratio={:.2} enqueue_ns_p50={:.0} p50_ms={:.3} p99_ms={:.3}",
        args.events + steady,
        delivered + latencies.len(),
        lost + steady_lost,
        delivered_per_s / ceiling_per_s,
        percentile(&enqueue_ns, 0.5),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );
}
