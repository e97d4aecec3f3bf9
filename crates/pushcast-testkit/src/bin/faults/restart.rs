//! Server killed mid-stream: a paced stream (2,000 events/s) to a real sockudo, which is
//! SIGKILLed, kept dead for the outage, and restarted on the same port; every event must arrive.
//!
//! Two things a publisher cannot fix are kept out of the figure, honestly:
//! - sockudo answers a publish before its websocket writes reach the subscriber, so a kill
//!   drops what it acknowledged and had not relayed yet (the server's loss: the publisher
//!   already has its 200). So the kill comes in three steps: a gate (the fault proxy, between
//!   publisher and server) starts refusing new connections, the requests already under way are
//!   answered, the subscriber receives everything sockudo acknowledged, and then sockudo is
//!   killed (SIGKILL). The stream does not pause: events queue up and are retried from then on.
//! - a restarted sockudo has no subscribers until ours reconnects; the gate stays closed until
//!   it has, so retries cannot reach an empty server.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pushcast_client::Client;
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, Subscriber, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config, ms, pace, wait_until, Mode};

const CHANNEL: &str = "restart";

/// What happened during the outage, for the line.
struct Outage {
    subscriber: Subscriber,
    /// Events published while the gate was closed.
    published_meanwhile: usize,
    dead: Duration,
    gate_closed: Duration,
    caught_up: bool,
}

pub fn run(mode: Mode) -> Outcome {
    let (events, outage) = if mode.quick {
        (4_000, Duration::from_secs(3))
    } else {
        (20_000, Duration::from_secs(10))
    };
    let period = Duration::from_micros(500); // 2,000 events/s
    let mut ledger = Ledger::new("server-killed");
    let mut server = Sockudo::start();
    let app = server.app();
    let gate = FaultProxy::start(server.port, ProxyMode::Forward);
    let mut cfg = config(app.clone(), gate.url());
    cfg.queue_capacity = events + 1_000;
    cfg.delivery_timeout = outage + Duration::from_secs(60);
    cfg.retry_base = Duration::from_millis(20);
    cfg.retry_max = Duration::from_millis(500);
    let client = Client::new(cfg).unwrap();
    let first = Subscriber::connect(server.port, APP_KEY);
    first.subscribe(&app, CHANNEL);

    let published = AtomicUsize::new(0);
    let kill_at = events / 5;
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let (outage_report, stream) = std::thread::scope(|s| {
        let (client, first, gate, published, app) = (&client, &first, &gate, &published, &app);
        let server = &mut server;
        let controller = s.spawn(move || {
            wait_until(Duration::from_secs(120), || {
                published.load(SeqCst) >= kill_at
            });
            let closed = Instant::now();
            gate.set_mode(ProxyMode::Refuse);
            let published_at_close = published.load(SeqCst);
            wait_until(Duration::from_secs(10), || {
                client.stats().in_flight_requests == 0
            });
            let acked = client.stats().delivered as usize;
            let caught_up = first.wait_for(acked, Duration::from_secs(10)) >= acked;
            server.kill();
            let killed = Instant::now();
            std::thread::sleep(outage);
            server.restart();
            let dead = killed.elapsed();
            let subscriber = Subscriber::connect(server.port, APP_KEY);
            subscriber.subscribe(app, CHANNEL);
            gate.set_mode(ProxyMode::Forward);
            Outage {
                subscriber,
                published_meanwhile: published.load(SeqCst) - published_at_close,
                dead,
                gate_closed: closed.elapsed(),
                caught_up,
            }
        });
        for i in 0..events {
            let call = Instant::now();
            ledger.publish(client, CHANNEL, format!("e{i}"));
            slowest = slowest.max(call.elapsed());
            published.store(i + 1, SeqCst);
            pace(started, period, i);
        }
        let stream = started.elapsed();
        (controller.join().unwrap(), stream)
    });
    let report = client.flush(Duration::from_secs(120));
    let stats = client.stats();
    collect(
        &mut ledger,
        &[&first, &outage_report.subscriber],
        stats.delivered,
        Duration::from_secs(20),
    );
    ledger.failures(client.drain_failures());
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        outage_report.caught_up,
        "the subscriber had not received what sockudo acknowledged before the kill",
    );
    ledger.check(
        stats.requests_failed > 0,
        "the publisher never saw the outage",
    );
    let after = outage_report.subscriber.count();
    ledger.check_stats(&stats);
    ledger.figure("killed_ms", ms(outage_report.dead));
    ledger.figure("gate_closed_ms", ms(outage_report.gate_closed));
    ledger.figure("stream_ms", ms(stream));
    ledger.figure("published_during_outage", outage_report.published_meanwhile);
    ledger.figure("delivered_after_restart", after);
    ledger.figure("publish_us_max", slowest.as_micros());
    ledger.figure("requests_failed", stats.requests_failed);
    ledger.finish()
}
