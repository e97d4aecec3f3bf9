//! Scale-out proof behind `scripts/scale-out` (see `pushcast_testkit::scale_out`).
//!
//! Full mode: 20,000 events at 1,000/s, node A stopped after 5,000 and down for 5 s. Quick mode
//! (`SCALE_OUT_QUICK=1`, for CI): 6,000 events at 1,000/s, A stopped after 2,000, down for 2 s.
//! `SCALE_OUT_STOP=term` stops A with SIGTERM instead of SIGKILL.
//!
//! Last line: `scale-out published=P delivered=D lost=L failovers=F`; exits 1 unless lost=0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use pushcast_testkit::scale_out::{run, Plan, Stop};

fn main() {
    let quick = std::env::var("SCALE_OUT_QUICK").is_ok_and(|v| v == "1");
    let stop = match std::env::var("SCALE_OUT_STOP").as_deref() {
        Ok("term") => Stop::Term,
        Ok("kill") | Err(_) => Stop::Kill,
        Ok(other) => panic!("SCALE_OUT_STOP={other}: use kill or term"),
    };
    let (events, stop_after, down) = if quick {
        (6_000, 2_000, Duration::from_secs(2))
    } else {
        (20_000, 5_000, Duration::from_secs(5))
    };
    let report = run(&Plan {
        events,
        rate: 1_000,
        channels: 8,
        stop_after,
        down,
        stop,
    });
    let s = &report.stats;
    println!(
        "scale-out accounting: published={} = delivered={} + reported_failed={} + unreported_lost={}; \
         client acked={} failed={} retried={} requests={} requests_failed={}",
        report.published,
        report.delivered,
        report.reported_failed,
        report.unreported_lost,
        s.delivered,
        s.failed,
        s.retried,
        s.requests_sent,
        s.requests_failed,
    );
    println!(
        "scale-out order: duplicates={} out_of_order={}; requests to A: {} before the stop, {} after the restart",
        report.duplicates,
        report.out_of_order,
        report.requests_to_a_before_stop,
        report.requests_to_a_after_restart
    );
    if let Some(error) = &s.last_error {
        println!("scale-out last client error: {error}");
    }
    println!(
        "scale-out published={} delivered={} lost={} failovers={}",
        report.published,
        report.delivered,
        report.lost(),
        s.failovers
    );
    if report.lost() != 0 {
        std::process::exit(1);
    }
}
