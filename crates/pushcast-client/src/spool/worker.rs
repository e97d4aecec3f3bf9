//! The spool thread: deletes resolved rows in batches (one transaction for everything
//! resolved since the last turn), loads waiting rows as memory frees up, fsyncs the WAL at the
//! interval sync level, and claims the spools of processes that died meanwhile.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Memory, Spool, SpoolSync};
use crate::item::Item;

/// How often the directory is scanned for spools whose process died.
const CLAIM_EVERY: Duration = Duration::from_secs(2);
/// How long the thread sleeps while rows wait on disk and memory is full.
const LOAD_POLL: Duration = Duration::from_millis(5);
/// How long it sleeps with nothing to do (it is woken by new work).
const IDLE: Duration = Duration::from_millis(200);
/// The shortest turn: deletes and loads are batched over at least this long, so the spool's
/// lock is taken by this thread at most a few hundred times a second, however fast events
/// resolve (publishers wait for that lock to write).
const MIN_TURN: Duration = Duration::from_millis(5);

pub(crate) fn run(
    spool: Arc<Spool>,
    memory: Arc<dyn Memory + Send + Sync>,
    push: impl Fn(Vec<Item>),
    stop: Arc<AtomicBool>,
) {
    let report = |result: pushcast_core::Result<()>| {
        if let Err(e) = result {
            memory.spool_error(&e);
        }
    };
    let report_notes = || {
        for e in spool.take_notes() {
            memory.spool_error(&e);
        }
    };
    let mut last_claim = Instant::now();
    let mut last_sync = Instant::now();
    loop {
        let turn = Instant::now();
        report(spool.commit_resolved());
        if stop.load(SeqCst) {
            break;
        }
        report(spool.load(&*memory, &push).map(drop));
        if last_claim.elapsed() >= CLAIM_EVERY {
            spool.claim_orphans();
            last_claim = Instant::now();
        }
        // Those of the claims at open too (this thread's first turn).
        report_notes();
        let mut wait = if spool.backlog() > 0 { LOAD_POLL } else { IDLE };
        if let SpoolSync::Interval(interval) = spool.config.sync {
            if last_sync.elapsed() >= interval {
                report(spool.sync_wal());
                report(spool.checkpoint_if_large());
                last_sync = Instant::now();
            }
            wait = wait.min(interval);
        }
        let _ = spool.wake_rx.recv_timeout(wait);
        if let Some(rest) = MIN_TURN.checked_sub(turn.elapsed()) {
            if !stop.load(SeqCst) {
                std::thread::sleep(rest);
            }
        }
    }
    // Last words: what was resolved is deleted, and the WAL is on disk at any sync level
    // that asks for it.
    report(spool.commit_resolved());
    if spool.config.sync != SpoolSync::None {
        report(spool.sync_wal());
    }
}
