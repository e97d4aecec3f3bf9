//! [`Client`]: the public face of the publisher.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use pushcast_core::response::{
    parse_channel_info_response, parse_channels_response, parse_empty_response,
    parse_users_response, ChannelInfo, ChannelsResponse,
};
use pushcast_core::{unix_now, App, Error, Event, Result, SignedRequest};

pub use crate::admission::Accepted;
use crate::admission::{self, Publisher};
use crate::config::ClientConfig;
use crate::deadline::{deadline_after, millis};
use crate::engine::Engine;
use crate::failures::Failure;
use crate::fork;
use crate::item::{Ack, Item};
use crate::spool::Memory as _;
use crate::stats::StatsSnapshot;

/// The server's acknowledgement of a confirmed publish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confirmed {
    /// Per-channel info, when the event asked for it with `info`.
    pub channels: BTreeMap<String, ChannelInfo>,
}

/// What a flush or shutdown leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Events still pending when the deadline came (after shutdown: abandoned and logged).
    pub pending: u64,
    /// The statistics at that moment.
    pub stats: StatsSnapshot,
}

/// An event queued by [`Client::publish_tracked`], whose delivery can be awaited.
///
/// `Send`: it may be waited on from another thread than the one that published.
pub struct Tracked {
    ack: Arc<Ack>,
    done: crossbeam_channel::Receiver<()>,
    outcome: Option<Result<Confirmed>>,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl Tracked {
    fn new(ack: Arc<Ack>, done: crossbeam_channel::Receiver<()>) -> Self {
        Tracked {
            ack,
            done,
            outcome: None,
        }
    }

    /// Waits up to `timeout` for the outcome: the server's acknowledgement of every channel,
    /// or the first failure. On timeout ([`Error::Timeout`]) the event stays queued and a
    /// later call can still see it delivered; once settled, every call gives the same outcome.
    pub fn wait(&mut self, timeout: Duration) -> Result<Confirmed> {
        if let Some(outcome) = &self.outcome {
            return outcome.clone();
        }
        let deadline = deadline_after(Instant::now(), timeout);
        match self.done.recv_deadline(deadline) {
            Ok(()) => {
                let outcome = self.ack.take();
                let result = match outcome.error {
                    Some(e) => Err(e),
                    None => Ok(Confirmed {
                        channels: outcome.channels,
                    }),
                };
                self.outcome = Some(result.clone());
                result
            }
            Err(_) => Err(Error::Timeout {
                what: "confirmed publish (the event stays queued and may still be delivered)",
                after_ms: millis(timeout),
            }),
        }
    }

    /// Whether the outcome is known (a [`Tracked::wait`] would not wait).
    pub fn is_settled(&self) -> bool {
        self.outcome.is_some() || !self.done.is_empty()
    }
}

/// An API call started by [`Client::request_raw_pending`].
#[derive(Debug)]
pub struct PendingCall {
    rx: crossbeam_channel::Receiver<Result<Vec<u8>>>,
    timeout: Duration,
    outcome: Option<Result<Vec<u8>>>,
}

impl PendingCall {
    /// Waits for the answer's body (at most the client's request timeout per endpoint plus
    /// the connect timeout, counted from now); once known, every call gives the same.
    pub fn wait(&mut self) -> Result<Vec<u8>> {
        if let Some(outcome) = &self.outcome {
            return outcome.clone();
        }
        let outcome = Client::call_result(&self.rx, self.timeout);
        self.outcome = Some(outcome.clone());
        outcome
    }

