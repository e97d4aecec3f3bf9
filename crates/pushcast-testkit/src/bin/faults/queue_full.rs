//! Queue full under each backpressure policy, while a real sockudo is frozen (SIGSTOP): the
//! first event's request sits in its backlog, so nothing leaves the queue. With capacity C and
//! N = C + X events published, each policy must refuse or drop exactly X, report each, and
//! (once the server is thawed) deliver exactly the C it kept. Drop-oldest's victims had been
//! accepted: they are logged as `DroppedForNewer`, never as the queue-full refusal that says
//! "the event was not accepted" (the old code logged them as `QueueFull`).

use std::time::{Duration, Instant};

use pushcast_client::{Accepted, Backpressure, Client};
use pushcast_core::Error;
use pushcast_testkit::{Sockudo, Subscriber, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config, wait_until};

const CHANNEL: &str = "full";
const CAPACITY: usize = 50;
const BLOCK: Duration = Duration::from_millis(100);

pub fn fail_fast() -> Outcome {
    run("queue-full-fail-fast", Backpressure::FailFast, 100)
}

pub fn block() -> Outcome {
    // Each refusal waits BLOCK: few over capacity keep it short.
    run(
        "queue-full-block",
        Backpressure::Block { timeout: BLOCK },
        10,
    )
}

pub fn drop_newest() -> Outcome {
    run("queue-full-drop-newest", Backpressure::DropNewest, 100)
}

pub fn drop_oldest() -> Outcome {
    run("queue-full-drop-oldest", Backpressure::DropOldest, 100)
}

fn run(name: &str, policy: Backpressure, over: usize) -> Outcome {
    let mut ledger = Ledger::new(name);
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let mut cfg = config(app, server.url());
    cfg.queue_capacity = CAPACITY;
    cfg.max_in_flight = 1;
    cfg.backpressure = policy;
    // Longer than the freeze: the first request is answered when the server thaws, never
    // abandoned and retried (its late copy would then be broadcast besides the retry).
    cfg.request_timeout = Duration::from_secs(30);
    cfg.delivery_timeout = Duration::from_secs(60);
    let client = Client::new(cfg).unwrap();

    server.signal(libc::SIGSTOP);
    ledger.publish(&client, CHANNEL, "e0".into());
    let in_flight = wait_until(Duration::from_secs(10), || {
        client.stats().in_flight_requests == 1
    });
    let mut slowest_refusal = Duration::ZERO;
    let mut quickest_refusal = Duration::MAX;
    for i in 1..CAPACITY + over {
        let started = Instant::now();
        let accepted = ledger.publish(&client, CHANNEL, format!("e{i}"));
        if accepted != Some(Accepted::Queued) {
            slowest_refusal = slowest_refusal.max(started.elapsed());
            quickest_refusal = quickest_refusal.min(started.elapsed());
        }
    }
    // Drop-oldest trims the queue on the engine's I/O thread, just after the publish returns.
    let trimmed = wait_until(Duration::from_secs(10), || {
        client.stats().queue_depth <= CAPACITY as u64
    });
    let before_thaw = client.stats();
    server.signal(libc::SIGCONT);
    let report = client.flush(Duration::from_secs(30));
    let stats = client.stats();
    collect(
        &mut ledger,
        &[&sub],
        stats.delivered,
        Duration::from_secs(20),
    );
    let failures = client.drain_failures();
    let first_dropped = failures.first().map(|f| f.event.clone());
    // What each policy's victims are logged as: refused (never accepted) or displaced.
    let expected_error = match policy {
        Backpressure::DropOldest => Error::DroppedForNewer {
            capacity: CAPACITY as u64,
        },
        _ => Error::QueueFull { capacity: CAPACITY },
    };
    let misnamed: Vec<String> = failures
        .iter()
        .filter(|f| f.error != expected_error)
        .map(|f| format!("{}: {}", f.event, f.error))
        .take(3)
        .collect();
    ledger.check(
        misnamed.is_empty(),
        format!("victims not logged as {expected_error:?}: {misnamed:?}"),
    );
    ledger.failures(failures);

    ledger.check(in_flight, "the first event's request never went out");
    ledger.check(trimmed, "the queue stayed above its capacity");
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        stats.delivered == CAPACITY as u64,
        format!(
            "delivered {} instead of the {CAPACITY} kept",
            stats.delivered
        ),
    );
    let over = over as u64;
    let (refused, newest, oldest) = (
        before_thaw.rejected_queue_full,
        before_thaw.dropped_newest,
        before_thaw.dropped_oldest,
    );
    let expected = match policy {
        Backpressure::FailFast | Backpressure::Block { .. } => (over, 0, 0),
        Backpressure::DropNewest => (0, over, 0),
        Backpressure::DropOldest => (0, 0, over),
    };
    ledger.check(
        (refused, newest, oldest) == expected,
        format!(
            "refused/dropped_newest/dropped_oldest = {:?}, the policy implies {expected:?}",
            (refused, newest, oldest)
        ),
    );
    match policy {
        Backpressure::Block { timeout } => {
            ledger.check(
                quickest_refusal >= timeout,
                format!("a blocked publish gave up after {quickest_refusal:?}"),
            );
            ledger.figure("block_wait_ms_min", quickest_refusal.as_millis());
        }
        Backpressure::DropOldest => {
            // e0 was in flight: never dropped. The oldest waiting one (e1) goes first.
            ledger.check(
                first_dropped.as_deref() == Some("e1"),
                format!("first dropped {first_dropped:?}, not the oldest waiting (e1)"),
            );
        }
        _ => {
            ledger.figure("refusal_us_max", slowest_refusal.as_micros());
        }
    }
    ledger.check_stats(&stats);
    ledger.figure("capacity", CAPACITY);
    ledger.figure("refused", refused);
    ledger.figure("dropped_newest", newest);
    ledger.figure("dropped_oldest", oldest);
    ledger.finish()
}
