//! Circuit breakers, one per endpoint.
//!
//! Closed: requests go through; `breaker_failure_threshold` consecutive failed attempts
//! (connection error, timeout, 5xx) open the circuit. Open: no request goes to the endpoint for
//! the cool-down; lanes move to another endpoint whose circuit is closed, or wait. Half-open:
//! once the cool-down has passed, the first lane that asks gets to send one probe request (a
//! real batch); every other lane keeps waiting. The probe's success closes the circuit and wakes
//! the waiting lanes; its failure re-opens it with a doubled cool-down (capped at
//! `breaker_cooldown_max`). Waiting lanes never retry in a loop: they sleep until the next probe
//! is due, a state change, or their events' deadline.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crate::sync::Mutex;
use pushcast_core::{Error, Result};
use tokio::sync::Notify;

use crate::config::{BreakerOpenPolicy, ClientConfig};
use crate::shared::Shared;
use crate::stats::Counters;
use crate::transport::Attempt;

/// The state of one endpoint's circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Requests go through.
    Closed,
    /// No requests until the cool-down has passed.
    Open,
    /// One probe request is under way; its outcome closes or re-opens the circuit.
    HalfOpen,
}

impl CircuitState {
    /// `closed`, `open` or `half_open`, as in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

/// One endpoint's circuit, as shown in stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointCircuit {
    /// The endpoint's base URL.
    pub endpoint: String,
    /// Its circuit's state.
    pub state: CircuitState,
}

/// What a lane may do with an endpoint now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permit {
    /// Send (the circuit is closed, or the breaker is off).
    Send,
    /// Send the one probe request of a half-open circuit.
    Probe,
    /// Do not send before this instant (`None`: a probe is under way; wait for its outcome).
    Wait(Option<Instant>),
}

/// How an attempt went, as far as the endpoint's health is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    /// The server answered (200, 4xx, 429): it is up.
    Up,
    /// Connection error, timeout, 5xx.
    Down,
}

struct Circuit {
    state: CircuitState,
    failures: u32,
    until: Instant,
    cooldown: Duration,
}

/// The circuits of every endpoint of one engine.
pub(crate) struct Breakers {
    endpoints: Vec<String>,
    circuits: Vec<Mutex<Circuit>>,
    threshold: u32,
    cooldown: Duration,
    cooldown_max: Duration,
    /// Woken on every state change, so waiting lanes look again.
    pub changed: Notify,
}

impl Breakers {
    pub(crate) fn new(config: &ClientConfig) -> Self {
        let now = Instant::now();
        Breakers {
            // Shown in stats and metric labels: never with a password.
            endpoints: config
                .endpoints
                .iter()
                .map(|e| crate::config::redacted(e))
                .collect(),
            circuits: config
                .endpoints
                .iter()
                .map(|_| {
                    Mutex::new(Circuit {
                        state: CircuitState::Closed,
                        failures: 0,
                        until: now,
                        cooldown: config.breaker_cooldown,
                    })
                })
                .collect(),
            threshold: config.breaker_failure_threshold,
            cooldown: config.breaker_cooldown,
            cooldown_max: config.breaker_cooldown_max,
            changed: Notify::new(),
        }
    }

    fn enabled(&self) -> bool {
        self.threshold > 0
    }

    /// Whether a lane may send to `endpoint` now; grants the probe of a half-open circuit to
    /// the first caller after the cool-down.
    pub(crate) fn acquire(&self, endpoint: usize, counters: &Counters) -> Permit {
        let Some(circuit) = self.circuits.get(endpoint) else {
            return Permit::Send;
        };
        if !self.enabled() {
            return Permit::Send;
        }
        let mut c = circuit.lock();
        match c.state {
            CircuitState::Closed => Permit::Send,
            CircuitState::Open if Instant::now() >= c.until => {
                c.state = CircuitState::HalfOpen;
                counters.breaker_half_opened.fetch_add(1, Relaxed);
                Permit::Probe
            }
            // Half-open: the probe is under way; its outcome wakes everyone (`changed`).
            CircuitState::Open => Permit::Wait(Some(c.until)),
            CircuitState::HalfOpen => Permit::Wait(None),
        }
    }

    /// Records how an attempt to `endpoint` went.
    pub(crate) fn record(&self, endpoint: usize, health: Health, counters: &Counters) {
        let Some(circuit) = self.circuits.get(endpoint) else {
            return;
        };
        if !self.enabled() {
            return;
        }
        let mut c = circuit.lock();
        let before = c.state;
        match health {
            Health::Up => {
                c.failures = 0;
                c.cooldown = self.cooldown;
                if before != CircuitState::Closed {
                    c.state = CircuitState::Closed;
                    counters.breaker_closed.fetch_add(1, Relaxed);
                }
            }
            Health::Down => {
                c.failures = c.failures.saturating_add(1);
                let reopen = match before {
                    CircuitState::HalfOpen => {
                        c.cooldown = c.cooldown.saturating_mul(2).min(self.cooldown_max);
                        true
                    }
                    CircuitState::Closed => c.failures >= self.threshold,
                    // A late answer to a request sent before the circuit opened.
                    CircuitState::Open => false,
                };
                if reopen {
                    c.state = CircuitState::Open;
                    c.until = crate::shared::deadline_after(Instant::now(), c.cooldown);
                    counters.breaker_opened.fetch_add(1, Relaxed);
                }
            }
        }
        let changed = c.state != before;
        drop(c);
        if changed {
            self.changed.notify_waiters();
        }
    }

