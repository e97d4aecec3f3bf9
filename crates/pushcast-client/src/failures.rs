//! A bounded log of recent failures, drained by the host so it can log them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

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

impl Failure {
    /// The error's stable numeric code ([`Error::code`]), as every binding reports it.
    pub fn code(&self) -> u32 {
        self.error.code()
    }

    /// When pushcast gave up on it, in seconds since the Unix epoch (fractional).
    pub fn at_unix_secs(&self) -> f64 {
        self.at
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// The record every binding reports, in this order: `event`, `channel`, `error` (the
    /// message), `code` and `at` (seconds since the epoch). C returns these objects as JSON;
    /// PHP, Python and Go build theirs with the same names.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "event": self.event,
            "channel": self.channel,
            "error": self.error.to_string(),
            "code": self.code(),
            "at": self.at_unix_secs(),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_record_has_the_shared_fields_in_order() {
        let failure = Failure {
            event: "Tick".into(),
            channel: "status".into(),
            error: Error::ShutDown,
            at: UNIX_EPOCH + Duration::from_millis(1_500),
        };
        let json = failure.to_json();
        // Compared as sets: whether serde_json keeps insertion order depends on the features
        // other crates of the build turn on.
        let mut names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        let mut expected = vec!["event", "channel", "error", "code", "at"];
        expected.sort_unstable();
        assert_eq!(names, expected);
        assert_eq!(json["code"], Error::ShutDown.code());
        assert_eq!(json["at"], 1.5);
        assert_eq!(json["error"], Error::ShutDown.to_string());
    }
}
