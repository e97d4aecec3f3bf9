//! The circuit breaker's settings: the policy while every circuit is open, and the checks of
//! the breaker's numbers (the breaker itself is `crate::breaker`).

use pushcast_core::{Error, Result};

use super::ClientConfig;

/// What `publish` does while every endpoint's circuit is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerOpenPolicy {
    /// Accept into the queue as usual (up to its capacity, then the backpressure policy); the
    /// queued events wait for a probe to close a circuit, within their delivery timeout.
    Queue,
    /// Refuse at once with [`Error::CircuitOpen`] (counted in `rejected_circuit_open`).
    FailFast,
    /// With the durable spool ([`crate::ClientConfig::spool`]): while every circuit is open,
    /// accepted events wait on disk (not ageing, up to the spool's size limit) and memory holds
    /// only one batch, which serves as the probe. Without a spool it behaves exactly as
    /// [`BreakerOpenPolicy::Queue`].
    Spool,
}

pub(crate) fn validate(config: &ClientConfig) -> Result<()> {
    if config.breaker_failure_threshold > 0 && config.breaker_cooldown.is_zero() {
        return Err(Error::InvalidConfig {
            field: "breaker_cooldown_ms",
            reason: "must be more than zero".into(),
        });
    }
    if config.breaker_cooldown_max < config.breaker_cooldown {
        return Err(Error::InvalidConfig {
            field: "breaker_cooldown_max_ms",
            reason: format!(
                "{} ms is less than breaker_cooldown ({} ms)",
                config.breaker_cooldown_max.as_millis(),
                config.breaker_cooldown.as_millis()
            ),
        });
    }
    Ok(())
}
