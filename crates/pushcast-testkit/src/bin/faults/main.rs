//! The fault suite: each scenario runs the publisher against a real sockudo (through the fault
//! proxy, nginx, or a hand-written hostile server where the fault needs one), accounts for every
//! event it published (delivered to a real subscriber + failures the client reported + drops it
//! counted), and prints one `fault <name> ... ok=true|false` line. Last line:
//! `faults scenarios=N passed=P lost=L hangs=H`; the exit status is non-zero if any scenario
//! failed or hung.
//!
//! Each scenario runs in its own thread with a generous deadline (`FAULTS_DEADLINE_SECS`,
//! default 300): one that has not finished by then is reported `ok=false error=hung` and
//! counted in `hangs`, and the suite goes on without waiting for it. The fork scenarios add the
//! child processes they had to kill after their deadline.
//!
//! `FAULTS_QUICK=1` (CI) shortens the outage and the streams. Arguments, if any, pick the
//! scenarios whose names start with one of them. Hidden subcommands run the child processes
//! of the exit and fork scenarios (each a fresh process image of this binary).

// A binary used only for tests: a failed expectation is a failed scenario, caught below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dns;
mod exit;
mod fork_race;
mod forks;
mod hostile;
mod isolation;
mod ledger;
mod limits;
mod queue_full;
mod restart;
mod setup;
mod stall;
mod storm;
mod tls;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use ledger::Outcome;
use setup::Mode;

type Scenario = (&'static str, Box<dyn FnOnce() -> Outcome + Send>);

fn scenarios(mode: Mode) -> Vec<Scenario> {
    vec![
        ("server-killed", Box::new(move || restart::run(mode))),
        ("server-stalled", Box::new(move || stall::run(mode))),
        ("retry-after-storm", Box::new(storm::run)),
        ("tls-unknown-ca", Box::new(tls::unknown_ca)),
        ("tls-expired", Box::new(tls::expired)),
        ("tls-valid", Box::new(tls::valid)),
        ("dns-failure", Box::new(dns::run)),
        ("queue-full-fail-fast", Box::new(queue_full::fail_fast)),
        ("queue-full-block", Box::new(queue_full::block)),
        ("queue-full-drop-newest", Box::new(queue_full::drop_newest)),
        ("queue-full-drop-oldest", Box::new(queue_full::drop_oldest)),
        ("exit-with-pending", Box::new(exit::run)),
        ("forks-under-load", Box::new(forks::run)),
        (
            "fork-first-publish",
            Box::new(move || fork_race::first_publish(mode)),
        ),
        ("fork-during-shutdown", Box::new(fork_race::during_shutdown)),
        ("hostile-redirect-302", Box::new(hostile::redirect_302)),
        ("hostile-redirect-307", Box::new(hostile::redirect_307)),
        ("hostile-endless-length", Box::new(hostile::endless_length)),
        (
            "hostile-endless-chunked",
            Box::new(hostile::endless_chunked),
        ),
        ("hostile-stall-deadline", Box::new(hostile::stall_deadline)),
        (
            "hostile-password-hidden",
            Box::new(hostile::password_hidden),
        ),
        ("isolation-refused-422", Box::new(isolation::refused_422)),
        (
            "isolation-500-after-dispatch",
            Box::new(isolation::error_500_after_dispatch),
        ),
        ("limits-largest", Box::new(limits::largest)),
    ]
}

/// How long a scenario may run before it counts as hung.
fn deadline() -> Duration {
    let secs = std::env::var("FAULTS_DEADLINE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(secs)
}

/// Runs `scenario` on its own thread; a panic is a failure, no answer by `limit` a hang.
fn run(
    name: &'static str,
    scenario: Box<dyn FnOnce() -> Outcome + Send>,
    limit: Duration,
) -> Outcome {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(scenario)));
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(Ok(outcome)) => outcome,
        // The panic message is already on standard error.
        Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            println!("fault {name} ok=false error=panicked");
            Outcome::default()
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            println!(
                "fault {name} ok=false error=hung deadline_s={}",
                limit.as_secs()
            );
            Outcome {
                ok: false,
                lost: 0,
                hangs: 1,
            }
        }
    }
}

/// SIGKILLs this process's child processes (the servers and helpers a hung scenario still
/// holds: their owners' destructors will never run), found by their parent pid in /proc.
fn kill_children() {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so read after its last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if ppid == Some(me.as_str()) {
            // SAFETY: kill(2) on a child of this process.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(exit::CHILD) => return exit::child(&args[1]),
        Some(forks::RUNNER) => return forks::runner(&args[1]),
        Some(fork_race::FIRST_PUBLISH_ROUND) => {
            return fork_race::first_publish_round(&args[1], &args[2])
        }
        Some(fork_race::SHUTDOWN_RUNNER) => return fork_race::shutdown_runner(&args[1]),
        _ => {}
    }
    let mode = Mode::from_env();
    let limit = deadline();
    let (mut count, mut passed, mut lost, mut hangs) = (0, 0, 0, 0);
    let mut hung_scenario = false;
    for (name, scenario) in scenarios(mode) {
        if !args.is_empty() && !args.iter().any(|a| name.starts_with(a.as_str())) {
            continue;
        }
        count += 1;
        let outcome = run(name, scenario, limit);
        passed += usize::from(outcome.ok);
        lost += outcome.lost;
        hangs += outcome.hangs;
        hung_scenario |= !outcome.ok && outcome.hangs > 0;
    }
    println!("faults scenarios={count} passed={passed} lost={lost} hangs={hangs}");
    if hung_scenario {
        kill_children();
    }
    if passed != count || hangs > 0 {
        // Not a return from main: a hung scenario's thread is not waited for.
        std::process::exit(1);
    }
}