    /// Whether the answer is in (a [`PendingCall::wait`] would not wait).
    pub fn is_settled(&self) -> bool {
        self.outcome.is_some() || !self.rx.is_empty()
    }
}

/// A publisher for one app on one set of endpoints.
///
/// `Send + Sync`: share it between threads (`Arc<Client>`); every method takes `&self`.
/// [`Client::publish`] never waits on the network. The background engine starts on first use,
/// and again in a child process after `fork()` (the child never touches the parent's queue or
/// threads; events queued in the parent stay the parent's). Dropping the client flushes for up
/// to `shutdown_timeout` and reports what could not be delivered (to the configured
/// [`crate::LogSink`], else standard error).
pub struct Client {
    config: ClientConfig,
    app: App,
    engine: ArcSwapOption<Engine>,
    /// Serializes starting and stopping the engine; a forked child never inherits it held.
    starting: fork::ForkSafeLock,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let endpoints: Vec<String> = self
            .config
            .endpoints
            .iter()
            .map(|e| crate::config::redacted(e))
            .collect();
        f.debug_struct("Client")
            .field("endpoints", &endpoints)
            .field("profile", &self.app.profile().name())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks the configuration. Starts nothing: the engine starts on first use.
    pub fn new(mut config: ClientConfig) -> Result<Self> {
        config.validate()?;
        // Whole-request limits are checked on the exact size of what the transport sends.
        let headers = crate::transport::transport_headers(&config);
        config.app = config.app.with_transport_headers(headers);
        Ok(Client {
            app: config.app.clone(),
            config,
            engine: ArcSwapOption::empty(),
            starting: fork::ForkSafeLock::new(),
        })
    }

    /// The app (credentials, profile) this client publishes for: channel auth, webhooks.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The configuration this client was built with (validated).
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Starts the engine now instead of at the first publish. With a spool, this claims the
    /// spools of processes that died and starts replaying them: a worker can call it at boot.
    /// Errors: a spool that cannot be opened; the I/O runtime or a thread cannot start.
    pub fn start(&self) -> Result<()> {
        self.engine().map(drop)
    }

    /// The running engine of this process, started if needed; an error when it stopped on a
    /// bug (it cannot deliver, so it must not accept).
    pub(crate) fn engine(&self) -> Result<Arc<Engine>> {
        let engine = self.live_engine()?;
        match engine.shared.engine_failure() {
            Some(reason) => Err(Error::EngineFailed { reason }),
            None => Ok(engine),
        }
    }

    fn live_engine(&self) -> Result<Arc<Engine>> {
        let generation = fork::generation();
        if let Some(engine) = self.engine.load_full() {
            if engine.generation == generation {
                return Ok(engine);
            }
        }
        let _starting = self.starting.lock();
        if let Some(engine) = self.engine.load_full() {
            if engine.generation == generation {
                return Ok(engine);
            }
            // Started before a fork: its threads are the parent's and do not exist here, its
            // locks may be held forever. Never touch or drop it; it is the parent's.
            std::mem::forget(engine);
        }
        let engine = Arc::new(Engine::start(self.config.clone())?);
        if let Some(stale) = self.engine.swap(Some(Arc::clone(&engine))) {
            std::mem::forget(stale);
        }
        Ok(engine)
    }

    /// The engine if one runs in this process (no start).
    fn running_engine(&self) -> Option<Arc<Engine>> {
        self.engine
            .load_full()
            .filter(|e| e.generation == fork::generation())
    }

    fn items(&self, event: Event, ack: Option<&Arc<Ack>>) -> Result<Vec<Item>> {
        let wire = self.app.prepare(event)?;
        for w in &wire {
            self.app.check_fits_alone(w)?;
        }
        let enqueued = Instant::now();
        let deadline = deadline_after(enqueued, self.config.delivery_timeout);
        let mut items = Vec::new();
        for w in wire {
            let w = Arc::new(w);
            for channel_index in 0..w.channels.len() {
                items.push(Item {
                    event: Arc::clone(&w),
                    channel_index,
                    enqueued,
                    deadline,
                    ack: ack.cloned(),
                    spool: None,
                    ahead: None,
                });
            }
        }
        Ok(items)
    }

    /// Validates `event` and queues it; never waits on the network.
    ///
    /// Errors: any validation error (nothing queued), [`Error::QueueFull`] under the fail-fast
    /// policy or when a blocking wait timed out, [`Error::CircuitOpen`] while every endpoint's
    /// circuit is open under [`crate::BreakerOpenPolicy::FailFast`].
    pub fn publish(&self, event: Event) -> Result<Accepted> {
        let items = self.items(event, None)?;
        self.enqueue(items)
    }

    fn enqueue(&self, items: Vec<Item>) -> Result<Accepted> {
        admission::admit(&*self.engine()?, items, Publisher::FireAndForget)
    }

