//! Whether validated events get in: the one place that decides accept, wait, drop or refuse,
//! for the in-memory queue and the durable spool alike, and counts and reports each outcome.
//!
//! The order: while every circuit is open under the fail-fast breaker policy, refuse. Then the
//! backpressure policy applies to where accepted events are held: the in-memory queue (counted
//! in events, `queue_capacity`), or with a spool, the spool on disk (counted in bytes,
//! `spool.max_bytes`), which then feeds memory itself. A confirmed or tracked publish never
//! drops silently: drop-newest refuses it instead.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use pushcast_core::{Error, Result};

use crate::config::{Backpressure, BreakerOpenPolicy};
use crate::deadline::{deadline_after, millis};
use crate::engine::Engine;
use crate::failures::Failure;
use crate::item::Item;
use crate::shared::Shared;
use crate::spool::Spool;

/// What happened to a published event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// In the queue; it will be delivered, or fail and be counted and logged.
    Queued,
    /// The queue was full and the drop-newest policy dropped it (counted and logged).
    Dropped,
}

/// Who is publishing: a confirmed or tracked publisher waits for an answer, so it is told
/// about a full queue rather than having its event dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Publisher {
    /// `publish`, `publish_batch`, `send_to_user`.
    FireAndForget,
    /// `publish_confirmed`, `publish_tracked`.
    Confirmed,
}

/// A bounded place accepted events are held in, as the backpressure policy sees it.
trait Room {
    /// Takes room now, if there is.
    fn try_take(&self) -> bool;
    /// Waits for room until `deadline`.
    fn take_until(&self, deadline: Instant) -> bool;
    /// Makes room by displacing older events (drop-oldest); whether room was taken.
    fn take_displacing_oldest(&self) -> Result<bool>;
    /// The error naming this place's limit.
    fn full(&self) -> Error;
}

/// The in-memory queue, counted in events.
struct MemoryRoom<'a> {
    shared: &'a Shared,
    events: usize,
}

impl Room for MemoryRoom<'_> {
    fn try_take(&self) -> bool {
        self.shared.try_reserve(self.events)
    }

    fn take_until(&self, deadline: Instant) -> bool {
        self.shared.reserve_until(self.events, deadline)
    }

    fn take_displacing_oldest(&self) -> Result<bool> {
        // Over the capacity for a moment: the dispatcher drops the oldest waiting events
        // (each counted and logged there) until the queue is back within it.
        self.shared.force_reserve(self.events);
        Ok(true)
    }

    fn full(&self) -> Error {
        Error::QueueFull {
            capacity: self.shared.config.queue_capacity,
        }
    }
}

/// The durable spool, counted in bytes on disk.
struct SpoolRoom<'a> {
    shared: &'a Shared,
    spool: &'a Spool,
    bytes: u64,
}

impl Room for SpoolRoom<'_> {
    fn try_take(&self) -> bool {
        self.spool.try_reserve_bytes(self.bytes)
    }

    fn take_until(&self, deadline: Instant) -> bool {
        self.spool.reserve_bytes_until(self.bytes, deadline)
    }

    fn take_displacing_oldest(&self) -> Result<bool> {
        let displaced = self.spool.drop_oldest_on_disk(self.bytes)?;
        // Accepted, then displaced: not the full spool's "not accepted".
        let error = Error::DroppedForNewer {
            capacity: self.spool.config.max_bytes,
        };
        let at = SystemTime::now();
        let n = displaced.len() as u64;
        // The log first, acknowledgements after: a confirmed publisher woken by its ack must
        // find its failure in the log.
        for row in &displaced {
            self.shared.failures.push(Failure {
                event: row.event.clone(),
                channel: row.channel.clone(),
                error: error.clone(),
                at,
            });
        }
        for row in &displaced {
            if let Some(ack) = &row.ack {
                ack.resolve(&row.channel, Err(&error));
            }
        }
        if n > 0 {
            self.shared.wake_waiters();
            let counters = &self.shared.stats.counters;
            self.shared.note(Some(&counters.dropped_oldest), n, &error);
        }
        Ok(self.spool.try_reserve_bytes(self.bytes))
    }

    fn full(&self) -> Error {
        self.spool.full()
    }
}

