//! The durable spool's proof behind `scripts/spool-kill`.
//!
//! A real sockudo and a subscriber; a publisher process with the spool on streams events (each
//! carrying its sequence number) and reports every accepted one on its standard output as
//! soon as `publish` returned. After a quarter of the stream the server is SIGKILLed; at half
//! the publisher is SIGKILLed (and at least another quarter later) while the server is
//! still down. The server restarts, a new
//! subscriber connects, and a new publisher process opens the same spool directory: it claims
//! the dead process's spool, replays it, publishes the rest of the stream, and flushes. The
//! subscribers' deliveries are then compared with what was accepted.
//!
//! Full mode: 20,000 events at 4,000/s. `SPOOL_KILL_QUICK=1` (CI): 4,000 events.
//! `SPOOL_SYNC` = none | interval (default, 100 ms) | every_event.
//!
//! Last line: `spool-kill accepted=A delivered=D lost=L duplicates=U`; exits 1 unless lost=0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pushcast_client::{Client, ClientConfig, SpoolConfig, SpoolSync};
use pushcast_core::Event;
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, SockudoOptions, Subscriber, APP_KEY};

const CHANNELS: usize = 4;

fn sync_level() -> SpoolSync {
    let level = std::env::var("SPOOL_SYNC").unwrap_or_else(|_| "interval".into());
    SpoolSync::parse(&level, Duration::from_millis(100)).unwrap()
}

fn client(url: &str, dir: &Path) -> Client {
    let mut config = ClientConfig::new(SockudoOptions::default().app(), url);
    config.retry_base = Duration::from_millis(20);
    config.retry_max = Duration::from_millis(500);
    config.breaker_open_policy = pushcast_client::BreakerOpenPolicy::Spool;
    config.breaker_cooldown = Duration::from_millis(200);
    config.breaker_cooldown_max = Duration::from_millis(1_000);
    let mut spool = SpoolConfig::new(dir);
    spool.sync = sync_level();
    config.spool = Some(spool);
    Client::new(config).unwrap()
}