    /// Validates every event first, then queues them all (none if any is invalid).
    pub fn publish_batch(&self, events: Vec<Event>) -> Result<Accepted> {
        let mut all = Vec::new();
        for event in events {
            all.extend(self.items(event, None)?);
        }
        if all.is_empty() {
            return Err(Error::EmptyBatch);
        }
        self.enqueue(all)
    }

    /// Queues `event` and waits up to `timeout` for the server's acknowledgement of every
    /// channel: for queue jobs, which must not finish before the event is safe.
    ///
    /// On timeout the event stays queued and may still be delivered; the error says so.
    pub fn publish_confirmed(&self, event: Event, timeout: Duration) -> Result<Confirmed> {
        self.publish_tracked(event)?.wait(timeout)
    }

    /// Queues `event` like [`Client::publish_confirmed`] without waiting: the returned
    /// [`Tracked`] settles when the server has acknowledged every channel, or the event failed.
    /// A full queue under the drop-newest policy is an error here ([`Error::QueueFull`]), as
    /// for a confirmed publish.
    pub fn publish_tracked(&self, event: Event) -> Result<Tracked> {
        self.publish_acked(event, None)
    }

    /// A tracked publish whose `Ack` also runs `on_done` (`Client::publish_reported`).
    pub(crate) fn publish_acked(
        &self,
        event: Event,
        on_done: Option<crate::item::Completion>,
    ) -> Result<Tracked> {
        let channels = event.channels.len().max(1);
        let (ack, done) = Ack::new(channels, on_done);
        let items = self.items(event, Some(&ack))?;
        if items.len() != channels {
            // Never the case (one item per channel), but the ack count must match exactly.
            return Err(Error::Internal {
                what: "publish_tracked",
                reason: "the item count does not match the channel count".into(),
            });
        }
        // Admitted, or refused: never dropped (the ack would wait for nothing).
        admission::admit(&*self.engine()?, items, Publisher::Confirmed)?;
        Ok(Tracked::new(ack, done))
    }

    /// Queues `name` for the user's `#server-to-user-{user_id}` channel.
    pub fn send_to_user(
        &self,
        user_id: &str,
        name: &str,
        data: impl Into<String>,
    ) -> Result<Accepted> {
        self.publish(self.app.send_to_user_event(user_id, name, data)?)
    }

    /// Waits up to `timeout` for every pending event to be resolved (with a spool, those
    /// waiting on disk too, and the delivered ones are removed from the spool before it
    /// returns).
    pub fn flush(&self, timeout: Duration) -> FlushReport {
        match self.running_engine() {
            None => FlushReport::default(),
            Some(engine) => {
                let pending = engine
                    .shared
                    .wait_empty(deadline_after(Instant::now(), timeout))
                    as u64;
                if let Some(spool) = &engine.shared.spool {
                    // Delivered rows leave the spool now, not at the spool thread's next turn:
                    // a process that exits right after flushing must not replay them.
                    if let Err(e) = spool.commit_resolved() {
                        engine.shared.spool_error(&e);
                    }
                }
                FlushReport {
                    pending,
                    stats: engine.shared.snapshot(),
                }
            }
        }
    }

    /// Flushes up to `timeout`, then stops the engine; what is still pending is abandoned,
    /// counted (`abandoned_at_shutdown`) and logged. A later publish starts a new engine.
    pub fn shutdown(&self, timeout: Duration) -> FlushReport {
        // The lock only while the engine is taken out: a publish meanwhile starts a new one,
        // and the old one's flush does not hold up other threads.
        let engine = {
            let _starting = self.starting.lock();
            let Some(engine) = self.running_engine() else {
                return FlushReport::default();
            };
            self.engine.store(None);
            engine
        };
        let pending = engine.shutdown(timeout) as u64;
        FlushReport {
            pending,
            stats: engine.shared.snapshot(),
        }
    }

    /// Live statistics of this process's engine (zeros before the first publish, with every
    /// endpoint's circuit closed).
    pub fn stats(&self) -> StatsSnapshot {
        self.running_engine()
            .map(|e| e.shared.snapshot())
            .unwrap_or_else(|| StatsSnapshot {
                circuits: self.idle_circuits(),
                ..StatsSnapshot::default()
            })
    }

