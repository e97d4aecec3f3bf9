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

/// What a confirmed publish waits for: every channel of its event resolved.
pub(crate) struct Ack {
    remaining: AtomicUsize,
    outcome: Mutex<AckOutcome>,
    done: crossbeam_channel::Sender<()>,
}

#[derive(Default)]
pub(crate) struct AckOutcome {
    pub error: Option<Error>,
    pub channels: BTreeMap<String, ChannelInfo>,
}

impl Ack {
    pub(crate) fn new(items: usize) -> (Arc<Ack>, crossbeam_channel::Receiver<()>) {
        let (done, wait) = crossbeam_channel::bounded(1);
        let ack = Arc::new(Ack {
            remaining: AtomicUsize::new(items),
            outcome: Mutex::new(AckOutcome::default()),
            done,
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
                    outcome.error.get_or_insert_with(|| e.clone());
                }
            }
        }
        if self.remaining.fetch_sub(1, SeqCst) == 1 {
            let _ = self.done.try_send(());
        }
    }

    pub(crate) fn take(&self) -> AckOutcome {
        std::mem::take(&mut *self.outcome.lock())
    }
}
