//! The scale-out scenario behind `scripts/scale-out`: two sockudo nodes sharing one Redis, a
//! subscriber on node B, a publisher given both nodes as endpoints `[A, B]`, and node A stopped
//! (SIGKILL or SIGTERM) and started again while events are published at a steady rate.
//!
//! Every event carries its sequence number in its name (`seq-N`, so a failure the client reports
//! names the event) and in its data (so the subscriber can count it), which gives exact
//! accounting: published = seen at the subscriber + reported as failed + lost without a report.
//!
//! What the runs show (sockudo 5.2.0, `--features local,redis`):
//! - An acknowledged event is never lost when A dies: sockudo answers 200 only after its Redis
//!   `PUBLISH` returned, so B already has the event.
//! - SIGKILL in the middle of a request leaves that batch's idempotency key claimed "in
//!   progress" in the Redis-shared cache for its TTL (120 s); B then answers 503 to every retry
//!   with the key. The client takes a fresh key once the node that had the unanswered request
//!   refuses connections (see the client's `lane.rs`), so nothing is lost; events A broadcast
//!   before dying arrive twice (counted as duplicates). SIGTERM drains: no such claim.
//! - Events relayed through Redis may arrive out of order on B (its Redis reader spawns a task
//!   per message); events published to B itself arrive in order. Counted, not asserted.
//! - A lane that failed over stays on B after A restarts (counted from A's request log).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use pushcast_client::{Backpressure, Client, ClientConfig, StatsSnapshot};
use pushcast_core::Event;

use crate::{Redis, Sockudo, SockudoOptions, Subscriber, APP_KEY};

/// How node A is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGKILL: requests in flight on A die with it.
    Kill,
    /// SIGTERM: sockudo drains (still relaying through Redis), then exits.
    Term,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Events to publish.
    pub events: usize,
    /// Events per second.
    pub rate: u64,
    /// Channels the events spread over (so several lanes, on both endpoints, carry them).
    pub channels: usize,
    /// Events published before node A is stopped.
    pub stop_after: usize,
    /// How long node A stays down once it has exited.
    pub down: Duration,
    /// How node A is stopped.
    pub stop: Stop,
}

/// What happened, counted from the run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Events `publish` accepted.
    pub published: usize,
    /// Distinct events the subscriber on B received.
    pub delivered: usize,
    /// Receptions beyond the first of the same event.
    pub duplicates: usize,
    /// Receptions whose sequence number is below one already seen on the same channel.
    pub out_of_order: usize,
    /// Distinct events the client reported as failed (from its failure log).
    pub reported_failed: usize,
    /// Events neither received nor reported as failed: silent losses.
    pub unreported_lost: usize,
    /// Publish API requests node A logged before it was stopped (shows the count works).
    pub requests_to_a_before_stop: usize,
    /// Publish API requests node A logged after its restart (lanes that went back to it).
    pub requests_to_a_after_restart: usize,
    /// The client's statistics after the flush.
    pub stats: StatsSnapshot,
}

impl Report {
    /// Published events the subscriber never received (reported or not).
    pub fn lost(&self) -> usize {
        self.published - self.delivered
    }
}

/// The log line sockudo writes (at debug level) for each `batch_events` request.
const BATCH_LOG_LINE: &str = "batch events request received";

/// The channel of event `seq`.
fn channel_of(seq: usize, channels: usize) -> String {
    format!("scale-{}", seq % channels)
}

