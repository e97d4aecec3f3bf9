//! What travels through an engine: one event on one channel ([`Item`]), and what a confirmed
//! publisher waits for ([`Ack`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Instant;

use crate::sync::Mutex;
use pushcast_core::response::ChannelInfo;
use pushcast_core::{Error, WireEvent};

/// One event on one channel, as it waits in the queue.
pub(crate) struct Item {
    pub event: Arc<WireEvent>,
    pub channel_index: usize,
    pub enqueued: Instant,
    pub deadline: Instant,
    pub ack: Option<Arc<Ack>>,
    /// Its row in the durable spool, when there is one.
    pub spool: Option<SpoolRef>,
    /// Its request, when its publisher already wrote it (ahead.rs).
    pub ahead: Option<Box<Ahead>>,
}

/// An event's request, written by its publisher (ahead.rs): what its lane needs to finish it, and to send
/// it again if it must.
pub(crate) struct Ahead {
    /// The event's `batch_events` entry (the batch's `json`).
    pub json: Vec<u8>,
    /// Sent alone through `POST /events` (see `Batch::solo`).
    pub solo: bool,
    /// The idempotency key it was sent with (retries keep it).
    pub key: Option<String>,
    pub written: crate::direct::WrittenAhead,
}

/// An item's row in the durable spool: what deleting it needs, and what it frees.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpoolRef {
    pub id: i64,
    pub size: u32,
}

impl Item {
    pub(crate) fn channel(&self) -> &str {
        self.event
            .channels
            .get(self.channel_index)
            .map_or("", String::as_str)
    }
}

/// What an [`Ack`] runs when its last channel resolves: the outcome and the first failing
/// channel.
pub(crate) type Completion = Box<dyn FnOnce(AckOutcome, Option<String>) + Send>;

/// What a confirmed publish waits for: every channel of its event resolved.
///
/// With a completion (given to [`Ack::new`] by `Client::publish_reported`), the last
/// channel to resolve also runs it, exactly once; an `Ack` let go of before every channel was
/// resolved (the engine dropped its items: it stopped on a bug, or its runtime went away
/// mid-request) runs it from `Drop`, with the error, so a completion is never lost.
pub(crate) struct Ack {
    remaining: AtomicUsize,
    outcome: Mutex<AckOutcome>,
    done: crossbeam_channel::Sender<()>,
    /// Run once, with the outcome and the first failing channel, when the last channel
    /// resolves (or at drop). It must not panic (publish_reported's catches the caller's).
    on_done: Mutex<Option<Completion>>,
    /// The first channel that failed, for the completion ("" from the spool is none).
    failed_channel: Mutex<Option<String>>,
}

#[derive(Default)]
pub(crate) struct AckOutcome {
    pub error: Option<Error>,
    pub channels: BTreeMap<String, ChannelInfo>,
}

impl Ack {
    /// An `Ack` for `items` channels; `on_done`, if any, runs once when the last resolves.
    pub(crate) fn new(
        items: usize,
        on_done: Option<Completion>,
    ) -> (Arc<Ack>, crossbeam_channel::Receiver<()>) {
        let (done, wait) = crossbeam_channel::bounded(1);
        let ack = Arc::new(Ack {
            remaining: AtomicUsize::new(items),
            outcome: Mutex::new(AckOutcome::default()),
            done,
            on_done: Mutex::new(on_done),
            failed_channel: Mutex::new(None),
        });
        (ack, wait)
    }

    pub(crate) fn resolve(&self, channel: &str, result: Result<Option<&ChannelInfo>, &Error>) {
        {
            let mut outcome = self.outcome.lock();
            match result {
                Ok(Some(info)) => {
                    outcome.channels.insert(channel.to_owned(), info.clone());
                }
                Ok(None) => {}
                Err(e) => {
                    if outcome.error.is_none() && !channel.is_empty() {
                        *self.failed_channel.lock() = Some(channel.to_owned());
                    }
                    outcome.error.get_or_insert_with(|| e.clone());
                }
            }
        }
        if self.remaining.fetch_sub(1, SeqCst) == 1 {
            self.complete();
            let _ = self.done.try_send(());
        }
    }

    /// Runs the completion, if any and not run yet, with the outcome (taken: a completed
    /// `Ack` has no waiter).
    fn complete(&self) {
        let on_done = self.on_done.lock().take();
        if let Some(on_done) = on_done {
            let failed_channel = self.failed_channel.lock().take();
            on_done(self.take(), failed_channel);
        }
    }

    pub(crate) fn take(&self) -> AckOutcome {
        std::mem::take(&mut *self.outcome.lock())
    }
}

impl Drop for Ack {
    /// A completion still armed here means the engine let go of some channel unresolved: it
    /// runs now with the first error seen, or one saying so.
    fn drop(&mut self) {
        let armed = self.on_done.lock().is_some();
        if armed {
            self.outcome
                .lock()
                .error
                .get_or_insert_with(|| Error::Internal {
                    what: "deliver the event",
                    reason:
                        "the engine let go of it before it was resolved (it stopped first); it \
                         may or may not have reached the server"
                            .into(),
                });
            self.complete();
        }
    }
}
