//! Client configuration, checked once when the client is built.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use pushcast_core::{App, Error, Result};

mod breaker;
mod conflate;
mod spool;

pub use crate::log::{LogFn, LogLevel, LogSink};
pub use breaker::BreakerOpenPolicy;
pub use conflate::ConflateRule;
pub use spool::{SpoolConfig, SpoolSync};

/// `endpoint` as it may be shown (errors, `last_error`, metric labels, logs, `php --ri`): a
/// password or user name in it (`http://user:pass@host`, a working basic-auth configuration)
/// becomes `***`.
pub(crate) fn redacted(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("***");
            let _ = url.set_password(None);
            url.to_string().trim_end_matches('/').to_owned()
        }
        Ok(_) => endpoint.to_owned(),
        // Not a URL (refused by the configuration check): still never shown with what may be
        // a password before an `@`.
        Err(_) => match endpoint.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => endpoint.to_owned(),
        },
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

impl Backpressure {
    /// How long [`Backpressure::Block`] waits when no `block_timeout_ms` is set: 100 ms.
    pub const DEFAULT_BLOCK_TIMEOUT: Duration = Duration::from_millis(100);

    /// The policy's name: `fail_fast`, `block`, `drop_newest`, `drop_oldest`.
    pub const fn name(self) -> &'static str {
        match self {
            Backpressure::FailFast => "fail_fast",
            Backpressure::Block { .. } => "block",
            Backpressure::DropNewest => "drop_newest",
            Backpressure::DropOldest => "drop_oldest",
        }
    }
}

/// Names are compared with `-` read as `_`: the Go binding spelt them `fail-fast` up to 0.1,
/// and both spellings keep working.
fn policy_name(text: &str) -> String {
    text.trim().replace('-', "_")
}

fn not_one_of(field: &'static str, text: &str, names: &[&str]) -> Error {
    Error::InvalidConfig {
        field,
        reason: format!("{text:?} is not one of {}", names.join(", ")),
    }
}

impl FromStr for Backpressure {
    type Err = Error;

    /// `fail_fast`, `block` (waiting [`Backpressure::DEFAULT_BLOCK_TIMEOUT`]), `drop_newest`,
    /// `drop_oldest`.
    fn from_str(text: &str) -> Result<Self> {
        Ok(match policy_name(text).as_str() {
            "fail_fast" => Backpressure::FailFast,
            "block" => Backpressure::Block {
                timeout: Backpressure::DEFAULT_BLOCK_TIMEOUT,
            },
            "drop_newest" => Backpressure::DropNewest,
            "drop_oldest" => Backpressure::DropOldest,
            _ => {
                return Err(not_one_of(
                    "backpressure",
                    text,
                    &["fail_fast", "block", "drop_newest", "drop_oldest"],
                ))
            }
        })
    }
}

impl FromStr for BreakerOpenPolicy {
    type Err = Error;

    /// `queue`, `fail_fast`, `spool`.
    fn from_str(text: &str) -> Result<Self> {
        Ok(match policy_name(text).as_str() {
            "queue" => BreakerOpenPolicy::Queue,
            "fail_fast" => BreakerOpenPolicy::FailFast,
            "spool" => BreakerOpenPolicy::Spool,
            _ => {
                return Err(not_one_of(
                    "breaker_open_policy",
                    text,
                    &["queue", "fail_fast", "spool"],
                ))
            }
        })
    }
}

impl FromStr for SpoolSync {
    type Err = Error;

    /// `none`, `interval` (every [`SpoolConfig::DEFAULT_SYNC_INTERVAL`]), `every_event`.
    fn from_str(text: &str) -> Result<Self> {
        let level = policy_name(text);
        if level == "interval" {
            return Ok(SpoolSync::Interval(SpoolConfig::DEFAULT_SYNC_INTERVAL));
        }
        SpoolSync::parse(&level, SpoolConfig::DEFAULT_SYNC_INTERVAL)
    }
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
    /// The `block_timeout_ms` setting, kept apart from [`Backpressure::Block`] so that it
    /// holds whichever of the two keys is set first.
    block_timeout: Duration,
}

