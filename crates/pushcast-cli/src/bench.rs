//! `pushcast bench`: a load generator through the publisher, with a progress bar and live
//! stats in a file (see [`crate::stats_file`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_client::Client;
use pushcast_core::Event;

use crate::cli::BenchArgs;
use crate::client::{build, report_failures, seconds};
use crate::config::Resolved;
use crate::error::{CliError, CliResult, Exit};
use crate::progress::Progress;
use crate::stats_file::{self, BenchSnapshot};

/// Data of about `size` bytes: `{"i":N,"pad":"xxx..."}`.
fn payload(i: u64, size: usize) -> String {
    let bare = format!("{{\"i\":{i},\"pad\":\"\"}}");
    let pad = "x".repeat(size.saturating_sub(bare.len()));
    format!("{{\"i\":{i},\"pad\":\"{pad}\"}}")
}

struct Live {
    client: Arc<Client>,
    published: AtomicU64,
    stop: AtomicBool,
    target: u64,
    started: Instant,
}

/// Every 500 ms: write the stats file and move the bar.
fn report_loop(live: &Live, path: &std::path::Path, progress: &Progress) {
    let mut last_write = Instant::now() - Duration::from_secs(1);
    while !live.stop.load(Ordering::Relaxed) {
        let stats = live.client.stats();
        progress.update(&stats);
        if last_write.elapsed() >= Duration::from_millis(500) {
            let snapshot = BenchSnapshot::new(
                &stats,
                live.target,
                live.published.load(Ordering::Relaxed),
                live.started.elapsed(),
                false,
            );
            if let Err(e) = stats_file::write(path, &snapshot) {
                eprintln!("pushcast: {e}");
            }
            last_write = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs the bench.
pub fn run(config: &Resolved, args: &BenchArgs) -> CliResult {
    if args.channels == 0 {
        return Err(CliError::usage("--channels must be at least 1"));
    }
    let timeout = seconds(args.timeout, "--timeout")?;
    let path = args
        .stats_file
        .clone()
        .unwrap_or_else(stats_file::default_path);
    let client = Arc::new(build(config)?);
    let channels: Vec<String> = (0..args.channels)
        .map(|i| format!("{}{i}", args.channel_prefix))
        .collect();
    // Check names and sizes once, before anything is sent.
    client.app().prepare(Event::new(
        [&channels[0]],
        "bench",
        payload(0, args.payload_size),
    ))?;

    let live = Arc::new(Live {
        client: Arc::clone(&client),
        published: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        target: args.events,
        started: Instant::now(),
    });
    stats_file::write(
        &path,
        &BenchSnapshot::new(&client.stats(), args.events, 0, Duration::ZERO, false),
    )?;
    stats_file::announce(&path)?;
    eprintln!(
        "pushcast bench: live stats in {} (read them with `pushcast stats --stats-file {0} --watch`)",
        path.display()
    );
    let progress = Arc::new(Progress::new(args.events, "bench"));
    let reporter = {
        let (live, path, progress) = (Arc::clone(&live), path.clone(), Arc::clone(&progress));
        std::thread::spawn(move || report_loop(&live, &path, &progress))
    };

    let mut refused = 0u64;
    for i in 0..args.events {
        if args.rate > 0 {
            let due = live.started + Duration::from_secs_f64(i as f64 / args.rate as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let channel = &channels[(i % channels.len() as u64) as usize];
        let event = Event::new([channel], "bench", payload(i, args.payload_size));
        match client.publish(event) {
            Ok(_) => {
                live.published.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                // Counted by the client (rejected_queue_full) and in the summary; shown once.
                if refused == 0 {
                    eprintln!("pushcast: publish refused: {e}");
                }
                refused += 1;
            }
        }
    }
    let report = client.flush(timeout);
    live.stop.store(true, Ordering::Relaxed);
    let _ = reporter.join();
    progress.update(&report.stats);
    progress.finish();
    let elapsed = live.started.elapsed();
    let published = live.published.load(Ordering::Relaxed);
    let snapshot = BenchSnapshot::new(&report.stats, args.events, published, elapsed, true);
    stats_file::write(&path, &snapshot)?;
    report_failures(&client.drain_failures(), 20);
    client.shutdown(Duration::ZERO);
    let stats = &report.stats;
    println!(
        "bench events={} published={published} delivered={} failed={} refused={refused} pending={} elapsed_s={:.2} delivered_per_s={:.0} p50_us={} p99_us={}",
        args.events,
        stats.delivered,
        stats.failed,
        report.pending,
        elapsed.as_secs_f64(),
        snapshot.delivered_per_s,
        stats.latency_p50_us.unwrap_or_default(),
        stats.latency_p99_us.unwrap_or_default(),
    );
    if stats.delivered < args.events {
        return Err(CliError::new(
            Exit::Delivery,
            format!(
                "{} of {} events not delivered",
                args.events - stats.delivered,
                args.events
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_has_the_asked_size_when_it_can() {
        assert_eq!(payload(7, 100).len(), 100);
        let tiny = payload(12345, 3);
        assert!(serde_json::from_str::<serde_json::Value>(&tiny).is_ok());
    }
}
