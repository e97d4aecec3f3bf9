//! Client configuration, checked once when the client is built.

use std::path::PathBuf;
use std::time::Duration;

use pushcast_core::{App, Error, Result};

pub use crate::breaker::BreakerOpenPolicy;
pub use crate::conflate::ConflateRule;
pub use crate::spool::SpoolConfig;

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
    let process = if sink.is_none() {
        crate::log::process_sink()
    } else {
        None
    };
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

/// What `publish` does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// Wait for room up to `timeout`, then fail with [`Error::QueueFull`].
    Block {
        /// The longest a publisher waits.
        timeout: Duration,
    },
    /// Fail at once with [`Error::QueueFull`] (the default: the caller decides).
    FailFast,
    /// Drop the new event, count it (`dropped_newest`) and record it in the failure log.
    DropNewest,
    /// Drop the oldest queued event to make room, count it (`dropped_oldest`) and record it.
    DropOldest,
}

/// Everything the client needs. Build with [`ClientConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Credentials, server profile and encryption key.
    pub app: App,
    /// Base URLs of the server's HTTP API (`http://127.0.0.1:6001`, `https://api-mt1.pusher.com`),
    /// possibly with a path prefix for a proxy. Several: failover on connection errors, and
    /// lanes spread over them.
    pub endpoints: Vec<String>,
    /// Most events (per channel) accepted and not yet resolved. Default 10,000.
    pub queue_capacity: usize,
    /// What to do when the queue is full. Default [`Backpressure::FailFast`].
    pub backpressure: Backpressure,
    /// Most requests in flight at once (one per lane; a channel always uses the same lane, so
    /// its events arrive in publish order). Default 4.
    pub max_in_flight: usize,
    /// TCP + TLS connect timeout. Default 2 s.
    pub connect_timeout: Duration,
    /// Whole-request timeout. Default 5 s.
    pub request_timeout: Duration,
    /// How long an event may wait for delivery, retries included, before it fails. Default 30 s.
    pub delivery_timeout: Duration,
    /// First retry delay (doubled each time, with full jitter). Default 50 ms.
    pub retry_base: Duration,
    /// Longest retry delay. Default 2 s.
    pub retry_max: Duration,
    /// How long dropping the client waits for pending events. Default 5 s.
    pub shutdown_timeout: Duration,
    /// Extra PEM root certificates (a private CA), trusted besides the system and bundled roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any TLS certificate. Dangerous; prints a warning when the client starts.
    pub danger_accept_invalid_certs: bool,
    /// Most failures kept for [`crate::Client::drain_failures`]; older ones are counted, not kept.
    pub max_failures_kept: usize,
    /// Consecutive failed attempts (connection error, timeout, 5xx) to one endpoint that open
    /// its circuit. Default 5; 0 turns the circuit breaker off.
    pub breaker_failure_threshold: u32,
    /// How long an open circuit stays open before one probe request is let through. Each
    /// failed probe doubles it, up to `breaker_cooldown_max`. Default 1 s.
    pub breaker_cooldown: Duration,
    /// The longest cool-down after repeated failed probes. Default 10 s.
    pub breaker_cooldown_max: Duration,
    /// What `publish` does while every endpoint's circuit is open. Default
    /// [`BreakerOpenPolicy::Queue`].
    pub breaker_open_policy: BreakerOpenPolicy,
    /// Conflation rules (opt-in, none by default): repeated events matching a rule collapse to
    /// the latest one while the earlier is still queued. See [`ConflateRule`].
    pub conflate: Vec<ConflateRule>,
    /// The durable spool (opt-in, off by default): accepted events are written to disk first,
    /// survive the process, and are replayed by the next process on the same directory.
    /// With it, the spool's `max_bytes` bounds what is accepted (the backpressure policy
    /// applies there) and its `max_age` replaces `delivery_timeout`. See [`SpoolConfig`].
    pub spool: Option<SpoolConfig>,
    /// Where the engine's own messages go (an engine that failed, TLS verification off, a
    /// thread left running at shutdown, events left at drop). Default: standard error.
    pub log: Option<LogSink>,
}

impl ClientConfig {
    /// A configuration with one endpoint and the defaults above.
    pub fn new(app: App, endpoint: impl Into<String>) -> Self {
        ClientConfig {
            app,
            endpoints: vec![endpoint.into()],
            queue_capacity: 10_000,
            backpressure: Backpressure::FailFast,
            max_in_flight: 4,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            delivery_timeout: Duration::from_secs(30),
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_secs(2),
            shutdown_timeout: Duration::from_secs(5),
            ca_file: None,
            danger_accept_invalid_certs: false,
            max_failures_kept: 1_000,
            breaker_failure_threshold: 5,
            breaker_cooldown: Duration::from_secs(1),
            breaker_cooldown_max: Duration::from_secs(10),
            breaker_open_policy: BreakerOpenPolicy::Queue,
            conflate: Vec::new(),
            spool: None,
            log: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
        if self.endpoints.is_empty() {
            return bad("endpoints", "at least one endpoint is needed".into());
        }
        for endpoint in &self.endpoints {
            // Shown in the messages below, never with a password.
            let e = crate::transport::redacted(endpoint);
            let Ok(url) = reqwest::Url::parse(endpoint) else {
                return bad("endpoints", format!("{e:?} is not a URL"));
            };
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return bad(
                    "endpoints",
                    format!("{e:?} must be an http:// or https:// URL with a host"),
                );
            }
            if url.query().is_some() || url.fragment().is_some() {
                return bad(
                    "endpoints",
                    format!("{e:?} must not carry a query or fragment"),
                );
            }
        }
        if self.queue_capacity == 0 {
            return bad("queue_capacity", "must be at least 1".into());
        }
        if self.max_in_flight == 0 || self.max_in_flight > 256 {
            return bad(
                "max_in_flight",
                format!("{} is outside 1..=256", self.max_in_flight),
            );
        }
        for (field, d) in [
            ("connect_timeout", self.connect_timeout),
            ("request_timeout", self.request_timeout),
            ("delivery_timeout", self.delivery_timeout),
        ] {
            if d.is_zero() {
                return bad(field, "must be more than zero".into());
            }
        }
        if let Some(ca) = &self.ca_file {
            if !ca.is_file() {
                return bad(
                    "ca_file",
                    format!("{} is not a readable file", ca.display()),
                );
            }
        }
        crate::breaker::validate(self)?;
        crate::conflate::validate(&self.conflate)?;
        if let Some(spool) = &self.spool {
            spool.validate()?;
        }
        Ok(())
    }
}