/// The sequence number in an event name or data: the digits after the first `-` or `:`.
fn seq_in(text: &str) -> Option<usize> {
    let start = text.find(['-', ':'])? + 1;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Runs the plan on a fresh Redis and two fresh nodes; stops them all at the end.
pub fn run(plan: &Plan) -> Report {
    let redis = Redis::start();
    let options = SockudoOptions {
        redis_url: Some(redis.url()),
        ..SockudoOptions::default()
    };
    let node_a = Sockudo::start_with(SockudoOptions {
        // Node A logs each publish request, to see whether lanes come back after its restart.
        log_filter: Some("info,sockudo::http_handler::events=debug".into()),
        ..options.clone()
    });
    let node_b = Sockudo::start_with(options);
    let app = node_b.app();
    let subscriber = Subscriber::connect(node_b.port, APP_KEY);
    for c in 0..plan.channels {
        subscriber.subscribe(&app, &channel_of(c, plan.channels));
    }
    println!(
        "scale-out: redis :{}, node A :{}, node B :{} (subscriber), {} events at {}/s over {} \
         channels, A stopped by {:?} after {} events for {:?}",
        redis.port,
        node_a.port,
        node_b.port,
        plan.events,
        plan.rate,
        plan.channels,
        plan.stop,
        plan.stop_after,
        plan.down
    );

    let mut config = ClientConfig::new(app, node_a.url());
    config.endpoints = vec![node_a.url(), node_b.url()];
    config.backpressure = Backpressure::Block {
        timeout: Duration::from_secs(60),
    };
    config.max_failures_kept = plan.events;
    let client = Client::new(config).unwrap();

    let mut published = 0;
    let mut node_a = Some(node_a);
    let mut outage = None;
    let start = Instant::now();
    for seq in 0..plan.events {
        if let Some(mut node_a) = node_a.take_if(|_| seq == plan.stop_after) {
            // Stopped and restarted beside the publisher, which keeps its pace meanwhile.
            let (stop, down) = (plan.stop, plan.down);
            outage = Some(std::thread::spawn(move || {
                let before = batch_requests_logged(&node_a);
                let began = Instant::now();
                match stop {
                    Stop::Kill => node_a.kill(),
                    Stop::Term => node_a.terminate(),
                }
                let exited = began.elapsed();
                std::thread::sleep(down);
                node_a.restart();
                println!(
                    "scale-out: node A stopped ({stop:?}) at event {seq}, exited after {exited:?}, \
                     up again {:?} after the stop",
                    began.elapsed()
                );
                (node_a, before)
            }));
        }
        let due = start + Duration::from_secs_f64(seq as f64 / plan.rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let event = Event::new(
            [channel_of(seq, plan.channels)],
            format!("seq-{seq}"),
            format!(r#"{{"seq":{seq}}}"#),
        );
        match client.publish(event) {
            Ok(_) => published += 1,
            Err(e) => println!("scale-out: publish of event {seq} refused: {e}"),
        }
    }
    let flush = client.flush(Duration::from_secs(90));
    let (node_a, requests_to_a_before_stop) = match outage {
        Some(thread) => thread.join().unwrap(),
        None => panic!("node A was never stopped: stop_after is past the last event"),
    };
    let failed: BTreeSet<usize> = client
        .drain_failures()
        .iter()
        .filter_map(|f| seq_in(&f.event))
        .collect();

    // Wait until every event not reported as failed has arrived (or 30 s), then a moment more
    // for late duplicates.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && distinct(&subscriber).len() + failed.len() < published {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));

    let received = subscriber.events();
    let mut seen = BTreeSet::new();
    let mut newest: HashMap<&str, usize> = HashMap::new();
    let mut out_of_order = 0;
    for event in &received {
        let Some(seq) = seq_in(&event.data) else {
            continue;
        };
        seen.insert(seq);
        let last = newest.entry(event.channel.as_str()).or_insert(seq);
        if seq < *last {
            out_of_order += 1;
            if out_of_order <= 3 {
                println!(
                    "scale-out: on {} event {seq} arrived after event {}",
                    event.channel, *last
                );
            }
        }
        *last = (*last).max(seq);
    }
    let unreported_lost = (0..plan.events)
        .filter(|s| !seen.contains(s) && !failed.contains(s))
        .count();
    let requests_to_a_after_restart = batch_requests_logged(&node_a);
    Report {
        published,
        delivered: seen.len(),
        duplicates: received.len() - seen.len(),
        out_of_order,
        reported_failed: failed.len(),
        unreported_lost,
        requests_to_a_before_stop,
        requests_to_a_after_restart,
        stats: flush.stats,
    }
}

/// The `batch_events` requests a node has logged since it (re)started.
fn batch_requests_logged(node: &Sockudo) -> usize {
    std::fs::read_to_string(node.log_path())
        .unwrap_or_default()
        .matches(BATCH_LOG_LINE)
        .count()
}

/// The distinct sequence numbers received so far.
fn distinct(subscriber: &Subscriber) -> BTreeSet<usize> {
    subscriber
        .events()
        .iter()
        .filter_map(|e| seq_in(&e.data))
        .collect()
}
