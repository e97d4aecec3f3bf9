//! Choosing an endpoint through the circuit breakers, for publishes (the lanes) and queries
//! alike: an endpoint whose circuit is open is skipped, moving to another one is a counted
//! failover, and every attempt's outcome feeds its endpoint's breaker. The breaker itself
//! (`crate::breaker`) only keeps state; the counting happens here.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use pushcast_core::{Error, Result, SignedRequest};
use tokio::sync::Notify;

use crate::breaker::{Breakers, CircuitState, Health, Permit};
use crate::deadline::millis;
use crate::stats::Counters;
use crate::transport::{send, Attempt, ReadLimit};

/// Whether an attempt's outcome says the endpoint is up (it answered: 200, 4xx, 429) or down
/// (connection error, timeout, 5xx, TLS failure).
pub(crate) fn health_of(outcome: &Attempt) -> Health {
    let error = match outcome {
        Attempt::Ok(_) => return Health::Up,
        Attempt::Fatal(error) | Attempt::Retry { error, .. } => error,
    };
    match error {
        Error::Api { status, .. } if *status < 500 => Health::Up,
        _ => Health::Down,
    }
}

/// Asks the breaker for `endpoint`, counting a circuit that goes half-open.
fn acquire(breakers: &Breakers, counters: &Counters, endpoint: usize) -> Permit {
    let permit = breakers.acquire(endpoint);
    if permit == Permit::Probe {
        counters.breaker_half_opened.fetch_add(1, Relaxed);
    }
    permit
}

/// Feeds an attempt's outcome to its endpoint's breaker, counting the circuit's changes.
pub(crate) fn record(breakers: &Breakers, counters: &Counters, endpoint: usize, outcome: &Attempt) {
    match breakers.record(endpoint, health_of(outcome)) {
        Some(CircuitState::Open) => counters.breaker_opened.fetch_add(1, Relaxed),
        Some(CircuitState::Closed) => counters.breaker_closed.fetch_add(1, Relaxed),
        Some(CircuitState::HalfOpen) | None => 0,
    };
}

/// What a lane does next.
pub(crate) enum Pick {
    /// Send to the lane's (possibly changed) endpoint; `probe`: this is a half-open probe.
    Send {
        /// Whether the request is the probe of a half-open circuit.
        probe: bool,
    },
    /// Nothing was sent: a circuit changed, the wait ended or shutdown aborts; look again
    /// (expire what is due, check the abort flag).
    Recheck,
}

/// Picks the endpoint for a lane's next request: its own if the circuit lets it, else the next
/// one whose circuit does (a failover). While none does, sleeps until the next probe is due,
/// a circuit changes state, `deadline` (the batch's earliest event deadline) or `abort`.
pub(crate) async fn pick(
    breakers: &Breakers,
    counters: &Counters,
    abort: &Notify,
    endpoint: &mut usize,
    deadline: Instant,
) -> Pick {
    let n = breakers.len().max(1);
    // Registered before looking, so a change between the look and the sleep still wakes us.
    let changed = breakers.changed.notified();
    let mut wake = deadline;
    for i in 0..n {
        let candidate = (*endpoint + i) % n;
        let probe = match acquire(breakers, counters, candidate) {
            Permit::Send => false,
            Permit::Probe => true,
            Permit::Wait(Some(until)) => {
                wake = wake.min(until);
                continue;
            }
            Permit::Wait(None) => continue,
        };
        if candidate != *endpoint {
            *endpoint = candidate;
            counters.failovers.fetch_add(1, Relaxed);
        }
        return Pick::Send { probe };
    }
    tokio::select! {
        () = tokio::time::sleep_until(wake.into()) => {}
        () = changed => {}
        () = abort.notified() => {}
    }
    Pick::Recheck
}

/// Runs one query (a `GET /channels…`, a `terminate_connections`, a raw request) through the
/// same breakers as publishes, endpoints in order: one whose circuit is open is skipped (a
/// query never waits for a cool-down), one that cannot be reached hands over to the next (a
/// counted failover), and each outcome feeds its endpoint's breaker. A server that answered,
/// even with an error, decides the result: the request is not repeated elsewhere.
///
/// Errors: the last attempt's error; [`Error::CircuitOpen`] when every circuit is open.
pub(crate) async fn query(
    http: &crate::transport::Transport,
    breakers: &Breakers,
    counters: &Counters,
    endpoints: &[String],
    request: &SignedRequest,
    timeout: Duration,
) -> Result<Vec<u8>> {
    let mut last: Option<Error> = None;
    let mut tried_before = false;
    for (endpoint, url) in endpoints.iter().enumerate() {
        // A probe that fails re-opens its circuit when its outcome is recorded below.
        if let Permit::Wait(_) = acquire(breakers, counters, endpoint) {
            continue;
        }
        if tried_before {
            counters.failovers.fetch_add(1, Relaxed);
        }
        tried_before = true;
        let outcome = send(http, url, request, None, timeout, ReadLimit::QUERY).await;
        record(breakers, counters, endpoint, &outcome);
        match outcome {
            Attempt::Ok(body) => return Ok(body),
            Attempt::Fatal(error) => return Err(error),
            Attempt::Retry {
                error,
                connect_failed,
                ..
            } => {
                if !connect_failed {
                    return Err(error);
                }
                last = Some(error);
            }
        }
    }
    Err(last.unwrap_or_else(|| match breakers.all_open() {
        Some((endpoint, wait)) => Error::CircuitOpen {
            endpoint,
            retry_in_ms: millis(wait),
        },
        None => Error::Internal {
            what: "query",
            reason: "no endpoint could be tried".into(),
        },
    }))
}
