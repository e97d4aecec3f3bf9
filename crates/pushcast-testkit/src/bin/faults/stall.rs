//! Server stalled: a real sockudo frozen with SIGSTOP for longer than the request timeout
//! during a paced stream on four channels (four lanes), then thawed with SIGCONT. Requests sent meanwhile sit in its listen
//! backlog and time out; the publisher retries them (same idempotency key, so the copies the
//! thawed server reads late are not broadcast twice) and everything arrives once.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pushcast_client::Client;
use pushcast_testkit::{Sockudo, Subscriber, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config, ms, pace, wait_until, Mode};

/// Several channels, so several lanes have a request in flight when the server freezes.
const CHANNELS: [&str; 4] = ["stall-0", "stall-1", "stall-2", "stall-3"];

pub fn run(mode: Mode) -> Outcome {
    let request_timeout = Duration::from_secs(1);
    let (events, frozen) = if mode.quick {
        (2_000, Duration::from_millis(2_500))
    } else {
        (4_000, Duration::from_secs(4))
    };
    let period = Duration::from_millis(1); // 1,000 events/s
    let mut ledger = Ledger::new("server-stalled");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    for channel in CHANNELS {
        sub.subscribe(&app, channel);
    }
    let mut cfg = config(app, server.url());
    cfg.queue_capacity = events + 1_000;
    cfg.request_timeout = request_timeout;
    cfg.delivery_timeout = Duration::from_secs(60);
    cfg.retry_base = Duration::from_millis(20);
    cfg.retry_max = Duration::from_millis(500);
    let client = Client::new(cfg).unwrap();

    let published = AtomicUsize::new(0);
    let stop_at = events / 4;
    let started = Instant::now();
    std::thread::scope(|s| {
        let (server, published) = (&server, &published);
        s.spawn(move || {
            wait_until(Duration::from_secs(60), || {
                published.load(SeqCst) >= stop_at
            });
            server.signal(libc::SIGSTOP);
            std::thread::sleep(frozen);
            server.signal(libc::SIGCONT);
        });
        for i in 0..events {
            ledger.publish(&client, CHANNELS[i % CHANNELS.len()], format!("e{i}"));
            published.store(i + 1, SeqCst);
            pace(started, period, i);
        }
    });
    let report = client.flush(Duration::from_secs(60));
    let stats = client.stats();
    collect(
        &mut ledger,
        &[&sub],
        stats.delivered,
        Duration::from_secs(20),
    );
    ledger.failures(client.drain_failures());
    // sockudo's timers fire at once after SIGCONT: had it dropped the subscriber (no pong while
    // frozen), what it broadcast afterwards could not arrive; that is not the publisher's loss.
    ledger.check(
        !sub.closed(),
        "sockudo closed the subscriber's connection after the stall",
    );
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        stats.requests_failed > 0,
        "no request timed out: the stall was not seen",
    );
    ledger.check_stats(&stats);
    ledger.figure("stalled_ms", ms(frozen));
    ledger.figure("request_timeout_ms", ms(request_timeout));
    ledger.figure("requests_failed", stats.requests_failed);
    ledger.finish()
}