    /// Gives back a probe that was never sent (shutdown abort): open again, due at once.
    pub(crate) fn release_probe(&self, endpoint: usize) {
        let Some(circuit) = self.circuits.get(endpoint) else {
            return;
        };
        let mut c = circuit.lock();
        if c.state == CircuitState::HalfOpen {
            c.state = CircuitState::Open;
            c.until = Instant::now();
        }
        drop(c);
        self.changed.notify_waiters();
    }

    /// When every endpoint's circuit is open (or half-open): the endpoint probed first and
    /// the time until then. `None` while any circuit is closed.
    pub(crate) fn all_open(&self) -> Option<(String, Duration)> {
        if !self.enabled() {
            return None;
        }
        let mut first: Option<(usize, Instant)> = None;
        for (i, circuit) in self.circuits.iter().enumerate() {
            let c = circuit.lock();
            if c.state == CircuitState::Closed {
                return None;
            }
            if first.is_none_or(|(_, until)| c.until < until) {
                first = Some((i, c.until));
            }
        }
        let (i, until) = first?;
        let endpoint = self.endpoints.get(i).cloned().unwrap_or_default();
        Some((endpoint, until.saturating_duration_since(Instant::now())))
    }

    /// Every endpoint's state, for stats.
    pub(crate) fn states(&self) -> Vec<EndpointCircuit> {
        self.endpoints
            .iter()
            .zip(&self.circuits)
            .map(|(endpoint, c)| EndpointCircuit {
                endpoint: endpoint.clone(),
                state: c.lock().state,
            })
            .collect()
    }
}

/// Under the fail-fast policy, refuses `n` events while every circuit is open (counted in
/// `rejected_circuit_open`). The queue and spool policies accept as usual.
pub(crate) fn admit(shared: &Shared, n: usize) -> Result<()> {
    if shared.config.breaker_open_policy != BreakerOpenPolicy::FailFast {
        return Ok(());
    }
    let Some((endpoint, wait)) = shared.breakers.all_open() else {
        return Ok(());
    };
    let error = Error::CircuitOpen {
        endpoint,
        retry_in_ms: Shared::millis(wait),
    };
    shared
        .stats
        .counters
        .rejected_circuit_open
        .fetch_add(n as u64, Relaxed);
    shared.stats.set_last_error(&error);
    Err(error)
}

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
    shared: &Shared,
    abort: &Notify,
    endpoint: &mut usize,
    deadline: Instant,
) -> Pick {
    let breakers = &shared.breakers;
    let counters = &shared.stats.counters;
    let n = shared.config.endpoints.len().max(1);
    // Registered before looking, so a change between the look and the sleep still wakes us.
    let changed = breakers.changed.notified();
    let mut wake = deadline;
    for i in 0..n {
        let candidate = (*endpoint + i) % n;
        let probe = match breakers.acquire(candidate, counters) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use pushcast_core::{App, Credentials};

    fn breakers(threshold: u32) -> Breakers {
        let app = App::new(Credentials::new("1", "k", "s").unwrap());
        let mut config = ClientConfig::new(app, "http://127.0.0.1:1");
        config.endpoints.push("http://127.0.0.1:2".into());
        config.breaker_failure_threshold = threshold;
        config.breaker_cooldown = Duration::from_millis(1);
        config.breaker_cooldown_max = Duration::from_millis(4);
        Breakers::new(&config)
    }

    #[test]
    fn opens_after_threshold_probes_once_and_closes_on_success() {
        let b = breakers(2);
        let counters = Counters::default();
        b.record(0, Health::Down, &counters);
        assert_eq!(b.acquire(0, &counters), Permit::Send);
        b.record(0, Health::Down, &counters);
        assert!(matches!(b.acquire(0, &counters), Permit::Wait(_)));
        assert_eq!(b.states()[0].state, CircuitState::Open);
        assert!(b.all_open().is_none(), "endpoint 1 is still closed");
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(b.acquire(0, &counters), Permit::Probe);
        assert!(matches!(b.acquire(0, &counters), Permit::Wait(_)));
        b.record(0, Health::Down, &counters);
        assert_eq!(b.states()[0].state, CircuitState::Open);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(b.acquire(0, &counters), Permit::Probe);
        b.record(0, Health::Up, &counters);
        assert_eq!(b.states()[0].state, CircuitState::Closed);
        assert_eq!(counters.breaker_opened.load(Relaxed), 2);
        assert_eq!(counters.breaker_half_opened.load(Relaxed), 2);
        assert_eq!(counters.breaker_closed.load(Relaxed), 1);
    }

    #[test]
    fn all_open_names_the_first_probe_and_zero_threshold_turns_it_off() {
        let b = breakers(1);
        let counters = Counters::default();
        b.record(0, Health::Down, &counters);
        b.record(1, Health::Down, &counters);
        assert!(b.all_open().is_some());
        let off = breakers(0);
        off.record(0, Health::Down, &counters);
        off.record(1, Health::Down, &counters);
        assert!(off.all_open().is_none());
        assert_eq!(off.acquire(0, &counters), Permit::Send);
    }
}