impl ClientConfig {
    /// Default [`ClientConfig::queue_capacity`].
    pub const DEFAULT_QUEUE_CAPACITY: usize = 10_000;
    /// Default [`ClientConfig::backpressure`].
    pub const DEFAULT_BACKPRESSURE: Backpressure = Backpressure::FailFast;
    /// Default [`ClientConfig::max_in_flight`].
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 4;
    /// Default [`ClientConfig::connect_timeout`].
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
    /// Default [`ClientConfig::request_timeout`].
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default [`ClientConfig::delivery_timeout`].
    pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default [`ClientConfig::shutdown_timeout`].
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

    /// A configuration with one endpoint and the defaults above.
    pub fn new(app: App, endpoint: impl Into<String>) -> Self {
        ClientConfig {
            app,
            endpoints: vec![endpoint.into()],
            queue_capacity: Self::DEFAULT_QUEUE_CAPACITY,
            backpressure: Self::DEFAULT_BACKPRESSURE,
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            delivery_timeout: Self::DEFAULT_DELIVERY_TIMEOUT,
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_secs(2),
            shutdown_timeout: Self::DEFAULT_SHUTDOWN_TIMEOUT,
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
            block_timeout: Backpressure::DEFAULT_BLOCK_TIMEOUT,
        }
    }

    /// Sets one setting from text, as the bindings pass them (librdkafka's `name = value`):
    /// `key` is a name of [`ClientConfig::KEYS`], `value` its text. Each value is parsed here
    /// and only here; an unusable one is [`Error::InvalidConfig`] naming the key, and leaves
    /// the configuration as it was. Limits that involve several settings (a cool-down longer
    /// than its maximum) are checked when the client is built.
    ///
    /// The `spool_*` keys need `spool` (the directory) set first. `block_timeout_ms` and
    /// `backpressure` may come in either order.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let Some(setting) = KEYS.iter().find(|k| k.name == key) else {
            return Err(Error::InvalidConfig {
                field: "key",
                reason: format!(
                    "unknown setting {key:?}; known settings: {}",
                    KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                ),
            });
        };
        (setting.apply)(self, setting.name, value)
    }

    /// The settings [`ClientConfig::set`] takes, as `(name, what the value is)`.
    pub fn keys() -> impl Iterator<Item = (&'static str, &'static str)> {
        KEYS.iter().map(|k| (k.name, k.value))
    }

    /// A text that differs whenever two configurations would make different engines: every
    /// field but the log sink, and the app's [`App::identity`] (secret and master key
    /// included, in a digest). The PHP extension shares one engine per key in a process.
    pub fn engine_key(&self) -> String {
        // Destructured so that a new field must be placed here (or consciously left out) before
        // this compiles: a field missing from the key would let two configurations share an
        // engine.
        let ClientConfig {
            app,
            endpoints,
            queue_capacity,
            backpressure,
            max_in_flight,
            connect_timeout,
            request_timeout,
            delivery_timeout,
            retry_base,
            retry_max,
            shutdown_timeout,
            ca_file,
            danger_accept_invalid_certs,
            max_failures_kept,
            breaker_failure_threshold,
            breaker_cooldown,
            breaker_cooldown_max,
            breaker_open_policy,
            conflate,
            spool,
            // Left out: a sink is a function, not comparable; one binding passes the same one.
            log: _,
            // Left out: it acts only through `backpressure` (Block's timeout), which is in.
            block_timeout: _,
        } = self;
        format!(
            "{}\u{0}{endpoints:?}\u{0}{queue_capacity}\u{0}{backpressure:?}\u{0}{max_in_flight}\u{0}\
             {connect_timeout:?}\u{0}{request_timeout:?}\u{0}{delivery_timeout:?}\u{0}{retry_base:?}\u{0}\
             {retry_max:?}\u{0}{shutdown_timeout:?}\u{0}{ca_file:?}\u{0}{danger_accept_invalid_certs}\u{0}\
             {max_failures_kept}\u{0}{breaker_failure_threshold}\u{0}{breaker_cooldown:?}\u{0}\
             {breaker_cooldown_max:?}\u{0}{breaker_open_policy:?}\u{0}{conflate:?}\u{0}{spool:?}",
            app.identity()
        )
    }

    fn spool_mut(&mut self, field: &'static str) -> Result<&mut SpoolConfig> {
        self.spool.as_mut().ok_or_else(|| Error::InvalidConfig {
            field,
            reason: "needs `spool` (the spool directory) set first".into(),
        })
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
        if self.endpoints.is_empty() {
            return bad("endpoints", "at least one endpoint is needed".into());
        }
        for endpoint in &self.endpoints {
            // Shown in the messages below, never with a password.
            let e = redacted(endpoint);
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
            ("connect_timeout_ms", self.connect_timeout),
            ("request_timeout_ms", self.request_timeout),
            ("delivery_timeout_ms", self.delivery_timeout),
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
        breaker::validate(self)?;
        conflate::validate(&self.conflate)?;
        if let Some(spool) = &self.spool {
            spool.validate()?;
        }
        Ok(())
    }
}