/// What the policy decided.
enum Decision {
    Take,
    DropNewest,
}

/// Applies `policy` to `room`; `Err` is a refusal (fail-fast, a blocking wait that timed out,
/// a drop-oldest that could not make room) or a failure of the room itself.
fn decide(room: &dyn Room, policy: Backpressure) -> Result<Decision> {
    if room.try_take() {
        return Ok(Decision::Take);
    }
    match policy {
        Backpressure::Block { timeout } => {
            if room.take_until(deadline_after(Instant::now(), timeout)) {
                return Ok(Decision::Take);
            }
        }
        Backpressure::DropOldest => {
            if room.take_displacing_oldest()? {
                return Ok(Decision::Take);
            }
        }
        Backpressure::DropNewest => return Ok(Decision::DropNewest),
        Backpressure::FailFast => {}
    }
    Err(room.full())
}

/// Admits `items` (validated; one per event and channel) into `engine`, queues what is
/// accepted, and counts and reports every other outcome.
///
/// Errors: [`Error::CircuitOpen`] (fail-fast breaker policy, every circuit open),
/// [`Error::QueueFull`] / [`Error::SpoolFull`] (refused by the policy), a spool write error.
pub(crate) fn admit(engine: &Engine, items: Vec<Item>, publisher: Publisher) -> Result<Accepted> {
    let shared: &Shared = &engine.shared;
    let n = items.len() as u64;
    let counters = &shared.stats.counters;
    if shared.config.breaker_open_policy == BreakerOpenPolicy::FailFast {
        if let Some((endpoint, wait)) = shared.breakers.all_open() {
            let error = Error::CircuitOpen {
                endpoint,
                retry_in_ms: millis(wait),
            };
            shared.note(Some(&counters.rejected_circuit_open), n, &error);
            return Err(error);
        }
    }
    let policy = match (shared.config.backpressure, publisher) {
        (Backpressure::DropNewest, Publisher::Confirmed) => Backpressure::FailFast,
        (policy, _) => policy,
    };
    let spool = shared.spool.as_ref().map(Arc::clone);
    let sizes = spool.as_ref().map(|_| Spool::sizes(&items));
    let room: Box<dyn Room + '_> = match (&spool, &sizes) {
        (Some(spool), Some((_, bytes))) => Box::new(SpoolRoom {
            shared,
            spool,
            bytes: *bytes,
        }),
        _ => Box::new(MemoryRoom {
            shared,
            events: items.len(),
        }),
    };
    match decide(&*room, policy) {
        Ok(Decision::Take) => {}
        Ok(Decision::DropNewest) => {
            let full = room.full();
            log_dropped(shared, &items, &full);
            shared.note(Some(&counters.dropped_newest), n, &full);
            return Ok(Accepted::Dropped);
        }
        Err(error) => {
            let refused = matches!(error, Error::QueueFull { .. } | Error::SpoolFull { .. });
            shared.note(refused.then_some(&counters.rejected_queue_full), n, &error);
            return Err(error);
        }
    }
    drop(room);
    match (spool, sizes) {
        (Some(spool), Some(sizes)) => {
            if let Err(error) = engine.write_to_spool(&spool, items, sizes) {
                shared.note(None, n, &error);
                return Err(error);
            }
        }
        _ => engine.enqueue(items),
    }
    Ok(Accepted::Queued)
}

/// Drop-newest: logged too, so a host draining failures sees what was dropped.
fn log_dropped(shared: &Shared, items: &[Item], error: &Error) {
    let at = SystemTime::now();
    for item in items {
        shared.failures.push(Failure {
            event: item.event.name.clone(),
            channel: item.channel().to_owned(),
            error: error.clone(),
            at,
        });
    }
}
