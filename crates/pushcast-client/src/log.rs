//! The process-wide log sink: where messages with no client to ask go (a failed
//! `pthread_atfork`, an engine thread that panicked), and where a client without its own
//! [`LogSink`](crate::LogSink) sends its messages.
//!
//! Why process-wide: those messages come from code that serves every client of the process (the
//! fork handler, the thread trampoline), so no client's configuration can name their sink; a C,
//! Go or PHP host installs one sink at startup and sees everything. Held in an `ArcSwapOption`:
//! reading it is lock-free, so a fork at any moment leaves nothing locked in the child.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

use crate::config::LogSink;

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