fn event(seq: usize) -> Event {
    Event::new(
        [format!("stream-{}", seq % CHANNELS)],
        "Tick",
        format!(r#"{{"seq":{seq}}}"#),
    )
}

/// Child: `publish URL DIR FROM TO RATE`. Prints `seq` per accepted event and, after a flush
/// (only reached when nobody kills it), one `stats ...` line. Publish costs go to stderr.
fn publisher(args: &[String]) {
    let (url, dir) = (&args[0], Path::new(&args[1]));
    let [from, to, rate]: [usize; 3] = [2, 3, 4].map(|i| args[i].parse().unwrap());
    let client = client(url, dir);
    client.start().unwrap();
    let mut out = std::io::stdout().lock();
    let started = Instant::now();
    let mut costs = Vec::with_capacity(to - from);
    for (n, seq) in (from..to).enumerate() {
        let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let call = Instant::now();
        let accepted = client.publish(event(seq));
        costs.push(call.elapsed());
        match accepted {
            // One write per event, flushed: what the parent reads was accepted.
            Ok(_) => {
                writeln!(out, "{seq}").unwrap();
                out.flush().unwrap();
            }
            Err(e) => eprintln!("spool-kill publisher: event {seq} refused: {e}"),
        }
    }
    costs.sort();
    let us = |q: f64| costs[((costs.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    eprintln!(
        "spool-kill publisher: {} publishes, caller cost p50={:.1} us p99={:.1} us",
        costs.len(),
        us(0.5),
        us(0.99)
    );
    let report = client.flush(Duration::from_secs(120));
    let s = &report.stats;
    writeln!(
        out,
        "stats pending={} replayed={} enqueued={} delivered={} failed={} left={} rows={}",
        report.pending,
        s.spool_replayed,
        s.enqueued,
        s.delivered,
        s.failed,
        s.spool_left_at_shutdown,
        s.spool_rows
    )
    .unwrap();
    out.flush().unwrap();
}

struct Child {
    process: std::process::Child,
    accepted: Arc<Mutex<Vec<usize>>>,
    count: Arc<AtomicUsize>,
    stats: Arc<Mutex<Option<String>>>,
    reader: std::thread::JoinHandle<()>,
}

fn spawn(url: &str, dir: &Path, from: usize, to: usize, rate: usize) -> Child {
    let mut process = Command::new(std::env::current_exe().unwrap())
        .args(["publish", url, dir.to_str().unwrap()])
        .args([from, to, rate].map(|n| n.to_string()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = process.stdout.take().unwrap();
    let accepted: Arc<Mutex<Vec<usize>>> = Arc::default();
    let count: Arc<AtomicUsize> = Arc::default();
    let stats: Arc<Mutex<Option<String>>> = Arc::default();
    let (a, c, s) = (
        Arc::clone(&accepted),
        Arc::clone(&count),
        Arc::clone(&stats),
    );
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match line.parse::<usize>() {
                Ok(seq) => {
                    a.lock().unwrap().push(seq);
                    c.fetch_add(1, SeqCst);
                }
                Err(_) => *s.lock().unwrap() = Some(line),
            }
        }
    });
    Child {
        process,
        accepted,
        count,
        stats,
        reader,
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "spool-kill: timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn subscribe(server: &Sockudo) -> Subscriber {
    let sub = Subscriber::connect(server.port, APP_KEY);
    let app = SockudoOptions::default().app();
    for c in 0..CHANNELS {
        sub.subscribe(&app, &format!("stream-{c}"));
    }
    sub
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("publish") {
        return publisher(&args[1..]);
    }
    let quick = std::env::var("SPOOL_KILL_QUICK").is_ok_and(|v| v == "1");
    let (events, rate) = if quick {
        (4_000, 4_000)
    } else {
        (20_000, 4_000)
    };
    let (server_kill_at, publisher_kill_at) = (events / 4, events / 2);
    let dir = tempfile_dir();

    let mut server = Sockudo::start();
    let first_sub = subscribe(&server);
    let url = server.url();
    let gate = FaultProxy::start(server.port, ProxyMode::Forward);
    println!(
        "spool-kill: {events} events at {rate}/s over {CHANNELS} channels, sync {:?}, spool {}",
        sync_level(),
        dir.display()
    );

    let mut first = spawn(&gate.url(), &dir, 0, events, rate);
    wait_for("the server kill point", Duration::from_secs(60), || {
        first.count.load(SeqCst) >= server_kill_at
    });
    gate.set_mode(ProxyMode::Refuse);
    // Drained: no new arrival for two looks 100 ms apart.
    let (mut heard, mut quiet) = (first_sub.count(), 0);
    while quiet < 2 {
        std::thread::sleep(Duration::from_millis(100));
        let now = first_sub.count();
        quiet = if now == heard { quiet + 1 } else { 0 };
        heard = now;
    }
    server.kill();
    gate.set_mode(ProxyMode::Forward);
    let server_killed_after = first.count.load(SeqCst);
    // At least a quarter of the stream is accepted while the server is down.
    let publisher_kill_at = publisher_kill_at.max(server_killed_after + events / 4);
    wait_for("the publisher kill point", Duration::from_secs(60), || {
        first.count.load(SeqCst) >= publisher_kill_at
    });
    first.process.kill().unwrap();
    first.process.wait().unwrap();
    first.reader.join().unwrap();
    let accepted_first: Vec<usize> = first.accepted.lock().unwrap().clone();
    // The next event may have been accepted without being reported: skip it.
    let resume = accepted_first.iter().max().map_or(0, |m| m + 2);
    let spool_files = std::fs::read_dir(&dir).unwrap().count();
    println!(
        "spool-kill: server SIGKILLed after {server_killed_after} accepted; publisher SIGKILLed \
         after {} accepted ({spool_files} spool files left)",
        accepted_first.len()
    );

    server.restart();
    let second_sub = subscribe(&server);
    let mut second = spawn(&url, &dir, resume, events, rate);
    let status = second.process.wait().unwrap();
    second.reader.join().unwrap();
    assert!(status.success(), "the second publisher failed: {status}");
    let accepted_second = second.accepted.lock().unwrap().clone();
    let stats = second.stats.lock().unwrap().clone().unwrap_or_default();
    println!("spool-kill: second process {stats}");

    let mut accepted: Vec<usize> = accepted_first.into_iter().chain(accepted_second).collect();
    let expect = accepted.len();
    let received = |subs: &[&Subscriber]| subs.iter().map(|s| s.count()).sum::<usize>();
    let _ = wait_for_count(&[&first_sub, &second_sub], expect, received);
    std::thread::sleep(Duration::from_millis(500)); // a duplicate would arrive by now
    let unreported = resume
        .checked_sub(1)
        .filter(|&s| s > 0 && seen_any(&[&first_sub, &second_sub], s));
    accepted.extend(unreported);
    if let (Some(skipped), None) = (resume.checked_sub(1), unreported) {
        println!(
            "spool-kill: event {skipped}, published as the first process was killed and never \
             reported, did not arrive: it was not accepted (not counted)"
        );
    }
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut by_sub: [HashMap<usize, usize>; 2] = Default::default();
    for (i, sub) in [&first_sub, &second_sub].into_iter().enumerate() {
        for e in sub.events() {
            let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            let seq = v["seq"].as_u64().unwrap() as usize;
            *seen.entry(seq).or_default() += 1;
            *by_sub[i].entry(seq).or_default() += 1;
        }
    }
    let mut twice: Vec<usize> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(s, _)| *s)
        .collect();
    twice.sort();
    for seq in twice.iter().take(10) {
        // Before the server kill and again after the restart: the server broadcast it but died
        // before its answer reached the publisher, and its idempotency cache died with it.
        println!(
            "spool-kill: event {seq} arrived {} time(s) before the server kill and {} after the restart",
            by_sub[0].get(seq).unwrap_or(&0),
            by_sub[1].get(seq).unwrap_or(&0)
        );
    }
    let accepted_set: HashSet<usize> = accepted.iter().copied().collect();
    let delivered = accepted_set.iter().filter(|s| seen.contains_key(s)).count();
    let expect = accepted_set.len();
    let lost = expect - delivered;
    let mut missing: Vec<usize> = accepted_set
        .iter()
        .filter(|s| !seen.contains_key(s))
        .copied()
        .collect();
    missing.sort();
    if !missing.is_empty() {
        println!(
            "spool-kill: lost {:?} (server killed after {server_killed_after} accepted)",
            &missing[..missing.len().min(30)]
        );
    }
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    let unreported = seen.keys().filter(|s| !accepted_set.contains(s)).count();
    println!(
        "spool-kill: received before the server kill {}, after the restart {}; delivered but \
         never reported accepted (killed between publish and report) {unreported}",
        first_sub.count(),
        second_sub.count()
    );
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "spool-kill accepted={expect} delivered={delivered} lost={lost} duplicates={duplicates}"
    );
    if lost > 0 {
        // exit() runs no destructors: stop the server first.
        drop(server);
        std::process::exit(1);
    }
}

/// Whether any subscriber received event `seq`.
fn seen_any(subs: &[&Subscriber], seq: usize) -> bool {
    let data = format!(r#"{{"seq":{seq}}}"#);
    subs.iter()
        .any(|s| s.events().iter().any(|e| e.data == data))
}

fn wait_for_count(
    subs: &[&Subscriber],
    expect: usize,
    received: impl Fn(&[&Subscriber]) -> usize,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while received(subs) < expect {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pushcast-spool-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
