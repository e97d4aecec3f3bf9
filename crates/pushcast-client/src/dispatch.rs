//! The dispatcher: takes events off the queue, serializes them (off the caller's path), groups
//! them by lane, and hands each idle lane the largest batch the server profile allows.
//!
//! It is a task on the I/O thread's runtime, beside the lanes, not a thread of its own: an
//! event published to an idle engine wakes one thread (the I/O thread, which takes it, batches
//! it and sends it in the same wake-up) instead of two, and a lane's end reaches the
//! dispatcher without a thread switch. With a thread of its own, each hop was a wake-up that
//! waited for a core; on a busy PHP-FPM host those waits made pushcast's p99 worse than a
//! blocking call's (issue 15; BENCHMARKS.md, "where the time goes").
//!
//! Tried and not kept, for the wake-up that remains: short kernel time slices for the I/O
//! thread (EEVDF's `sched_attr.sched_runtime`, 0.1 ms), and a `sched_yield` by the publisher
//! after waking an idle engine. Both cut the wait for a core under `ab -c 4` (stage `queue` from
//! about 250 µs to 10-40 µs p50), but both did it by running the I/O thread on the publisher's
//! core at once, so the publisher waited for the send: caller p50 went from 5 µs to about
//! 90 µs at 500 events/s. Returning at once is the point of this library.
//!
//! Kept instead, the other way round: an idle engine's I/O thread is `SCHED_BATCH`
//! (wake_policy.rs), so the kernel never runs it on the publisher's core in the middle of
//! `publish`; it runs when a core is free or the publisher blocks.
//!
//! And the wake-up is off the path of an event published to an idle engine: its publisher has
//! already written its request (ahead.rs), and the dispatcher hands it to its lane at once, to
//! read the answer.
//!
//! There is no timer-based lingering: a lane that is idle gets what is there at once (lowest
//! latency at low rates), and while lanes are busy events pile up into full batches (highest
//! throughput under load).

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Instant;

use pushcast_core::{batch_body_len, Error};
use tokio::sync::mpsc;

use crate::conflate::Conflator;
use crate::item::Item;
use crate::lane::Batch;
use crate::shared::Shared;

/// What travels through the queue.
pub(crate) enum Command {
    Publish(Item),
    /// Wakes the dispatcher to look at the stop flag.
    Wake,
}

struct Ready {
    item: Item,
    json: Vec<u8>,
    /// Arrival order at the dispatcher: increasing along each lane's queue (conflation finds
    /// an event by it).
    seq: u64,
    /// When the dispatcher took it off the queue (the `batch` stage starts).
    taken: Instant,
}

pub(crate) struct Dispatcher {
    pub shared: Arc<Shared>,
    pub lanes: Vec<mpsc::UnboundedSender<Batch>>,
    pub stop: Arc<std::sync::atomic::AtomicBool>,
}

fn lane_of(channel: &str, lanes: usize) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    channel.hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}

