//! The process-wide log sink: where messages with no client to ask go (a failed
//! `pthread_atfork`, an engine thread that panicked), and where a client without its own
//! [`LogSink`] sends its messages; and the sink types and the one function every engine message
//! goes through ([`log`]).
//!
//! Why process-wide: those messages come from code that serves every client of the process (the
//! fork handler, the thread trampoline), so no client's configuration can name their sink; a C,
//! Go or PHP host installs one sink at startup and sees everything. Held in an `ArcSwapOption`:
//! reading it is lock-free, so a fork at any moment leaves nothing locked in the child.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

/// How important an engine message is (see [`LogSink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Something is broken: the engine stopped working.
    Error,
    /// Something may be wrong: an unsafe setting, a thread left running at shutdown.
    Warning,
}

impl LogLevel {
    /// The PSR-3 / syslog name: `error`, `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warning => "warning",
        }
    }
}

/// Where the engine's own messages go instead of standard error (librdkafka's log
/// callback). Called from any thread, engine threads included: a binding whose host can only
/// be called on its own thread queues them and hands them on later.
#[derive(Clone)]
pub struct LogSink(pub std::sync::Arc<LogFn>);

/// The function behind a [`LogSink`].
pub type LogFn = dyn Fn(LogLevel, &str) + Send + Sync;

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogSink")
    }
}

/// Writes an engine message to `sink`, else to the process-wide sink
/// ([`set_process_log_sink`](crate::set_process_log_sink)), else to standard error.
///
/// Standard error stays the default: the library only ever says something when something is
/// wrong (an engine thread failed, certificate checks are off, a thread outlived shutdown), and
/// a host that installed no sink would otherwise lose exactly those messages. A host that wants
/// silence installs a sink that drops them. A sink that panics is caught here: logging must
/// not take down the engine thread that reports a problem.
pub(crate) fn log(sink: Option<&LogSink>, level: LogLevel, message: &str) {
    let process = if sink.is_none() { process_sink() } else { None };
    match sink.or(process.as_deref()) {
        Some(LogSink(sink)) => {
            let call = std::panic::AssertUnwindSafe(|| sink(level, message));
            if std::panic::catch_unwind(call).is_err() {
                eprintln!("{message} (the log sink panicked)");
            }
        }
        None => eprintln!("{message}"),
    }
}

static PROCESS_SINK: ArcSwapOption<LogSink> = ArcSwapOption::const_empty();

/// Installs `sink` as the process-wide log sink (`None`: back to the default, standard error).
///
/// Clients configured with their own [`ClientConfig::log`](crate::ClientConfig::log) keep
/// using theirs; every other engine message goes here. A message being delivered on another
/// thread at that moment may still reach the previous sink.
pub fn set_process_log_sink(sink: Option<LogSink>) {
    PROCESS_SINK.store(sink.map(Arc::new));
}

/// The process-wide sink, if one is installed.
pub(crate) fn process_sink() -> Option<Arc<LogSink>> {
    PROCESS_SINK.load_full()
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    static SEEN: Mutex<Vec<(LogLevel, String)>> = Mutex::new(Vec::new());

    fn seen(text: &str) -> Vec<LogLevel> {
        let seen = SEEN.lock().unwrap();
        seen.iter()
            .filter(|(_, m)| m.contains(text))
            .map(|(level, _)| *level)
            .collect()
    }

    /// Messages no client owns (an engine thread's panic, caught by the thread trampoline)
    /// reach the process-wide sink; a client's own sink wins over it; and a sink that panics
    /// is contained. One test: the sink is process-wide, so tests of it must not overlap.
    #[test]
    fn the_process_sink_gets_what_no_client_owns_and_a_clients_own_sink_wins() {
        set_process_log_sink(Some(LogSink(Arc::new(|level, message: &str| {
            SEEN.lock().unwrap().push((level, message.to_owned()));
        }))));

        let worker = crate::thread::spawn("pushcast-test", || panic!("on purpose")).unwrap();
        assert!(worker.join_until(Instant::now() + Duration::from_secs(5), None));
        // At least ours: another test's detached thread may panic meanwhile and land here too.
        let panics = seen("an engine thread panicked");
        assert!(
            !panics.is_empty() && panics.iter().all(|l| *l == LogLevel::Error),
            "{:?}",
            SEEN.lock().unwrap()
        );

        let own_calls = Arc::new(Mutex::new(0));
        let counted = own_calls.clone();
        let own = LogSink(Arc::new(move |_, _: &str| *counted.lock().unwrap() += 1));
        log(Some(&own), LogLevel::Warning, "for the client's sink");
        assert_eq!(*own_calls.lock().unwrap(), 1);
        assert!(seen("for the client's sink").is_empty());

        let panicking = LogSink(Arc::new(|_, _: &str| panic!("a sink that panics")));
        log(Some(&panicking), LogLevel::Error, "still returns");

        set_process_log_sink(None);
        log(None, LogLevel::Warning, "after removal (to standard error)");
        assert!(seen("after removal").is_empty());
    }
}