/// One key of [`ClientConfig::set`].
struct Key {
    name: &'static str,
    /// What the value is, for documentation and error messages.
    value: &'static str,
    apply: fn(&mut ClientConfig, &'static str, &str) -> Result<()>,
}

fn invalid(field: &'static str, reason: String) -> Error {
    Error::InvalidConfig { field, reason }
}

fn whole(field: &'static str, text: &str) -> Result<u64> {
    text.trim()
        .parse()
        .map_err(|_| invalid(field, format!("must be a whole number, got {text:?}")))
}

fn size(field: &'static str, text: &str) -> Result<usize> {
    usize::try_from(whole(field, text)?).map_err(|_| invalid(field, format!("{text} is too large")))
}

fn millis(field: &'static str, text: &str) -> Result<Duration> {
    whole(field, text).map(Duration::from_millis)
}

fn flag(field: &'static str, text: &str) -> Result<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(invalid(
            field,
            format!("must be true or false, got {text:?}"),
        )),
    }
}

/// Every key [`ClientConfig::set`] takes, with its one parser. Conflation rules and endpoints
/// have no text form here: they are lists, set through the binding's own list functions.
/// A key whose value goes, parsed by `$parse`, straight into one field.
macro_rules! field_key {
    ($name:literal, $value:literal, $parse:ident => $field:ident) => {
        Key {
            name: $name,
            value: $value,
            apply: |c, k, v| $parse(k, v).map(|x| c.$field = x),
        }
    };
}

