//! Failure isolation: a batch the server refuses at one event delivers the others, fails only
//! that one with the server's message, and counts every event it may have repeated (`resent`).
//! Ported from `crates/pushcast-client/tests/isolation.rs`. The refusal comes from the fault
//! proxy's `RefuseEvent` mode (a real server can't refuse one chosen event on demand); the
//! events it lets through, and those it dispatches before refusing, go to the real sockudo and
//! its subscriber.
//!
//! Old behaviour: a refused batch failed whole, every event of it with the one refusal (a 422
//! at `Bad` failed all nine); a 500 retried the whole batch until the delivery deadline, so the
//! events the server had dispatched before failing arrived again on each try, and no resend was
//! counted.

use std::time::Duration;

use pushcast_client::{Client, StatsSnapshot};
use pushcast_core::Error;
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, Subscriber, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config, wait_until};

const CHANNEL: &str = "isolation";
const NINE: [&str; 9] = ["E0", "E1", "E2", "E3", "Bad", "E5", "E6", "E7", "E8"];
const BEFORE_BAD: [&str; 4] = ["E0", "E1", "E2", "E3"];

/// What one run saw.
struct Run {
    ledger: Ledger,
    stats: StatsSnapshot,
    /// Tries of the lead closed unanswered: each makes its next send a counted resend.
    lead_resends: u64,
}

/// Publishes `Lead`, then `E0..E3, Bad, E5..E8` so that the nine reach the server in ONE batch:
/// the lead keeps the channel's lane busy (the proxy accepts its connections and closes them
/// unanswered) while the nine pile up behind it, then the proxy switches to `refusal` and the
/// lead goes through. `twice`: the events expected to arrive twice.
fn run(name: &str, refusal: ProxyMode, twice: &[&str]) -> Run {
    let mut ledger = Ledger::new(name);
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let proxy = FaultProxy::start(server.port, ProxyMode::Refuse);
    let mut cfg = config(app, proxy.url());
    cfg.retry_base = Duration::from_millis(10);
    let client = Client::new(cfg).unwrap();
    ledger.publish(&client, CHANNEL, "Lead".into());
    let lead_sent = wait_until(Duration::from_secs(10), || !proxy.accepted().is_empty());
    ledger.check(lead_sent, "the lead was never sent");
    ledger.publish_batch(&client, CHANNEL, &NINE);
    proxy.set_mode(refusal);
    let report = client.flush(Duration::from_secs(20));
    let stats = client.stats();
    ledger.expect_twice(twice);
    collect(
        &mut ledger,
        &[&sub],
        (1 + NINE.len() - 1 + twice.len()) as u64,
        Duration::from_secs(10),
    );
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    let failures = client.drain_failures();
    let status = match refusal {
        ProxyMode::RefuseEvent { status, .. } => status,
        _ => 0,
    };
    let alone = failures.len() == 1
        && failures[0].event == "Bad"
        && failures[0].error
            == Error::Api {
                status,
                message: "refused event Bad".into(),
            };
    ledger.check(
        alone,
        format!("expected Bad alone to fail with the server's {status} and message: {failures:?}"),
    );
    ledger.failures(failures);
    ledger.check(
        (stats.delivered, stats.failed) == (9, 1),
        format!(
            "delivered/failed = {:?}, expected (9, 1)",
            (stats.delivered, stats.failed)
        ),
    );
    ledger.check_stats(&stats);
    let lead_resends = proxy
        .accepted()
        .iter()
        .filter(|c| c.mode == ProxyMode::Refuse)
        .count() as u64;
    ledger.check(lead_resends >= 1, "the lead was never closed unanswered");
    ledger.figure("lead_resends", lead_resends);
    ledger.figure("resent", stats.resent);
    ledger.figure("split_batches", stats.split_batches);
    Run {
        ledger,
        stats,
        lead_resends,
    }
}

/// A 422 at `Bad`, nothing dispatched: the others arrive once, only `Bad` fails. A 4xx says
/// the server did nothing, so splitting repeats nothing: `resent` counts only the lead's tries
/// after unanswered ones. Halves: [E0..E3 Bad] [E5..E8], then [E0 E1 E2] [E3 Bad], then [E3]
/// [Bad]: 3 splits.
pub fn refused_422() -> Outcome {
    let Run {
        mut ledger,
        stats,
        lead_resends,
    } = run(
        "isolation-refused-422",
        ProxyMode::RefuseEvent {
            name: "Bad",
            status: 422,
            dispatch_before: false,
        },
        &[],
    );
    ledger.check(
        stats.resent == lead_resends,
        format!(
            "resent {} (expected the lead's {lead_resends} unanswered tries)",
            stats.resent
        ),
    );
    ledger.check(
        stats.split_batches == 3,
        format!("{} splits (expected 3)", stats.split_batches),
    );
    ledger.finish()
}

/// A 500 at `Bad` after the server dispatched E0..E3: the batch goes again as single events,
/// so E0..E3 arrive exactly twice (and are counted), E5..E8 once, `Bad` never. `resent`: the
/// lead's unanswered tries, the 8 others once each as single events, and `Bad` on each of its
/// 3 tries alone.
pub fn error_500_after_dispatch() -> Outcome {
    let Run {
        mut ledger,
        stats,
        lead_resends,
    } = run(
        "isolation-500-after-dispatch",
        ProxyMode::RefuseEvent {
            name: "Bad",
            status: 500,
            dispatch_before: true,
        },
        &BEFORE_BAD,
    );
    ledger.check(
        stats.resent == lead_resends + 8 + 3,
        format!("resent {} (expected {lead_resends} + 8 + 3)", stats.resent),
    );
    ledger.check(
        stats.split_batches == 1,
        format!("{} splits (expected 1)", stats.split_batches),
    );
    ledger.finish()
}
