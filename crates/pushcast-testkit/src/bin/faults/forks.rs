//! Forks under load: a runner process (this binary, hidden subcommand) publishes a steady
//! stream from one thread while its main thread forks 200 children, a few alive at a time.
//! Each child publishes a few events through the same `Client` (its first call starts the
//! child's own engine), flushes, and exits with the number it could not deliver. Each child is
//! waited for with a deadline (a hang is killed and counted); the parent keeps publishing
//! throughout. The suite's subscriber must see every event of the parent and of every child.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pushcast_client::Client;
use pushcast_testkit::{Sockudo, SockudoOptions, Subscriber, APP_KEY};

use crate::ledger::{event, Ledger, Outcome};
use crate::setup::{collect, config, kill_hung, ms, pace, wait_until};

const CHANNEL: &str = "forks";
const FORKS: usize = 200;
const PER_CHILD: usize = 5;
/// Children alive at once.
const WINDOW: usize = 4;
const CHILD_DEADLINE: Duration = Duration::from_secs(30);
/// The parent's steady stream while it forks: 2,000 events/s.
const PARENT_PERIOD: Duration = Duration::from_micros(500);
/// The hidden subcommand.
pub const RUNNER: &str = "__fork-runner";

/// What the runner saw of its children.
#[derive(Default)]
struct Children {
    hangs: u64,
    abnormal: u64,
    undelivered: u64,
    fork_failed: u64,
}

/// In a child: publish, flush, exit with the number of events not delivered.
fn child(client: &Client, round: usize) -> ! {
    for j in 0..PER_CHILD {
        let _ = client.publish(event(CHANNEL, &format!("c{round}_{j}")));
    }
    let report = client.flush(Duration::from_secs(20));
    let undelivered = PER_CHILD as u64 - report.stats.delivered.min(PER_CHILD as u64);
    // _exit: no destructors or atexit handlers of the parent's state.
    // SAFETY: ends this process; nothing runs after it.
    unsafe { libc::_exit(undelivered as i32) }
}

/// Collects finished children; kills (and counts) any past its deadline.
fn reap(live: &mut Vec<(libc::pid_t, Instant)>, children: &mut Children) {
    let mut i = 0;
    while i < live.len() {
        let (pid, started) = live[i];
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            if libc::WIFEXITED(status) {
                children.undelivered += libc::WEXITSTATUS(status) as u64;
            } else {
                children.abnormal += 1;
            }
            live.swap_remove(i);
        } else if started.elapsed() > CHILD_DEADLINE {
            kill_hung(pid);
            children.hangs += 1;
            live.swap_remove(i);
        } else {
            i += 1;
        }
    }
    std::thread::sleep(Duration::from_millis(1));
}

/// The runner: prints one `fork-runner ...` line on standard output.
pub fn runner(endpoint: &str) {
    let mut cfg = config(SockudoOptions::default().app(), endpoint);
    cfg.queue_capacity = 100_000;
    let client = Client::new(cfg).unwrap();
    let stop = AtomicBool::new(false);
    let published = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let mut children = Children::default();
    let started = Instant::now();
    std::thread::scope(|s| {
        let (client, stop, published, refused) = (&client, &stop, &published, &refused);
        s.spawn(move || {
            let start = Instant::now();
            let mut i = 0;
            while !stop.load(SeqCst) {
                if client.publish(event(CHANNEL, &format!("p{i}"))).is_err() {
                    refused.fetch_add(1, SeqCst);
                }
                i += 1;
                published.store(i, SeqCst);
                pace(start, PARENT_PERIOD, i);
            }
        });
        // Forks start once the parent's engine is busy.
        wait_until(Duration::from_secs(10), || published.load(SeqCst) >= 100);
        let mut live = Vec::new();
        for round in 0..FORKS {
            // SAFETY: the child only publishes through the client and _exits.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                child(client, round);
            }
            if pid < 0 {
                children.fork_failed += 1;
                continue;
            }
            live.push((pid, Instant::now()));
            while live.len() >= WINDOW {
                reap(&mut live, &mut children);
            }
        }
        while !live.is_empty() {
            reap(&mut live, &mut children);
        }
        stop.store(true, SeqCst);
    });
    let forks_ms = ms(started.elapsed());
    let report = client.flush(Duration::from_secs(30));
    let s = report.stats;
    println!(
        "fork-runner forks={FORKS} fork_failed={} hangs={} abnormal={} child_undelivered={} \
         parent_published={} parent_refused={} parent_acked={} parent_failed={} parent_pending={} \
         forks_ms={forks_ms}",
        children.fork_failed,
        children.hangs,
        children.abnormal,
        children.undelivered,
        published.load(SeqCst),
        refused.load(SeqCst),
        s.delivered,
        s.failed,
        report.pending,
    );
}

/// `key=<number>` from the runner's line.
pub fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
        .unwrap_or(0)
}

pub fn run() -> Outcome {
    let mut ledger = Ledger::new("forks-under-load");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let mut runner = Command::new(std::env::current_exe().unwrap())
        .args([RUNNER, &server.url()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let finished = wait_until(Duration::from_secs(300), || {
        matches!(runner.try_wait(), Ok(Some(_)))
    });
    if !finished {
        let _ = runner.kill();
    }
    let output = runner.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.starts_with("fork-runner "))
        .unwrap_or("");
    let parent = field(line, "parent_published");
    ledger.published_elsewhere((0..parent).map(|i| format!("p{i}")));
    ledger.published_elsewhere(
        (0..FORKS).flat_map(|r| (0..PER_CHILD).map(move |j| format!("c{r}_{j}"))),
    );
    let hangs = field(line, "hangs");
    let abnormal = field(line, "abnormal");
    let child_undelivered = field(line, "child_undelivered");
    let parent_unresolved = field(line, "parent_refused")
        + field(line, "parent_failed")
        + field(line, "parent_pending");
    let acked = field(line, "parent_acked") + (FORKS * PER_CHILD) as u64 - child_undelivered;
    collect(&mut ledger, &[&sub], acked, Duration::from_secs(30));
    ledger.failed_count(
        parent_unresolved + child_undelivered + (hangs + abnormal) * PER_CHILD as u64,
    );
    ledger.check(
        finished && output.status.success(),
        "the runner did not finish",
    );
    ledger.check(!line.is_empty(), "the runner printed no report");
    // Each hung child was killed by the runner: counted in the suite's hangs.
    ledger.hangs(hangs + u64::from(!finished));
    ledger.check(
        abnormal == 0,
        format!("{abnormal} child(ren) died abnormally"),
    );
    ledger.check(field(line, "fork_failed") == 0, "fork failed");
    ledger.figure("forks", FORKS);
    ledger.figure("hangs", hangs);
    ledger.figure("parent_published", parent);
    ledger.figure("forks_ms", field(line, "forks_ms"));
    ledger.finish()
}
