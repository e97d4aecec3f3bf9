//! A bounded log of recent failures, drained by the host so it can log them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::SystemTime;

use crate::sync::Mutex;
use pushcast_core::Error;

/// One event that was not delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The event name.
    pub event: String,
    /// The channel it was for.
    pub channel: String,
    /// Why it was not delivered.
    pub error: Error,
    /// When pushcast gave up on it.
    pub at: SystemTime,
}

pub(crate) struct FailureLog {
    capacity: usize,
    entries: Mutex<VecDeque<Failure>>,
    /// Failures pushed out of the log before anyone drained them (still counted in stats).
    pub overflowed: AtomicU64,
}

impl FailureLog {
    pub(crate) fn new(capacity: usize) -> Self {
        FailureLog {
            capacity,
            entries: Mutex::new(VecDeque::new()),
            overflowed: AtomicU64::new(0),
        }
    }

    pub(crate) fn push(&self, failure: Failure) {
        if self.capacity == 0 {
            self.overflowed.fetch_add(1, Relaxed);
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() == self.capacity {
            entries.pop_front();
            self.overflowed.fetch_add(1, Relaxed);
        }
        entries.push_back(failure);
    }

    pub(crate) fn drain(&self) -> Vec<Failure> {
        self.entries.lock().drain(..).collect()
    }
}