const KEYS: &[Key] = &[
    field_key!("queue_capacity", "events (per channel) accepted and not yet resolved, at least 1", size => queue_capacity),
    Key {
        name: "backpressure",
        value: "fail_fast, block, drop_newest or drop_oldest",
        apply: |c, _, v| {
            c.backpressure = match v.parse()? {
                Backpressure::Block { .. } => Backpressure::Block {
                    timeout: c.block_timeout,
                },
                other => other,
            };
            Ok(())
        },
    },
    Key {
        name: "block_timeout_ms",
        value: "how long publish waits for room under `block`",
        apply: |c, k, v| {
            c.block_timeout = millis(k, v)?;
            if let Backpressure::Block { timeout } = &mut c.backpressure {
                *timeout = c.block_timeout;
            }
            Ok(())
        },
    },
    field_key!("max_in_flight", "requests in flight at once, 1 to 256", size => max_in_flight),
    field_key!("connect_timeout_ms", "TCP + TLS connect timeout", millis => connect_timeout),
    field_key!("request_timeout_ms", "whole-request timeout", millis => request_timeout),
    field_key!("delivery_timeout_ms", "how long an event may wait for delivery, retries included", millis => delivery_timeout),
    field_key!("shutdown_timeout_ms", "how long closing the client waits for pending events", millis => shutdown_timeout),
    field_key!("retry_base_ms", "first retry delay, doubled each time", millis => retry_base),
    field_key!("retry_max_ms", "longest retry delay", millis => retry_max),
    field_key!("max_failures_kept", "failures kept for drain_failures", size => max_failures_kept),
    Key {
        name: "ca_file",
        value: "a PEM file of extra root certificates; empty for none",
        apply: |c, _, v| {
            c.ca_file = (!v.is_empty()).then(|| v.into());
            Ok(())
        },
    },
    field_key!("danger_accept_invalid_certs", "true to accept any TLS certificate (dangerous)", flag => danger_accept_invalid_certs),
    Key {
        name: "breaker_failure_threshold",
        value: "consecutive failed attempts that open an endpoint's circuit, 0 for no breaker",
        apply: |c, k, v| {
            c.breaker_failure_threshold =
                u32::try_from(whole(k, v)?).map_err(|_| invalid(k, format!("{v} is too large")))?;
            Ok(())
        },
    },
    field_key!("breaker_cooldown_ms", "how long an open circuit stays open before a probe", millis => breaker_cooldown),
    field_key!("breaker_cooldown_max_ms", "the longest cool-down after failed probes", millis => breaker_cooldown_max),
    Key {
        name: "breaker_open_policy",
        value: "queue, fail_fast or spool",
        apply: |c, _, v| v.parse().map(|x| c.breaker_open_policy = x),
    },
    Key {
        name: "spool",
        value: "the durable spool's directory; empty for no spool",
        apply: |c, _, v| {
            c.spool = (!v.is_empty()).then(|| SpoolConfig::new(v));
            Ok(())
        },
    },
    Key {
        name: "spool_sync",
        value: "none, interval or every_event",
        apply: |c, k, v| {
            let spool = c.spool_mut(k)?;
            spool.sync = match (v.parse()?, spool.sync) {
                // An interval already set (spool_sync_interval_ms first) is kept.
                (SpoolSync::Interval(_), SpoolSync::Interval(kept)) => SpoolSync::Interval(kept),
                (sync, _) => sync,
            };
            Ok(())
        },
    },
    Key {
        name: "spool_sync_interval_ms",
        value: "the fsync interval of `interval`, more than 0",
        apply: |c, k, v| {
            let interval = millis(k, v)?;
            let spool = c.spool_mut(k)?;
            if interval.is_zero() {
                return Err(invalid(k, "must be more than zero".into()));
            }
            if let SpoolSync::Interval(_) = spool.sync {
                spool.sync = SpoolSync::Interval(interval);
            }
            Ok(())
        },
    },
    Key {
        name: "spool_max_bytes",
        value: "most bytes the spool holds",
        apply: |c, k, v| {
            let bytes = whole(k, v)?;
            c.spool_mut(k)?.max_bytes = bytes;
            Ok(())
        },
    },
    Key {
        name: "spool_max_age_ms",
        value: "how long a spooled event may wait for delivery",
        apply: |c, k, v| {
            let age = millis(k, v)?;
            c.spool_mut(k)?.max_age = age;
            Ok(())
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use pushcast_core::{Credentials, MasterKey};

    fn config() -> ClientConfig {
        let app = App::new(Credentials::new("1", "key", "secret").unwrap());
        ClientConfig::new(app, "http://127.0.0.1:6001")
    }

    fn field(r: Result<()>) -> &'static str {
        match r {
            Err(Error::InvalidConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn policies_parse_by_name_in_either_spelling() {
        assert_eq!(
            "fail_fast".parse::<Backpressure>().unwrap(),
            Backpressure::FailFast
        );
        assert_eq!(
            "fail-fast".parse::<Backpressure>().unwrap(),
            Backpressure::FailFast
        );
        assert_eq!(
            "drop-oldest".parse::<Backpressure>().unwrap(),
            Backpressure::DropOldest
        );
        assert_eq!(
            "block".parse::<Backpressure>().unwrap(),
            Backpressure::Block {
                timeout: Backpressure::DEFAULT_BLOCK_TIMEOUT
            }
        );
        for b in [
            Backpressure::FailFast,
            Backpressure::DropNewest,
            Backpressure::DropOldest,
        ] {
            assert_eq!(b.name().parse::<Backpressure>().unwrap(), b);
        }
        assert_eq!(
            "spool".parse::<BreakerOpenPolicy>().unwrap(),
            BreakerOpenPolicy::Spool
        );
        assert_eq!(
            "every_event".parse::<SpoolSync>().unwrap(),
            SpoolSync::EveryEvent
        );
        assert_eq!(
            field("sometimes".parse::<Backpressure>().map(drop)),
            "backpressure"
        );
        assert_eq!(
            field("x".parse::<BreakerOpenPolicy>().map(drop)),
            "breaker_open_policy"
        );
        assert_eq!(field("x".parse::<SpoolSync>().map(drop)), "spool_sync");
    }

    #[test]
    fn every_validation_error_names_a_setting_as_set_spells_it() {
        // Lists have no text key (the bindings add endpoints and conflation rules one by one).
        let lists = ["endpoints", "conflate"];
        let known = |f: &str| ClientConfig::keys().any(|(k, _)| k == f) || lists.contains(&f);
        let mut spooled = config();
        spooled.set("spool", "/tmp/pushcast-test-spool").unwrap();
        type Spoil<T> = (&'static str, fn(&mut T));
        let cases: Vec<Spoil<ClientConfig>> = vec![
            ("no endpoint", |c| c.endpoints.clear()),
            ("zero capacity", |c| c.queue_capacity = 0),
            ("zero in flight", |c| c.max_in_flight = 0),
            ("zero connect", |c| c.connect_timeout = Duration::ZERO),
            ("zero request", |c| c.request_timeout = Duration::ZERO),
            ("zero delivery", |c| c.delivery_timeout = Duration::ZERO),
            ("missing CA", |c| {
                c.ca_file = Some("/nonexistent/ca.pem".into())
            }),
            ("cool-down above its maximum", |c| {
                c.breaker_cooldown = Duration::from_secs(9);
                c.breaker_cooldown_max = Duration::from_secs(1);
            }),
            ("zero cool-down", |c| c.breaker_cooldown = Duration::ZERO),
        ];
        for (what, spoil) in cases {
            let mut c = config();
            spoil(&mut c);
            let f = field(c.validate());
            assert!(known(f), "{what}: {f:?} is not a setting's name");
        }
        let spool_cases: Vec<Spoil<SpoolConfig>> = vec![
            ("empty dir", |s| s.dir = PathBuf::new()),
            ("zero bytes", |s| s.max_bytes = 0),
            ("zero age", |s| s.max_age = Duration::ZERO),
            ("zero interval", |s| {
                s.sync = SpoolSync::Interval(Duration::ZERO)
            }),
        ];
        for (what, spoil) in spool_cases {
            let mut c = spooled.clone();
            spoil(c.spool.as_mut().unwrap());
            let f = field(c.validate());
            assert!(known(f), "{what}: {f:?} is not a setting's name");
        }
        let f = field(SpoolSync::parse("interval", Duration::ZERO).map(drop));
        assert!(known(f), "{f:?}");
    }

    #[test]
    fn set_parses_each_key_and_errors_name_it() {
        let mut c = config();
        c.set("queue_capacity", "7").unwrap();
        c.set("block_timeout_ms", "250").unwrap();
        c.set("backpressure", "block").unwrap();
        assert_eq!(c.queue_capacity, 7);
        assert_eq!(
            c.backpressure,
            Backpressure::Block {
                timeout: Duration::from_millis(250)
            }
        );
        c.set("block_timeout_ms", "30").unwrap();
        assert_eq!(
            c.backpressure,
            Backpressure::Block {
                timeout: Duration::from_millis(30)
            }
        );
        c.set("danger_accept_invalid_certs", "true").unwrap();
        assert!(c.danger_accept_invalid_certs);
        for (key, value) in [
            ("queue_capacity", "-1"),
            ("max_in_flight", "four"),
            ("connect_timeout_ms", "1.5"),
            ("danger_accept_invalid_certs", "maybe"),
            ("breaker_failure_threshold", "99999999999"),
            ("breaker_open_policy", "sometimes"),
            ("spool_sync", "none"),
        ] {
            let before = c.engine_key();
            assert_eq!(field(c.set(key, value)), key, "{key}={value}");
            assert_eq!(before, c.engine_key(), "{key}={value} changed the config");
        }
        assert_eq!(field(c.set("usetls", "1")), "key");
        let unknown = c.set("usetls", "1").unwrap_err().to_string();
        assert!(
            unknown.contains("usetls") && unknown.contains("queue_capacity"),
            "{unknown}"
        );
    }

    #[test]
    fn spool_keys_follow_the_directory() {
        let mut c = config();
        c.set("spool", "/tmp/pushcast-spool").unwrap();
        c.set("spool_sync_interval_ms", "40").unwrap();
        c.set("spool_sync", "interval").unwrap();
        c.set("spool_max_bytes", "1024").unwrap();
        let spool = c.spool.clone().unwrap();
        assert_eq!(spool.sync, SpoolSync::Interval(Duration::from_millis(40)));
        assert_eq!(spool.max_bytes, 1024);
        c.set("spool_sync", "none").unwrap();
        c.set("spool_sync_interval_ms", "40").unwrap();
        assert_eq!(c.spool.as_ref().unwrap().sync, SpoolSync::None);
        assert_eq!(
            field(c.set("spool_sync_interval_ms", "0")),
            "spool_sync_interval_ms"
        );
        c.set("spool", "").unwrap();
        assert!(c.spool.is_none());
    }

    #[test]
    fn every_key_is_documented_and_settable() {
        for (name, value) in ClientConfig::keys() {
            assert!(!value.is_empty(), "{name}");
            let mut c = config();
            c.spool = Some(SpoolConfig::new("/tmp/x"));
            // The block timeout acts through the block policy only.
            c.set("backpressure", "block").unwrap();
            let sample = match name {
                "backpressure" => "drop_newest",
                "breaker_open_policy" => "spool",
                "spool_sync" => "every_event",
                "danger_accept_invalid_certs" => "true",
                "ca_file" | "spool" => "/tmp/y",
                _ => "12345",
            };
            let before = c.engine_key();
            c.set(name, sample).unwrap();
            assert_ne!(
                before,
                c.engine_key(),
                "{name} does not reach the engine key"
            );
        }
    }

    #[test]
    fn engine_key_changes_with_every_field_but_the_log_sink() {
        let base = config();
        let key = base.engine_key();
        let mut with_sink = base.clone();
        with_sink.log = Some(LogSink(std::sync::Arc::new(|_, _| {})));
        assert_eq!(key, with_sink.engine_key());
        type Change = fn(&mut ClientConfig);
        let changes: Vec<(&str, Change)> = vec![
            ("app secret", |c| {
                c.app = App::new(Credentials::new("1", "key", "other").unwrap())
            }),
            ("master key", |c| {
                c.app = c
                    .app
                    .clone()
                    .with_master_key(MasterKey::from_bytes(&[7; 32]).unwrap())
            }),
            ("endpoints", |c| c.endpoints.push("http://b:1".into())),
            ("queue_capacity", |c| c.queue_capacity += 1),
            ("backpressure", |c| {
                c.backpressure = Backpressure::DropOldest
            }),
            ("max_in_flight", |c| c.max_in_flight += 1),
            ("connect_timeout", |c| c.connect_timeout *= 2),
            ("request_timeout", |c| c.request_timeout *= 2),
            ("delivery_timeout", |c| c.delivery_timeout *= 2),
            ("retry_base", |c| c.retry_base *= 2),
            ("retry_max", |c| c.retry_max *= 2),
            ("shutdown_timeout", |c| c.shutdown_timeout *= 2),
            ("ca_file", |c| c.ca_file = Some("/x".into())),
            ("danger", |c| c.danger_accept_invalid_certs = true),
            ("max_failures_kept", |c| c.max_failures_kept += 1),
            ("breaker_failure_threshold", |c| {
                c.breaker_failure_threshold += 1
            }),
            ("breaker_cooldown", |c| c.breaker_cooldown *= 2),
            ("breaker_cooldown_max", |c| c.breaker_cooldown_max *= 2),
            ("breaker_open_policy", |c| {
                c.breaker_open_policy = BreakerOpenPolicy::FailFast
            }),
            ("conflate", |c| {
                c.conflate.push(ConflateRule {
                    event: Some("E".into()),
                    channel: None,
                    key: None,
                    window: Duration::from_secs(1),
                })
            }),
            ("spool", |c| c.spool = Some(SpoolConfig::new("/tmp/s"))),
        ];
        for (what, change) in changes {
            let mut c = base.clone();
            change(&mut c);
            assert_ne!(key, c.engine_key(), "{what} does not reach the engine key");
        }
        assert!(!key.contains("secret"), "{key}");
    }
}
