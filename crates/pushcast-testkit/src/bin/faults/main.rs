//! The fault suite: each scenario runs the publisher against a real sockudo (through the fault
//! proxy or nginx where the fault needs one), accounts for every event it published
//! (delivered to a real subscriber + failures the client reported + drops it counted), and
//! prints one `fault <name> ... ok=true|false` line. Last line:
//! `faults scenarios=K passed=P lost=L`; the exit status is non-zero if any scenario failed.
//!
//! `FAULTS_QUICK=1` (CI) shortens the outage and the streams. Arguments, if any, pick the
//! scenarios whose names start with one of them. Two hidden subcommands run the child processes
//! of the exit and fork scenarios.

// A binary used only for tests: a failed expectation is a failed scenario, caught below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dns;
mod exit;
mod forks;
mod ledger;
mod queue_full;
mod restart;
mod setup;
mod stall;
mod storm;
mod tls;

use std::panic::{catch_unwind, AssertUnwindSafe};

use setup::Mode;

type Scenario = (&'static str, Box<dyn Fn() -> (bool, u64)>);

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
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(exit::CHILD) => return exit::child(&args[1]),
        Some(forks::RUNNER) => return forks::runner(&args[1]),
        _ => {}
    }
    let mode = Mode::from_env();
    let (mut count, mut passed, mut lost) = (0, 0, 0);
    for (name, scenario) in scenarios(mode) {
        if !args.is_empty() && !args.iter().any(|a| name.starts_with(a.as_str())) {
            continue;
        }
        count += 1;
        match catch_unwind(AssertUnwindSafe(scenario)) {
            Ok((ok, l)) => {
                passed += usize::from(ok);
                lost += l;
            }
            // The panic message is already on standard error.
            Err(_) => println!("fault {name} ok=false error=panicked"),
        }
    }
    println!("faults scenarios={count} passed={passed} lost={lost}");
    if passed != count {
        std::process::exit(1);
    }
}
