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
//!
//! A pure state machine: it counts nothing and sends nothing. It answers whether an endpoint
//! may be used and reports each change of state; `crate::failover` counts the changes and
//! drives the lanes and queries with it.

use std::time::{Duration, Instant};

use crate::sync::Mutex;
use tokio::sync::Notify;

use crate::config::ClientConfig;

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

    /// How many endpoints have a circuit.
    pub(crate) fn len(&self) -> usize {
        self.circuits.len()
    }

    fn enabled(&self) -> bool {
        self.threshold > 0
    }

    /// Whether `endpoint`'s circuit is closed (or the breakers are off): a request may go to
    /// it without asking [`Breakers::acquire`] (which may change the state).
    pub(crate) fn is_closed(&self, endpoint: usize) -> bool {
        !self.enabled()
            || self
                .circuits
                .get(endpoint)
                .is_none_or(|c| c.lock().state == CircuitState::Closed)
    }

    /// Whether a lane may send to `endpoint` now; grants the probe of a half-open circuit to
    /// the first caller after the cool-down (`Permit::Probe`: the circuit went half-open).
    pub(crate) fn acquire(&self, endpoint: usize) -> Permit {
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
                Permit::Probe
            }
            // Half-open: the probe is under way; its outcome wakes everyone (`changed`).
            CircuitState::Open => Permit::Wait(Some(c.until)),
            CircuitState::HalfOpen => Permit::Wait(None),
        }
    }

    /// Records how an attempt to `endpoint` went; returns the circuit's new state when it
    /// changed (to closed, or to open).
    pub(crate) fn record(&self, endpoint: usize, health: Health) -> Option<CircuitState> {
        let circuit = self.circuits.get(endpoint)?;
        if !self.enabled() {
            return None;
        }
        let mut c = circuit.lock();
        let before = c.state;
        match health {
            Health::Up => {
                c.failures = 0;
                c.cooldown = self.cooldown;
                c.state = CircuitState::Closed;
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
                    c.until = crate::deadline::deadline_after(Instant::now(), c.cooldown);
                }
            }
        }
        let after = c.state;
        drop(c);
        if after == before {
            return None;
        }
        self.changed.notify_waiters();
        Some(after)
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
        assert_eq!(b.record(0, Health::Down), None, "one failure of two");
        assert_eq!(b.acquire(0), Permit::Send);
        assert_eq!(b.record(0, Health::Down), Some(CircuitState::Open));
        assert!(matches!(b.acquire(0), Permit::Wait(_)));
        assert_eq!(b.states()[0].state, CircuitState::Open);
        assert!(b.all_open().is_none(), "endpoint 1 is still closed");
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            b.acquire(0),
            Permit::Probe,
            "the cool-down passed: one probe"
        );
        assert!(matches!(b.acquire(0), Permit::Wait(_)), "only one probe");
        assert_eq!(b.record(0, Health::Down), Some(CircuitState::Open));
        assert_eq!(b.states()[0].state, CircuitState::Open);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(b.acquire(0), Permit::Probe);
        assert_eq!(b.record(0, Health::Up), Some(CircuitState::Closed));
        assert_eq!(b.states()[0].state, CircuitState::Closed);
        assert_eq!(b.record(0, Health::Up), None, "already closed");
    }

    #[test]
    fn all_open_names_the_first_probe_and_zero_threshold_turns_it_off() {
        let b = breakers(1);
        b.record(0, Health::Down);
        b.record(1, Health::Down);
        assert!(b.all_open().is_some());
        let off = breakers(0);
        assert_eq!(off.record(0, Health::Down), None);
        off.record(1, Health::Down);
        assert!(off.all_open().is_none());
        assert_eq!(off.acquire(0), Permit::Send);
    }
}