impl Dispatcher {
    /// Runs until stopped with nothing left to send, or until the queue's senders are gone;
    /// `done` carries the number of each lane that finished a batch.
    pub(crate) async fn run(
        self,
        mut queue: mpsc::UnboundedReceiver<Command>,
        mut done: mpsc::UnboundedReceiver<usize>,
    ) {
        let lanes = self.lanes.len();
        let mut waiting: Vec<VecDeque<Ready>> = (0..lanes).map(|_| VecDeque::new()).collect();
        // Batches each lane has and has not finished: usually 0 or 1; one more while an event
        // its publisher wrote (sent to its lane at once) waits behind a batch in flight.
        let mut busy = vec![0usize; lanes];
        // Events their publishers wrote, for their lanes at once (they are on the wire).
        let mut written: Vec<(usize, Batch)> = Vec::new();
        let max_items = self
            .shared
            .app
            .profile()
            .max_events_per_batch
            .unwrap_or(100)
            .max(1);
        let max_body = self.shared.app.max_batch_body_bytes();
        // Events held here beyond the lanes' next batches stay in the queue instead, where the
        // drop-oldest policy can reach them.
        let hold_limit = lanes.saturating_mul(max_items).saturating_mul(2);
        let mut held = 0usize;
        let mut conflator = Conflator::new(self.shared.config.conflate.clone());
        let mut seq = 0u64;
        loop {
            for (lane, batch) in written.drain(..) {
                self.hand(&mut busy, lane, batch);
            }
            for lane in 0..lanes {
                if busy[lane] > 0 || waiting[lane].is_empty() {
                    continue;
                }
                let before = waiting[lane].len();
                let batch = self.take_batch(&mut waiting[lane], max_items, max_body);
                held -= before - waiting[lane].len();
                if batch.items.is_empty() {
                    continue;
                }
                self.hand(&mut busy, lane, batch);
            }
            let stopping = self.stop.load(SeqCst);
            if stopping && held == 0 && busy.iter().all(|b| *b == 0) && queue.is_empty() {
                break;
            }
            // No timeout below: every change this loop acts on arrives as a message (a publish,
            // a lane's end, the stop's `Wake`), so an idle engine sleeps until one comes.
            let accept = held < hold_limit;
            tokio::select! {
                command = queue.recv(), if accept => match command {
                    Some(command) => {
                        let mut conflation = (&mut conflator, &mut seq);
                        self.take(command, &mut waiting, &mut held, &mut conflation, &mut written);
                        // Take whatever else is already there, so it can batch.
                        while held < hold_limit {
                            match queue.try_recv() {
                                Ok(command) => self.take(
                                    command,
                                    &mut waiting,
                                    &mut held,
                                    &mut conflation,
                                    &mut written,
                                ),
                                Err(_) => break,
                            }
                        }
                        self.drop_oldest_excess(&mut queue, &mut waiting, &mut held);
                    }
                    None => break,
                },
                lane = done.recv() => match lane {
                    Some(lane) => busy[lane] = busy[lane].saturating_sub(1),
                    None => break,
                },
            }
        }
        // Stopped: whatever is still here or in the queue was not delivered.
        let mut left: Vec<Item> = waiting.into_iter().flatten().map(|r| r.item).collect();
        while let Ok(command) = queue.try_recv() {
            if let Command::Publish(item) = command {
                left.push(item);
            }
        }
        self.shared.abandoned(left);
    }

    /// Hands `batch` to `lane`, counting it in `busy` until the lane reports it done; after
    /// shutdown (the lane is gone) its events are abandoned instead.
    fn hand(&self, busy: &mut [usize], lane: usize, batch: Batch) {
        busy[lane] += 1;
        if let Err(mpsc::error::SendError(batch)) = self.lanes[lane].send(batch) {
            self.shared.abandoned(batch.items);
            busy[lane] -= 1;
        }
    }

    /// Drop-oldest: while the queue holds more than its capacity, drops the oldest event not
    /// yet sent (events in flight are never dropped). Without that policy there is no excess.
    fn drop_oldest_excess(
        &self,
        queue: &mut mpsc::UnboundedReceiver<Command>,
        waiting: &mut [VecDeque<Ready>],
        held: &mut usize,
    ) {
        let capacity = self.shared.config.queue_capacity;
        while self.shared.excess() > 0 {
            // Held events are older than queued ones; among lanes, compare the fronts.
            let oldest_lane = waiting
                .iter()
                .enumerate()
                .filter_map(|(lane, q)| q.front().map(|r| (r.item.enqueued, lane)))
                .min()
                .map(|(_, lane)| lane);
            let victim = match oldest_lane.and_then(|lane| waiting[lane].pop_front()) {
                Some(ready) => {
                    *held -= 1;
                    ready.item
                }
                None => match queue.try_recv() {
                    Ok(Command::Publish(item)) => item,
                    Ok(Command::Wake) => continue,
                    // Everything else is in flight; the excess resolves as it lands.
                    Err(_) => break,
                },
            };
            self.shared.dropped_oldest(victim, capacity);
        }
    }

