//! The durable spool's settings (the spool itself is `crate::spool`).

use std::path::PathBuf;
use std::time::Duration;

use pushcast_core::{Error, Result};

/// How hard the spool pushes each write to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpoolSync {
    /// Never fsync. An accepted event survives the process dying (it reached the operating
    /// system); an operating-system crash or power loss may lose recent events.
    None,
    /// fsync every interval in the background: survives the process dying; a power loss
    /// loses at most the events of the last interval.
    Interval(Duration),
    /// fsync before `publish` returns: an accepted event survives a power loss.
    EveryEvent,
}

impl SpoolSync {
    /// Parses a level name: `none`, `interval` (with `interval`) or `every_event`.
    pub fn parse(level: &str, interval: Duration) -> Result<SpoolSync> {
        match level {
            "none" => Ok(SpoolSync::None),
            "interval" if !interval.is_zero() => Ok(SpoolSync::Interval(interval)),
            "interval" => Err(Error::InvalidConfig {
                field: "spool_sync_interval_ms",
                reason: "must be more than zero".into(),
            }),
            "every_event" => Ok(SpoolSync::EveryEvent),
            other => Err(Error::InvalidConfig {
                field: "spool_sync",
                reason: format!("{other:?} is not one of \"none\", \"interval\", \"every_event\""),
            }),
        }
    }
}

/// Where and how the spool keeps events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    /// The directory (created if missing). Processes that share it replay each other's events
    /// when one dies; each writes its own file.
    pub dir: PathBuf,
    /// How hard writes are pushed to disk. Default [`SpoolSync::Interval`] of 100 ms.
    pub sync: SpoolSync,
    /// Most bytes (channel, name, data and socket id of each event) the spool holds; past it,
    /// the client's backpressure policy applies. Default 256 MiB.
    pub max_bytes: u64,
    /// How long after its publish an event may still be delivered (retried through outages,
    /// and replayed by later processes); past it, it fails, counted and logged. Default 24 h.
    pub max_age: Duration,
}

impl SpoolConfig {
    /// The fsync interval of [`SpoolSync::Interval`] unless set otherwise: 100 ms.
    pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_millis(100);

    /// A spool in `dir` with the defaults above.
    pub fn new(dir: impl Into<PathBuf>) -> SpoolConfig {
        SpoolConfig {
            dir: dir.into(),
            sync: SpoolSync::Interval(Self::DEFAULT_SYNC_INTERVAL),
            max_bytes: 256 * 1024 * 1024,
            max_age: Duration::from_secs(24 * 3600),
        }
    }

    /// Errors name the settings as `ClientConfig::set` spells them.
    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::InvalidConfig {
                field,
                reason: reason.into(),
            })
        };
        if self.dir.as_os_str().is_empty() {
            return bad("spool", "must name a directory");
        }
        if self.max_bytes == 0 {
            return bad("spool_max_bytes", "must be more than zero");
        }
        if self.max_age.is_zero() {
            return bad("spool_max_age_ms", "must be more than zero");
        }
        if matches!(self.sync, SpoolSync::Interval(d) if d.is_zero()) {
            return bad("spool_sync_interval_ms", "must be more than zero");
        }
        Ok(())
    }
}
