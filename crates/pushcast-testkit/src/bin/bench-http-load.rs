//! An open-loop HTTP load generator for the PHP-FPM shape of `scripts/bench-all`: `--requests`
//! GETs of `--url` at a fixed `--rate` per second, each started at its scheduled instant
//! whatever the previous ones are doing (up to `--concurrency` in flight; past that a request
//! waits, and the wait counts in its time). `ab` keeps a fixed number of requests in flight,
//! so the faster a server answers the more load it gets; comparing two servers' latency at the
//! same offered load needs a fixed rate instead (no coordinated omission: a request's time runs
//! from when it was due). Prints one JSON line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_testkit::bench::percentile;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (mut url, mut rate, mut requests, mut concurrency) = (String::new(), 500f64, 1000u64, 64);
    for (flag, value) in pushcast_testkit::bench::flag_pairs() {
        match flag.as_str() {
            "--url" => url = value,
            "--rate" => rate = value.parse().unwrap(),
            "--requests" => requests = value.parse().unwrap(),
            "--concurrency" => concurrency = value.parse().unwrap(),
            _ => panic!("unknown flag {flag}"),
        }
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(requests as usize);
    for i in 0..requests {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let ok = match http.get(&url).send().await {
                Ok(answer) => answer.status().is_success() && answer.bytes().await.is_ok(),
                Err(_) => false,
            };
            drop(permit);
            (ok, due.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let (mut times_ms, mut failed) = (Vec::with_capacity(tasks.len()), 0u64);
    for task in tasks {
        let (ok, ms) = task.await.unwrap();
        failed += u64::from(!ok);
        times_ms.push(ms);
    }
    let elapsed = started.elapsed().as_secs_f64();
    times_ms.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "requests": requests, "failed": failed, "rate": rate,
            "request_ms_p50": percentile(&times_ms, 0.5),
            "request_ms_p99": percentile(&times_ms, 0.99),
            "requests_per_s": requests as f64 / elapsed,
        })
    );
}
