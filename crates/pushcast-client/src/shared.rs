//! State shared by publishers, the dispatcher and the lanes of one engine: admission
//! (the bounded queue's accounting), resolution of events, and the waits built on them. The
//! events themselves are `crate::item`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::sync::Mutex;
use pushcast_core::response::ChannelInfo;
use pushcast_core::{App, Error};

use crate::config::{BreakerOpenPolicy, ClientConfig};
use crate::failures::{Failure, FailureLog};
use crate::item::Item;
use crate::stats::Stats;

/// The engine's shared state.
pub(crate) struct Shared {
    pub config: ClientConfig,
    pub app: App,
    pub stats: Stats,
    pub failures: FailureLog,
    /// Events accepted and not yet resolved: the queue's depth, bounded by the capacity.
    pending: AtomicUsize,
    waiters: AtomicUsize,
    /// Flush and blocking-publish waiters wait here (`crate::sync` says why not parking_lot).
    wait_lock: Mutex<()>,
    wait_signal: crate::sync::Condvar,
    /// Set when shutdown's deadline passed: lanes stop retrying and give up.
    pub aborting: AtomicBool,
    /// One circuit breaker per endpoint.
    pub breakers: crate::breaker::Breakers,
    /// The durable spool, when configured.
    pub spool: Option<Arc<crate::spool::Spool>>,
    /// Why the engine stopped working, once one of its threads died on a bug.
    failure: Mutex<Option<String>>,
}

impl Shared {
    pub(crate) fn new(config: ClientConfig, spool: Option<Arc<crate::spool::Spool>>) -> Self {
        Shared {
            spool,
            breakers: crate::breaker::Breakers::new(&config),
            app: config.app.clone(),
            failures: FailureLog::new(config.max_failures_kept),
            config,
            stats: Stats::new(),
            pending: AtomicUsize::new(0),
            waiters: AtomicUsize::new(0),
            wait_lock: Mutex::new(()),
            wait_signal: crate::sync::Condvar::new(),
            aborting: AtomicBool::new(false),
            failure: Mutex::new(None),
        }
    }

    /// An engine thread or lane died on a bug: from now on publishing fails with this reason,
    /// and stats say it. What it held is reported undelivered by flush and shutdown.
    pub(crate) fn fail_engine(&self, reason: String) {
        crate::log::log(
            self.config.log.as_ref(),
            crate::log::LogLevel::Error,
            &format!("pushcast: ERROR: {reason}"),
        );
        self.note(None, 0, &reason);
        self.failure.lock().get_or_insert(reason);
        self.wake_waiters();
    }

