//! Forks that race the engine on purpose: whatever the engine's threads are doing at the moment
//! of a fork (their first publish, a shutdown), a child publishes through the same `Client`,
//! delivers, and exits. A child that has not exited by its deadline is killed and counted as a
//! hang (the suite's `hangs`); its event is then unconfirmed (failed unless the subscriber saw
//! it). Ported from `crates/pushcast-client/tests/fork_race.rs`, with every event accounted for
//! through the ledger and a real subscriber.
//!
//! - `fork-first-publish`: each round is a fresh process image (this binary, hidden
//!   subcommand), since a process forked from the suite would inherit its lazily initialised
//!   globals already initialised. The round publishes its first event and forks children while
//!   its engine threads send it for the first time, until it is acknowledged. Old behaviour:
//!   rand's thread-local generator registered a fork handler in a one-time init on first use
//!   in the I/O thread; a child forked inside it waited forever there (its engine never sent:
//!   the child's 20 s flush gave up with its event pending; seen in 2 to 21 of 800 children
//!   per 100 rounds of eight before the forks covered the whole first send).
//! - `fork-during-shutdown`: a runner process (hidden subcommand) loops publish +
//!   `shutdown(300 ms)` on one thread while its main thread forks. Old behaviour: the client's
//!   start/stop lock was held across the whole shutdown, and a child forked meanwhile waited
//!   forever for it in its first publish (40 children out of 40 hung).

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pushcast_client::Client;
use pushcast_testkit::{Sockudo, SockudoOptions, Subscriber, APP_KEY};

use crate::forks::field;
use crate::ledger::{event, Ledger, Outcome};
use crate::setup::{collect, config, dump_stacks, kill_hung, ms, wait_until, Mode};

const CHANNEL: &str = "fork-race";
/// Children forked in each first-publish round: at least, and at most while its first event
/// is not acknowledged.
const ROUND_CHILDREN: usize = 8;
const ROUND_CHILDREN_MAX: usize = 32;
/// Children forked during shutdowns.
const SHUTDOWN_CHILDREN: usize = 40;
/// One deadline for all the children of a round or runner (a healthy one is done in well
/// under a second).
const CHILDREN_DEADLINE: Duration = Duration::from_secs(30);
/// A round or runner process, children included.
const PROCESS_DEADLINE: Duration = Duration::from_secs(90);
/// The hidden subcommands.
pub const FIRST_PUBLISH_ROUND: &str = "__fork-first-publish-round";
pub const SHUTDOWN_RUNNER: &str = "__fork-shutdown-runner";

/// In a forked child: publish `name`, flush, exit 0 if it was delivered, 3 if not.
fn publish_one_and_exit(client: &Client, name: &str) -> ! {
    let published = client.publish(event(CHANNEL, name));
    let report = client.flush(Duration::from_secs(20));
    let ok = published.is_ok() && report.pending == 0 && report.stats.delivered == 1;
    if !ok {
        eprintln!(
            "fork child {}: publish {published:?}, flush left {}, stats {:?}",
            std::process::id(),
            report.pending,
            report.stats
        );
        dump_stacks(std::process::id(), "fork child with its event undelivered");
    }
    // _exit: no destructors or atexit handlers of the parent's state.
    // SAFETY: ends this process; nothing runs after it.
    unsafe { libc::_exit(if ok { 0 } else { 3 }) }
}

/// Forks a child that publishes `name` and exits; `None` if fork failed.
fn fork_child(client: &Client, name: &str) -> Option<libc::pid_t> {
    // SAFETY: the child only publishes through the client and _exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        publish_one_and_exit(client, name);
    }
    (pid > 0).then_some(pid)
}

/// How the children of a round or runner ended.
#[derive(Default)]
struct Ends {
    hung: u64,
    /// Events of children that hung, failed, died or could not be forked.
    unconfirmed: Vec<String>,
}