    /// Each endpoint's circuit before an engine runs: closed, as a fresh engine starts them.
    fn idle_circuits(&self) -> Vec<crate::breaker::EndpointCircuit> {
        (self.config.endpoints.iter())
            .map(|endpoint| crate::breaker::EndpointCircuit {
                endpoint: endpoint.clone(),
                state: crate::breaker::CircuitState::Closed,
            })
            .collect()
    }

    /// Where events' time went in this process's engine, hop by hop (see [`StageLatency`]);
    /// empty before the first publish.
    pub fn stage_latencies(&self) -> Vec<crate::StageLatency> {
        self.running_engine()
            .map(|e| e.shared.stats.stages.report(&e.shared.stats.latency))
            .unwrap_or_default()
    }

    /// The live statistics in the Prometheus text format (counters, queue gauges, the latency
    /// histogram, each endpoint's circuit state), for a scrape endpoint. Zeros before the
    /// first publish.
    pub fn metrics(&self) -> String {
        match self.running_engine() {
            Some(e) => {
                let stats = e.shared.snapshot();
                crate::metrics::render(&stats, &e.shared.stats.latency.raw(), &stats.circuits)
            }
            None => crate::metrics::render(
                &StatsSnapshot::default(),
                &(Vec::new(), 0),
                &self.idle_circuits(),
            ),
        }
    }

    /// Takes the recent failures (oldest first) out of the bounded log.
    pub fn drain_failures(&self) -> Vec<Failure> {
        self.running_engine()
            .map(|e| e.shared.failures.drain())
            .unwrap_or_default()
    }

    /// Runs one signed request on the I/O thread through the breakers and failover
    /// (`crate::failover::query`), and waits for it up to the request timeout per endpoint.
    fn call<T: Send + 'static>(
        &self,
        request: SignedRequest,
        parse: fn(u16, &[u8]) -> Result<T>,
    ) -> Result<T> {
        let (rx, timeout) = self.start_call(request, parse)?;
        Self::call_result(&rx, timeout)
    }

    fn call_result<T>(rx: &crossbeam_channel::Receiver<Result<T>>, timeout: Duration) -> Result<T> {
        rx.recv_timeout(timeout).unwrap_or(Err(Error::Timeout {
            what: "API call",
            after_ms: millis(timeout),
        }))
    }