    /// Why the engine stopped, if it did.
    pub(crate) fn engine_failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }

    /// Events reserved in memory (the in-memory queue's depth).
    pub(crate) fn pending(&self) -> usize {
        self.pending.load(SeqCst)
    }

    /// Events not yet resolved: in memory, or waiting on disk in the spool.
    pub(crate) fn outstanding(&self) -> usize {
        self.pending() + self.spool.as_ref().map_or(0, |s| s.backlog())
    }

    /// Reserves room for `n` events; false when the queue cannot take them.
    pub(crate) fn try_reserve(&self, n: usize) -> bool {
        let capacity = self.config.queue_capacity;
        self.pending
            .fetch_update(SeqCst, SeqCst, |p| (p + n <= capacity).then_some(p + n))
            .is_ok()
    }

    /// Reserves room for `n` events even past the capacity (drop-oldest: the dispatcher then
    /// drops the oldest waiting events until the queue is back within it).
    pub(crate) fn force_reserve(&self, n: usize) {
        self.pending.fetch_add(n, SeqCst);
    }

    /// How many events the queue holds beyond its capacity.
    pub(crate) fn excess(&self) -> usize {
        self.pending().saturating_sub(self.config.queue_capacity)
    }

    /// Waits on the signal until `done()` or `deadline`; returns `done()`'s last answer.
    fn wait_until(&self, deadline: Instant, mut done: impl FnMut() -> bool) -> bool {
        self.waiters.fetch_add(1, SeqCst);
        let mut guard = self.wait_lock.lock();
        let result = loop {
            if done() {
                break true;
            }
            let (held, timed_out) = self.wait_signal.wait_until(guard, deadline);
            guard = held;
            if timed_out {
                break done();
            }
        };
        drop(guard);
        self.waiters.fetch_sub(1, SeqCst);
        result
    }

    /// Waits for room for `n` events until `deadline`.
    pub(crate) fn reserve_until(&self, n: usize, deadline: Instant) -> bool {
        self.wait_until(deadline, || self.try_reserve(n))
    }

    /// Waits until nothing is outstanding or `deadline`; returns what still is.
    pub(crate) fn wait_empty(&self, deadline: Instant) -> usize {
        // Rows loaded from disk become pending before they leave the backlog, so `outstanding`
        // never reads zero early; every other way it falls wakes the waiters.
        self.wait_until(deadline, || self.outstanding() == 0);
        self.outstanding()
    }

    /// Frees `n` reservations and wakes whoever waits for room or for an empty queue.
    pub(crate) fn release(&self, n: usize) {
        self.pending.fetch_sub(n, SeqCst);
        self.wake_waiters();
    }

    /// Wakes whoever waits for room or for an empty queue: after a release, or after the
    /// spool's backlog shrank without one (drop-oldest on disk).
    pub(crate) fn wake_waiters(&self) {
        if self.waiters.load(SeqCst) > 0 {
            let _guard = self.wait_lock.lock();
            self.wait_signal.notify_all();
        }
    }

    /// The server acknowledged these items; `infos` are per-item channel info, when reported.
    pub(crate) fn delivered(&self, items: &[Item], infos: &[ChannelInfo]) {
        // Stats first, acknowledgements after: a confirmed publisher woken by its ack must see
        // its own delivery counted.
        let now = Instant::now();
        for item in items {
            self.stats
                .latency
                .record(now.saturating_duration_since(item.enqueued));
        }
        self.stats
            .counters
            .delivered
            .fetch_add(items.len() as u64, SeqCst);
        if let Some(spool) = &self.spool {
            spool.resolved(items);
        }
        for (i, item) in items.iter().enumerate() {
            if let Some(ack) = &item.ack {
                ack.resolve(item.channel(), Ok(infos.get(i)));
            }
        }
        self.release(items.len());
    }

    /// These items will not be delivered: counted, logged, acknowledged with the error.
    pub(crate) fn failed(&self, items: Vec<Item>, error: &Error) {
        self.give_up(items, error, &self.stats.counters.failed);
    }

    /// Items still undelivered when the client shut down. Those in the spool stay there for
    /// the next process (counted as left in the spool); the others are abandoned.
    pub(crate) fn abandoned(&self, items: Vec<Item>) {
        let (kept, lost): (Vec<Item>, Vec<Item>) =
            items.into_iter().partition(|i| i.spool.is_some());
        if let (Some(spool), false) = (&self.spool, kept.is_empty()) {
            spool.left_at_shutdown.fetch_add(kept.len() as u64, SeqCst);
            for item in &kept {
                if let Some(ack) = &item.ack {
                    ack.resolve(item.channel(), Err(&Error::ShutDown));
                }
            }
            self.release(kept.len());
        }
        let counter = &self.stats.counters.abandoned_at_shutdown;
        self.give_up(lost, &Error::ShutDown, counter);
    }

    /// An item removed from the queue by the drop-oldest policy.
    pub(crate) fn dropped_oldest(&self, item: Item, capacity: usize) {
        let capacity = u64::try_from(capacity).unwrap_or(u64::MAX);
        let error = Error::DroppedForNewer { capacity };
        self.give_up(vec![item], &error, &self.stats.counters.dropped_oldest);
    }

    /// Items that will not be delivered: counted in `counter`, logged, acknowledged.
    fn give_up(&self, items: Vec<Item>, error: &Error, counter: &AtomicU64) {
        if items.is_empty() {
            return;
        }
        self.note(Some(counter), items.len() as u64, error);
        if let Some(spool) = &self.spool {
            spool.resolved(&items);
        }
        let n = items.len();
        let at = SystemTime::now();
        // The log first, acknowledgements after: a confirmed publisher woken by its ack must
        // find its failure in the log.
        for item in &items {
            self.failures.push(Failure {
                event: item.event.name.clone(),
                channel: item.channel().to_owned(),
                error: error.clone(),
                at,
            });
        }
        for item in &items {
            if let Some(ack) = &item.ack {
                ack.resolve(item.channel(), Err(error));
            }
        }
        self.release(n);
    }

    /// An item replaced in the queue by a later one with the same conflation key: counted as
    /// conflated (never as lost or failed). Items of confirmed publishes are never conflated.
    pub(crate) fn conflated(&self, item: Item) {
        debug_assert!(item.ack.is_none());
        if let Some(spool) = &self.spool {
            spool.resolved([&item]);
        }
        self.stats.counters.conflated.fetch_add(1, SeqCst);
        self.release(1);
    }

    /// Live statistics with every endpoint's circuit state.
    pub(crate) fn snapshot(&self) -> crate::stats::StatsSnapshot {
        let mut snapshot = self.stats.snapshot(self.outstanding());
        snapshot.circuits = self.breakers.states();
        if let Some(spool) = &self.spool {
            let f = spool.figures();
            snapshot.spool_rows = f.rows;
            snapshot.spool_bytes = f.bytes;
            snapshot.spool_backlog = f.backlog;
            snapshot.spool_replayed = f.replayed;
            snapshot.spool_left_at_shutdown = f.left_at_shutdown;
        }
        snapshot
    }

    /// Records a failed request's error as the last error.
    pub(crate) fn note_error(&self, error: &Error) {
        self.note(Some(&self.stats.counters.requests_failed), 1, error);
    }

    /// The one place the last error is recorded: adds `n` to `counter` (the events or
    /// requests the error befell, when it has a counter of its own) and keeps `error` as the
    /// last error, which stats report.
    pub(crate) fn note(&self, counter: Option<&AtomicU64>, n: u64, error: &dyn std::fmt::Display) {
        if let Some(counter) = counter {
            counter.fetch_add(n, SeqCst);
        }
        self.stats.set_last_error(error);
    }
}

/// All the spool sees of the engine.
impl crate::spool::Memory for Shared {
    /// The queue's room; while every circuit is open under the spool breaker policy, only one
    /// batch (which probes the endpoints): the rest waits on disk.
    fn room(&self) -> usize {
        let limit = if self.config.breaker_open_policy == BreakerOpenPolicy::Spool
            && self.breakers.all_open().is_some()
        {
            self.app
                .profile()
                .max_events_per_batch
                .unwrap_or(100)
                .max(1)
        } else {
            self.config.queue_capacity
        };
        limit.saturating_sub(self.pending())
    }

    fn try_reserve(&self, n: usize) -> bool {
        Shared::try_reserve(self, n)
    }

    fn force_reserve(&self, n: usize) {
        Shared::force_reserve(self, n);
    }

    fn wake_waiters(&self) {
        Shared::wake_waiters(self);
    }

    fn spool_error(&self, error: &Error) {
        self.note(Some(&self.stats.counters.spool_errors), 1, error);
    }
}