    fn take(
        &self,
        command: Command,
        waiting: &mut [VecDeque<Ready>],
        held: &mut usize,
        (conflator, seq): &mut (&mut Conflator, &mut u64),
        written: &mut Vec<(usize, Batch)>,
    ) {
        **seq += 1;
        let seq = **seq;
        let Command::Publish(mut item) = command else {
            return;
        };
        let taken = Instant::now();
        let stages = &self.shared.stats.stages;
        stages
            .queue
            .record(taken.saturating_duration_since(item.enqueued));
        let lanes = waiting.len();
        if let Some(mut ahead) = item.ahead.take() {
            // Its publisher wrote it (ahead.rs): a batch of its own, to its lane at once.
            let lane = lane_of(item.channel(), lanes);
            let mut batch = Batch::new(ahead.solo);
            stages
                .batch
                .record(batch.handed.saturating_duration_since(taken));
            batch.json.push(std::mem::take(&mut ahead.json));
            batch.items.push(item);
            batch.ahead = Some(ahead);
            written.push((lane, batch));
            return;
        }
        let channel = item.channel().to_owned();
        let json = match item.event.batch_item_json(&channel) {
            Ok(json) => json,
            Err(e) => return self.shared.failed(vec![item], &e),
        };
        let lane = lane_of(&channel, lanes);
        if let Some(key) = conflator.key_of(&item) {
            let queue = &waiting[lane];
            let position = |s: u64| queue.binary_search_by_key(&s, |r| r.seq).ok();
            let replaced = conflator.arrive(key, seq, item.enqueued, |s| position(s).is_some());
            if let Some(old) = replaced.and_then(position) {
                if let Some(old) = waiting[lane].remove(old) {
                    *held -= 1;
                    self.shared.conflated(old.item);
                }
            }
            conflator.prune(*held, |key, s| {
                waiting[lane_of(&key.channel, lanes)]
                    .binary_search_by_key(&s, |r| r.seq)
                    .is_ok()
            });
        }
        waiting[lane].push_back(Ready {
            item,
            json,
            seq,
            taken,
        });
        *held += 1;
    }

    /// `ready` goes into the batch being built now: its `batch` stage ends.
    /// `handed` is the batch's own instant (`Batch::handed`): one clock read per batch.
    fn batched(&self, ready: &Ready, handed: Instant) {
        let stages = &self.shared.stats.stages;
        stages
            .batch
            .record(handed.saturating_duration_since(ready.taken));
    }

    /// Whether `ready` must go alone through `POST /events`: its `socket_id` cannot ride in a
    /// batch item on this server (see `ServerProfile::socket_id_in_batches`).
    fn goes_alone(&self, ready: &Ready) -> bool {
        crate::ahead::goes_alone(&self.shared, &ready.item)
    }

    /// The next request of a lane: the event at the front alone when it must go alone, else
    /// the longest run from the front that fits one request and holds no such event (it waits
    /// for the next request, so the lane's order is kept).
    fn take_batch(
        &self,
        waiting: &mut VecDeque<Ready>,
        max_items: usize,
        max_body: Option<usize>,
    ) -> Batch {
        if let Some(front) = waiting.front() {
            if self.goes_alone(front) {
                let mut batch = Batch::new(true);
                if let Some(ready) = waiting.pop_front() {
                    self.batched(&ready, batch.handed);
                    batch.items.push(ready.item);
                    batch.json.push(ready.json);
                }
                return batch;
            }
        }
        let mut batch = Batch::new(false);
        let mut body_len = batch_body_len([]);
        while batch.items.len() < max_items {
            let Some(next) = waiting.front() else { break };
            if self.goes_alone(next) {
                break;
            }
            let grown = body_len + next.json.len() + usize::from(!batch.items.is_empty());
            if max_body.is_some_and(|max| grown > max) {
                if batch.items.is_empty() {
                    // Alone it does not fit: fail it rather than block the lane forever.
                    if let Some(ready) = waiting.pop_front() {
                        let limit = max_body.unwrap_or_default();
                        self.shared.failed(
                            vec![ready.item],
                            &Error::PayloadTooLarge {
                                scope: pushcast_core::SizeScope::RequestBody,
                                size: grown,
                                limit,
                            },
                        );
                        continue;
                    }
                }
                break;
            }
            let Some(ready) = waiting.pop_front() else {
                break;
            };
            body_len = grown;
            self.batched(&ready, batch.handed);
            batch.items.push(ready.item);
            batch.json.push(ready.json);
        }
        batch
    }
}