    /// Starts one signed request on the I/O thread (see `crate::failover::query`); the answer
    /// arrives on the receiver, within the returned time.
    fn start_call<T: Send + 'static>(
        &self,
        request: SignedRequest,
        parse: fn(u16, &[u8]) -> Result<T>,
    ) -> Result<(crossbeam_channel::Receiver<Result<T>>, Duration)> {
        let engine = self.engine()?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        let http = engine.http.clone();
        let shared = Arc::clone(&engine.shared);
        let request_timeout = self.config.request_timeout;
        engine.runtime.spawn(async move {
            let answer = crate::failover::query(
                &http,
                &shared.breakers,
                &shared.stats.counters,
                &shared.config.endpoints,
                &request,
                request_timeout,
            )
            .await;
            let _ = tx.send(answer.and_then(|body| parse(200, &body)));
        });
        let timeout = self
            .config
            .request_timeout
            .saturating_mul(u32::try_from(self.config.endpoints.len()).unwrap_or(u32::MAX))
            .saturating_add(self.config.connect_timeout);
        Ok((rx, timeout))
    }

    /// [`Client::request_raw`] without waiting: the request runs on the I/O thread and the
    /// returned [`PendingCall`] gives its answer.
    pub fn request_raw_pending(&self, request: SignedRequest) -> Result<PendingCall> {
        let (rx, timeout) = self.start_call(request, |_, body| Ok(body.to_vec()))?;
        Ok(PendingCall {
            rx,
            timeout,
            outcome: None,
        })
    }

    /// Runs any signed API request (see [`App::api_request`]) and returns the answer's body
    /// as the server sent it: for bindings that decode it themselves (pusher-http-php's
    /// `get`/`post` return PHP's `json_decode` of it). A non-2xx answer is [`Error::Api`].
    pub fn request_raw(&self, request: SignedRequest) -> Result<Vec<u8>> {
        self.call(request, |_, body| Ok(body.to_vec()))
    }

    /// `GET /channels`, optionally filtered by prefix, with `info` attributes.
    pub fn channels(
        &self,
        filter_by_prefix: Option<&str>,
        info: Option<&str>,
    ) -> Result<ChannelsResponse> {
        let request = self
            .app
            .channels_request(filter_by_prefix, info, unix_now())?;
        self.call(request, parse_channels_response)
    }

    /// `GET /channels/{channel}` with `info` attributes.
    pub fn channel_info(&self, channel: &str, info: Option<&str>) -> Result<ChannelInfo> {
        let request = self.app.channel_info_request(channel, info, unix_now())?;
        self.call(request, parse_channel_info_response)
    }

    /// `GET /channels/{channel}/users`: the ids of a presence channel's members.
    pub fn presence_users(&self, channel: &str) -> Result<Vec<String>> {
        let request = self.app.presence_users_request(channel, unix_now())?;
        match self.call(request, parse_users_response) {
            Err(e) if pushcast_core::response::is_empty_presence_answer(&e) => Ok(Vec::new()),
            result => result,
        }
    }

    /// `POST /users/{user_id}/terminate_connections`.
    pub fn terminate_user_connections(&self, user_id: &str) -> Result<()> {
        let request = self
            .app
            .terminate_user_connections_request(user_id, unix_now())?;
        self.call(request, parse_empty_response)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // In a forked child the engine is the parent's: dropping it would touch channels and
        // locks that the parent's (absent) threads may hold. Leave it alone.
        if self
            .engine
            .load()
            .as_ref()
            .is_some_and(|e| e.generation != fork::generation())
        {
            std::mem::forget(self.engine.swap(None));
            return;
        }
        let report = self.shutdown(self.config.shutdown_timeout);
        if report.pending > 0 {
            let spooled = report.stats.spool_left_at_shutdown;
            let kept = if spooled > 0 {
                format!(", {spooled} of them kept in the spool for the next process")
            } else {
                String::new()
            };
            crate::log::log(
                self.config.log.as_ref(),
                crate::log::LogLevel::Warning,
                &format!(
                    "pushcast: {} event(s) not delivered before shutdown ({} ms{kept}); last error: {}",
                    report.pending,
                    self.config.shutdown_timeout.as_millis(),
                    report.stats.last_error.as_deref().unwrap_or("none"),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    /// The engine's own messages go to the configured sink, not standard error.
    #[test]
    fn engine_messages_go_to_the_log_sink() {
        let credentials = pushcast_core::Credentials::new("1", "key", "secret").unwrap();
        let mut config = ClientConfig::new(App::new(credentials), "https://127.0.0.1:1");
        config.danger_accept_invalid_certs = true;
        let seen = Arc::new(crate::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        config.log = Some(crate::LogSink(Arc::new(move |level, message: &str| {
            sink.lock().push((level, message.to_owned()));
        })));
        let client = Client::new(config).unwrap();
        client.start().unwrap();
        let seen = seen.lock().clone();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].0, crate::LogLevel::Warning);
        assert!(seen[0].1.contains("TLS certificate verification is OFF"));
    }

    /// An engine whose thread died (here: as the dispatcher's and lanes' panic guards report
    /// it) refuses publishes with the reason instead of accepting events it cannot send.
    #[test]
    fn a_failed_engine_refuses_publishes_and_says_why() {
        let credentials = pushcast_core::Credentials::new("1", "key", "secret").unwrap();
        let app = App::new(credentials);
        let client = Client::new(ClientConfig::new(app, "http://127.0.0.1:1")).unwrap();
        client.start().unwrap();
        let engine = client.running_engine().unwrap();
        engine
            .shared
            .fail_engine("the dispatcher panicked: test".into());
        match client.publish(Event::new(["c"], "e", "{}")) {
            Err(Error::EngineFailed { reason }) => assert!(reason.contains("dispatcher")),
            other => panic!("{other:?}"),
        }
        assert!(client
            .stats()
            .last_error
            .is_some_and(|e| e.contains("dispatcher panicked")));
        // A shutdown clears it: the next publish starts a fresh engine.
        client.shutdown(Duration::from_secs(1));
        assert!(client.publish(Event::new(["c"], "e", "{}")).is_ok());
    }
}