/// Waits for each child (pid, its event) against one deadline; kills those past it.
fn wait_all(children: Vec<(Option<libc::pid_t>, String)>) -> Ends {
    let deadline = Instant::now() + CHILDREN_DEADLINE;
    let mut ends = Ends::default();
    for (pid, name) in children {
        let Some(pid) = pid else {
            ends.unconfirmed.push(name);
            continue;
        };
        let mut status = 0;
        let exited = wait_until(deadline.saturating_duration_since(Instant::now()), || {
            // SAFETY: waitpid on our own child with a valid status pointer.
            unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) == pid }
        });
        if !exited {
            kill_hung(pid);
            ends.hung += 1;
            ends.unconfirmed.push(name);
        } else if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
            ends.unconfirmed.push(name);
        }
    }
    ends
}

/// Prints a child process's report: `<tag> hung=H <extra> published=a,b unconfirmed=c,d`.
fn report(tag: &str, hung: u64, extra: &str, published: &[String], unconfirmed: &[String]) {
    println!(
        "{tag} hung={hung} {extra} published={} unconfirmed={}",
        published.join(","),
        unconfirmed.join(",")
    );
}

/// The names listed after `key=` in a report line.
fn names(line: &str, key: &str) -> Vec<String> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .map(|v| {
            v.split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// What the parent learnt from one child process (a round or a runner).
struct Child {
    line: String,
    finished: bool,
    succeeded: bool,
}

/// Runs this binary with `args` in its own process group, killing the group (its forked
/// children too) after [`PROCESS_DEADLINE`]; its report line is the first that starts with
/// `tag`. Standard output goes to a file: a pipe would stay open as long as any forked child
/// lives.
fn run_child(args: &[&str], tag: &str) -> Child {
    use std::os::unix::process::CommandExt;
    let out = std::env::temp_dir().join(format!(
        "pushcast-faults-{}-{}.out",
        std::process::id(),
        args.join("-").replace(['/', ':'], "_")
    ));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let finished = wait_until(PROCESS_DEADLINE, || matches!(child.try_wait(), Ok(Some(_))));
    if !finished {
        // SAFETY: kill(2) on the process group of our own child.
        unsafe {
            libc::kill(-(child.id() as i32), libc::SIGKILL);
        }
    }
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    Child {
        line: text
            .lines()
            .find(|l| l.starts_with(tag))
            .unwrap_or("")
            .to_owned(),
        finished,
        succeeded: status.success(),
    }
}

/// One first-publish round, in a fresh process: publish the first event, fork the children
/// at once (while the engine sends it for the first time), wait for them, flush, report.
pub fn first_publish_round(endpoint: &str, round: &str) {
    // The sockudo profile: every batch's first send draws an idempotency key at random.
    let client = Client::new(config(SockudoOptions::default().app(), endpoint)).unwrap();
    let first = format!("r{round}_first");
    let mut published = vec![first.clone()];
    let mut unconfirmed = Vec::new();
    if client.publish(event(CHANNEL, &first)).is_err() {
        unconfirmed.push(first.clone());
    }
    // Children are forked one after another until the first event is acknowledged (at least
    // ROUND_CHILDREN, at most ROUND_CHILDREN_MAX), so the forks cover the engine's whole first
    // send, wherever in it the one-time initialisations fall.
    let mut before_ack = 0;
    let mut children: Vec<(Option<libc::pid_t>, String)> = Vec::new();
    while children.len() < ROUND_CHILDREN
        || (children.len() < ROUND_CHILDREN_MAX && client.stats().delivered == 0)
    {
        let name = format!("r{round}_c{}", children.len());
        before_ack += usize::from(client.stats().delivered == 0);
        children.push((fork_child(&client, &name), name));
    }
    published.extend(children.iter().map(|(_, n)| n.clone()));
    let ends = wait_all(children);
    unconfirmed.extend(ends.unconfirmed);
    let flushed = client.flush(Duration::from_secs(20));
    if flushed.stats.delivered != 1 && !unconfirmed.contains(&first) {
        unconfirmed.push(first);
    }
    let extra = format!("forked_before_ack={before_ack}");
    report(
        "fork-first-publish-round",
        ends.hung,
        &extra,
        &published,
        &unconfirmed,
    );
}

pub fn first_publish(mode: Mode) -> Outcome {
    let rounds = if mode.quick { 30 } else { 60 };
    let mut ledger = Ledger::new("fork-first-publish");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let url = server.url();
    let (mut hung, mut rounds_failed, mut unconfirmed, mut before_ack) = (0, 0, 0, 0);
    let (mut total, mut children) = (0, 0);
    let started = Instant::now();
    for round in 0..rounds {
        let r = round.to_string();
        let child = run_child(&[FIRST_PUBLISH_ROUND, &url, &r], "fork-first-publish-round");
        let mut published = names(&child.line, "published");
        if published.is_empty() {
            // No report: the round's own events, as it would have named them.
            published.push(format!("r{round}_first"));
            published.extend((0..ROUND_CHILDREN).map(|k| format!("r{round}_c{k}")));
        }
        let lost_track = if child.line.is_empty() {
            published.clone()
        } else {
            names(&child.line, "unconfirmed")
        };
        unconfirmed += lost_track.len();
        total += published.len();
        children += published.len() - 1;
        hung += field(&child.line, "hung") + u64::from(!child.finished);
        before_ack += field(&child.line, "forked_before_ack");
        rounds_failed += u64::from(!(child.finished && child.succeeded && !child.line.is_empty()));
        ledger.published_elsewhere(published);
        ledger.unconfirmed(lost_track);
    }
    let elapsed = started.elapsed();
    let expected = (total - unconfirmed) as u64;
    collect(&mut ledger, &[&sub], expected, Duration::from_secs(20));
    ledger.hangs(hung);
    ledger.check(
        rounds_failed == 0,
        format!("{rounds_failed} round(s) did not finish or report"),
    );
    ledger.check(
        unconfirmed == 0,
        format!("{unconfirmed} event(s) not confirmed delivered by their process"),
    );
    ledger.figure("rounds", rounds);
    ledger.figure("children", children);
    ledger.figure("hangs", hung);
    // Children forked while the round's first event was not acknowledged yet.
    ledger.figure("forked_before_first_ack", before_ack);
    ledger.figure("rounds_ms", ms(elapsed));
    ledger.finish()
}

/// The runner of `fork-during-shutdown`: one thread loops publish + shutdown(300 ms) (each
/// publish starts a new engine, each shutdown stops it), the main thread forks children
/// meanwhile, 3 ms apart, every other one as soon as the loop is inside a shutdown.
pub fn shutdown_runner(endpoint: &str) {
    let client = Client::new(config(SockudoOptions::default().app(), endpoint)).unwrap();
    let stop = AtomicBool::new(false);
    let shutdowns = AtomicUsize::new(0);
    let in_shutdown = AtomicBool::new(false);
    let mut forked_in_shutdown = 0;
    let (ends, children, loop_published, loop_unconfirmed) = std::thread::scope(|s| {
        let (client, stop, shutdowns, in_shutdown) = (&client, &stop, &shutdowns, &in_shutdown);
        let looping = s.spawn(move || {
            let (mut published, mut unconfirmed) = (Vec::new(), Vec::new());
            let mut i = 0;
            while !stop.load(SeqCst) {
                let name = format!("l{i}");
                i += 1;
                let accepted = client.publish(event(CHANNEL, &name)).is_ok();
                // One event per engine: its shutdown report says whether it was delivered
                // (abandoned in flight, it may still have reached the server).
                in_shutdown.store(true, SeqCst);
                let report = client.shutdown(Duration::from_millis(300));
                in_shutdown.store(false, SeqCst);
                if !accepted || report.stats.delivered != 1 {
                    unconfirmed.push(name.clone());
                }
                published.push(name);
                shutdowns.fetch_add(1, SeqCst);
            }
            (published, unconfirmed)
        });
        // Forks start once the loop is shutting engines down.
        wait_until(Duration::from_secs(20), || shutdowns.load(SeqCst) >= 1);
        let mut children = Vec::new();
        for k in 0..SHUTDOWN_CHILDREN {
            let name = format!("s{k}");
            if k % 2 == 0 {
                // Every other child waits for the loop to be inside a shutdown; the others
                // land wherever the loop is (starting an engine, publishing, shutting down).
                let deadline = Instant::now() + Duration::from_secs(2);
                while !in_shutdown.load(SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_micros(100));
                }
            }
            forked_in_shutdown += usize::from(in_shutdown.load(SeqCst));
            children.push((fork_child(client, &name), name));
            std::thread::sleep(Duration::from_millis(3));
        }
        let names: Vec<String> = children.iter().map(|(_, n)| n.clone()).collect();
        let ends = wait_all(children);
        stop.store(true, SeqCst);
        let (published, unconfirmed) = looping.join().unwrap();
        (ends, names, published, unconfirmed)
    });
    let mut published = children;
    published.extend(loop_published);
    let mut unconfirmed = ends.unconfirmed;
    let extra = format!(
        "children_unconfirmed={} loop_unconfirmed={} shutdowns={} forked_in_shutdown={forked_in_shutdown}",
        unconfirmed.len(),
        loop_unconfirmed.len(),
        shutdowns.load(SeqCst)
    );
    unconfirmed.extend(loop_unconfirmed);
    report(
        "fork-shutdown-runner",
        ends.hung,
        &extra,
        &published,
        &unconfirmed,
    );
}

pub fn during_shutdown() -> Outcome {
    let mut ledger = Ledger::new("fork-during-shutdown");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let started = Instant::now();
    let child = run_child(&[SHUTDOWN_RUNNER, &server.url()], "fork-shutdown-runner");
    let elapsed = started.elapsed();
    let line = &child.line;
    let mut published = names(line, "published");
    let unconfirmed = if line.is_empty() {
        // No report: at least the children's events, none of them confirmed.
        published = (0..SHUTDOWN_CHILDREN).map(|k| format!("s{k}")).collect();
        published.clone()
    } else {
        names(line, "unconfirmed")
    };
    let expected = (published.len() - unconfirmed.len()) as u64;
    ledger.published_elsewhere(published);
    ledger.unconfirmed(unconfirmed);
    collect(&mut ledger, &[&sub], expected, Duration::from_secs(20));
    let hung = field(line, "hung") + u64::from(!child.finished);
    let children_unconfirmed = field(line, "children_unconfirmed");
    ledger.hangs(hung);
    ledger.check(
        child.finished && child.succeeded && !line.is_empty(),
        "the runner did not finish or report",
    );
    ledger.check(
        children_unconfirmed == 0,
        format!("{children_unconfirmed} child(ren) did not deliver their event"),
    );
    // The loop spends most of its time inside shutdown: forks that all missed it would have
    // tested nothing.
    let in_shutdown = field(line, "forked_in_shutdown");
    ledger.check(in_shutdown > 0, "no child was forked during a shutdown");
    ledger.figure("children", SHUTDOWN_CHILDREN);
    ledger.figure("hangs", hung);
    ledger.figure("shutdowns", field(line, "shutdowns"));
    ledger.figure("forked_in_shutdown", in_shutdown);
    // A shutdown(300 ms) may abandon its event with the request in flight: accounted for as
    // unconfirmed (failed unless the subscriber saw it), not a fault of the fork.
    ledger.figure("loop_abandoned", field(line, "loop_unconfirmed"));
    ledger.figure("runner_ms", ms(elapsed));
    ledger.finish()
}
