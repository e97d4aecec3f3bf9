//! The engine's own messages (pushcast_client's `LogSink`): engine threads cannot call PHP, so
//! they are queued here and handed on, on PHP's thread, to the application's PSR-3 logger
//! (`setLogger`) or else PHP's error log, at the next call into a client, and at module
//! shutdown.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use pushcast_client::{LogLevel, LogSink};

/// Most messages kept between two calls; older ones are dropped (counted in the next one).
const CAPACITY: usize = 256;

struct Queue {
    messages: VecDeque<(LogLevel, String)>,
    dropped: u64,
}

/// std's Mutex, never held across a call out: fork-safe as the engine's own waits.
static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    messages: VecDeque::new(),
    dropped: 0,
});

fn push(level: LogLevel, message: &str) {
    let mut queue = QUEUE.lock().unwrap_or_else(PoisonError::into_inner);
    if queue.messages.len() >= CAPACITY {
        queue.messages.pop_front();
        queue.dropped += 1;
    }
    queue.messages.push_back((level, message.to_owned()));
}

/// The sink every client of the extension is configured with.
pub(crate) fn sink() -> LogSink {
    LogSink(Arc::new(push))
}

/// Takes the queued messages, oldest first (with a note of any dropped for room).
pub(crate) fn drain() -> Vec<(LogLevel, String)> {
    let mut queue = QUEUE.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out: Vec<_> = queue.messages.drain(..).collect();
    if queue.dropped > 0 {
        out.insert(
            0,
            (
                LogLevel::Warning,
                format!(
                    "pushcast: {} engine message(s) dropped before they could be logged",
                    queue.dropped
                ),
            ),
        );
        queue.dropped = 0;
    }
    out
}
