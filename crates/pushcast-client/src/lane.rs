//! A lane: one request in flight at a time, so the events of a channel (always on the same
//! lane) reach the server in publish order, retries included.
//!
//! A batch the server refuses is split so that only the events it really refuses fail (see
//! [`Refusal`]); events sent again after a try the server may have acted on are counted as
//! resent.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_core::response::{parse_batch_response, parse_trigger_response, ChannelInfo};
use pushcast_core::{Error, SignedRequest};
use rand::rngs::{OsRng, StdRng};
use rand::{Rng, SeedableRng};
use tokio::sync::{mpsc, Notify};

use crate::deadline::millis;
use crate::failover;
use crate::item::Item;
use crate::shared::Shared;
use crate::transport::{send, Attempt, ReadLimit};

/// A batch for a lane: items and their serialized `batch_events` entries.
pub(crate) struct Batch {
    pub items: Vec<Item>,
    pub json: Vec<Vec<u8>>,
    /// One item sent alone through `POST /events` (its `socket_id` cannot ride in a batch on
    /// this server); its entry is also a valid `POST /events` body.
    pub solo: bool,
    /// The last try of these items may have been acted on by the server (a 5xx answer, or a
    /// request sent and never answered): sending them again may repeat them.
    pub maybe_dispatched: bool,
    /// When the dispatcher built it to hand to its lane (the `batch` stage ends, the `wake`
    /// stage starts; taken once, at creation).
    pub handed: Instant,
    /// Its first try, already written by its publisher (ahead.rs): the lane finishes it.
    pub ahead: Option<Box<crate::item::Ahead>>,
}

impl Batch {
    pub(crate) fn new(solo: bool) -> Self {
        Batch {
            items: Vec::new(),
            json: Vec::new(),
            solo,
            maybe_dispatched: false,
            handed: Instant::now(),
            ahead: None,
        }
    }

    /// Splits into parts of at most `size` items, in order, each inheriting the flags.
    fn split(self, size: usize) -> Vec<Batch> {
        let size = size.max(1);
        let mut parts = Vec::new();
        let mut json = self.json.into_iter();
        let mut items = self.items.into_iter().peekable();
        while items.peek().is_some() {
            let mut part = Batch {
                items: Vec::new(),
                json: Vec::new(),
                solo: self.solo,
                maybe_dispatched: self.maybe_dispatched,
                handed: self.handed,
                ahead: None,
            };
            for (item, j) in items.by_ref().zip(json.by_ref()).take(size) {
                part.items.push(item);
                part.json.push(j);
            }
            parts.push(part);
        }
        parts
    }

    /// Signs the request for these items, with a fresh timestamp.
    fn sign(&self, shared: &Shared) -> Result<SignedRequest, Error> {
        crate::ahead::sign(shared, self.solo, &self.json)
    }

    /// Per-item channel info from a 200 answer (empty when the server reported none).
    fn infos(&self, body: &[u8]) -> Vec<ChannelInfo> {
        // A 200 whose body we cannot read still means the server took the request.
        if self.solo {
            let channels = parse_trigger_response(200, body)
                .map(|r| r.channels)
                .unwrap_or_default();
            self.items
                .iter()
                .map(|i| channels.get(i.channel()).cloned().unwrap_or_default())
                .collect()
        } else {
            parse_batch_response(200, body)
                .map(|r| r.items)
                .unwrap_or_default()
        }
    }
}

/// One try of a batch: the request its publisher already wrote, or one signed for this try.
enum Try {
    Written(Box<crate::item::Ahead>),
    Signed(SignedRequest),
}

/// The time left before the earliest deadline of `batch`'s items.
fn time_left(batch: &Batch) -> Duration {
    batch
        .items
        .iter()
        .map(|i| i.deadline)
        .min()
        .map_or(Duration::ZERO, |d| {
            d.saturating_duration_since(Instant::now())
        })
}

/// What a refusal of a batch of several items says about its items.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// About the whole request (credentials, app, route): every item fails with it.
    Whole,
    /// Possibly about some items only, and the server did nothing (400, 413, 422): split in
    /// halves, so the refused items are found in a few requests and the others delivered.
    Bisect,
    /// A server error that may have come after the server dispatched part of the batch (500;
    /// or 502-504 that persists): split into single events, so each event the server already
    /// dispatched is sent again once at most, and only the events it keeps failing on fail.
    Singles,
    /// Worth retrying the whole batch as it is (a transient 5xx, a lost connection).
    Retry,
}

/// A 502, 503 or 504 answered this many times in a row to the same batch of several events
/// is taken as persistent, and the batch split into single events.
const TRANSIENT_ANSWERS_BEFORE_SPLIT: u32 = 3;

/// An event alone answered 500 this many times in a row fails with the server's message: a
/// server error that this event reproduces is a refusal of it, not an outage (an outage
/// refuses connections or answers 502-504, which are retried until the delivery deadline).
const SERVER_ERRORS_BEFORE_FAILING_ALONE: u32 = 3;

fn refusal_of(error: &Error, transient_answers: u32) -> Refusal {
    match error {
        Error::Api {
            status: 400 | 413 | 422,
            ..
        } => Refusal::Bisect,
        Error::Api {
            status: 502..=504, ..
        } if transient_answers < TRANSIENT_ANSWERS_BEFORE_SPLIT => Refusal::Retry,
        Error::Api {
            status: 500..=599, ..
        } => Refusal::Singles,
        Error::Api { status: 429, .. } => Refusal::Retry,
        Error::Api { .. } => Refusal::Whole,
        _ => Refusal::Retry,
    }
}

/// Runs a lane until its sender is dropped; reports each finished batch on `done`.
pub(crate) async fn run(
    lane: usize,
    shared: Arc<Shared>,
    http: crate::transport::Transport,
    abort: Arc<Notify>,
    mut batches: mpsc::UnboundedReceiver<Batch>,
    done: mpsc::UnboundedSender<usize>,
) {
    let mut endpoint = lane % shared.config.endpoints.len();
    let mut rng = lane_rng(lane);
    // The lane's last failure, until a delivery succeeds: events that reach their deadline
    // before a try of their own (waiting behind a batch that retried) fail with the reason
    // the lane could not deliver, not a bare timeout.
    let mut last_error: Option<Error> = None;
    while let Some(batch) = batches.recv().await {
        let (started, events) = (Instant::now(), batch.items.len());
        let stages = &shared.stats.stages;
        let handed_to_lane = started.saturating_duration_since(batch.handed);
        crate::stages::record_n(&stages.wake, handed_to_lane, events);
        deliver(
            &shared,
            &http,
            &abort,
            &mut endpoint,
            &mut rng,
            &mut last_error,
            batch,
        )
        .await;
        crate::stages::record_n(&stages.send, started.elapsed(), events);
        if done.send(lane).is_err() {
            break;
        }
    }
}

/// The lane's own random generator (backoff jitter, idempotency keys), seeded from the OS.
///
/// Not rand's `thread_rng()`: its first use registers a fork handler inside a process-wide
/// one-time init, and a process forked while an engine thread was inside it left its child's
/// engine waiting on that init forever. A generator owned by the lane touches no global state.
fn lane_rng(lane: usize) -> StdRng {
    StdRng::from_rng(OsRng).unwrap_or_else(|_| {
        // No OS randomness (never seen on Linux): time, pid and lane still spread retries
        // and keep keys distinct between processes.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        StdRng::seed_from_u64(nanos ^ (u64::from(std::process::id()) << 32) ^ lane as u64)
    })
}

fn backoff(
    shared: &Shared,
    rng: &mut StdRng,
    attempt: u32,
    retry_after: Option<Duration>,
) -> Duration {
    if let Some(after) = retry_after {
        return after.min(shared.config.delivery_timeout);
    }
    let cap = shared
        .config
        .retry_base
        .saturating_mul(1u32 << attempt.min(16))
        .min(shared.config.retry_max);
    // Full jitter: spreads the retries of many publishers after a shared outage.
    let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(rng.gen_range(millis / 2..=millis))
}

/// A fresh idempotency key: 128 random bits in hex.
fn new_idempotency_key(rng: &mut StdRng) -> String {
    crate::ahead::format_key(rng.gen::<u128>())
}

/// Whether the server may hold an orphaned claim on a batch's idempotency key.
///
/// sockudo claims a batch's key (in its cache, which Redis shares between the nodes of a
/// cluster) before it broadcasts, and stores the answer after. A node killed in between leaves
/// the claim "in progress" for the key's whole TTL (120 s by default): every retry with that
/// key, on any node, is answered 503 until then, past the delivery deadline, and the batch
/// would fail although a live node could deliver it. So: once a try went unanswered on an
/// endpoint that then refuses connections (its process, and the claim's owner, is gone), a 503
/// means the claim is orphaned and the next try takes a fresh key. The first try after the
/// failure keeps the old key, so a batch the dead node finished is answered from the cache and
/// not broadcast twice; one it broadcast only in part is sent again whole (at least once).
#[derive(Default)]
struct Claim {
    /// The endpoint of the last try that was sent and got no answer.
    unanswered_on: Option<usize>,
    /// That endpoint refused a connection since: the claim it may hold will not be resolved.
    orphaned: bool,
}

impl Claim {
    /// Notes a retryable outcome of a try on `endpoint`; true when the next try needs a new key.
    fn after_retry(&mut self, endpoint: usize, error: &Error, connect_failed: bool) -> bool {
        match error {
            Error::Transport { .. } if connect_failed => {
                self.orphaned |= self.unanswered_on == Some(endpoint);
            }
            Error::Transport { .. } => self.unanswered_on = Some(endpoint),
            Error::Api { status: 503, .. } if self.orphaned => {
                *self = Claim::default();
                return true;
            }
            _ => {}
        }
        false
    }
}

/// Fails, with a timeout that names the last error, every item whose deadline has passed.
/// Returns whether the batch changed.
fn expire(shared: &Shared, batch: &mut Batch, last_error: &Option<Error>) -> bool {
    let now = Instant::now();
    if batch.items.iter().all(|i| i.deadline > now) {
        return false;
    }
    let mut expired = Vec::new();
    let (mut items, mut json) = (Vec::new(), Vec::new());
    for (item, j) in batch.items.drain(..).zip(batch.json.drain(..)) {
        if item.deadline <= now {
            expired.push(item);
        } else {
            items.push(item);
            json.push(j);
        }
    }
    batch.items = items;
    batch.json = json;
    let error = last_error.clone().unwrap_or(Error::Timeout {
        what: "delivery",
        after_ms: millis(shared.config.delivery_timeout),
    });
    shared.failed(expired, &error);
    true
}

/// Delivers `batch`, and the parts it is split into, in order.
async fn deliver(
    shared: &Shared,
    http: &crate::transport::Transport,
    abort: &Notify,
    endpoint: &mut usize,
    rng: &mut StdRng,
    last_error: &mut Option<Error>,
    batch: Batch,
) {
    let mut parts = VecDeque::from([batch]);
    while let Some(part) = parts.pop_front() {
        let split = deliver_part(shared, http, abort, endpoint, rng, last_error, part).await;
        for part in split.into_iter().rev() {
            parts.push_front(part);
        }
    }
}

/// Tries one part until it is resolved (delivered, failed, abandoned), or split: then returns
/// the parts to deliver in its place.
async fn deliver_part(
    shared: &Shared,
    http: &crate::transport::Transport,
    abort: &Notify,
    endpoint: &mut usize,
    rng: &mut StdRng,
    last_error: &mut Option<Error>,
    mut batch: Batch,
) -> Vec<Batch> {
    let endpoints = &shared.config.endpoints;
    let counters = &shared.stats.counters;
    let mut attempt = 0u32;
    let idempotent = shared.app.profile().supports_idempotency_key;
    // One key for every try of the same batch, so the server drops the duplicates a retry
    // after a lost answer would make; a new key when the batch's content changes.
    // A first try its publisher wrote keeps the key it was written with.
    let mut ahead = batch.ahead.take();
    let mut key = match ahead.as_mut() {
        Some(first) => first.key.take(),
        None => idempotent.then(|| new_idempotency_key(rng)),
    };
    let mut claim = Claim::default();
    // Consecutive answers 502-504, and consecutive other 5xx answers, to this part.
    let (mut transient_answers, mut server_errors) = (0u32, 0u32);
    loop {
        if expire(shared, &mut batch, last_error) && idempotent {
            key = Some(new_idempotency_key(rng));
        }
        if batch.items.is_empty() {
            return Vec::new();
        }
        if shared.aborting.load(SeqCst) {
            shared.abandoned(std::mem::take(&mut batch.items));
            return Vec::new();
        }
        let this_try = match ahead.take() {
            // The first try, when its publisher wrote it: signed, and sent to the only endpoint,
            // whose circuit was closed.
            Some(first) => Try::Written(first),
            // Signed on every other try: a retry after a long outage needs a fresh timestamp.
            None => match batch.sign(shared) {
                Ok(r) => Try::Signed(r),
                Err(e) => {
                    shared.failed(std::mem::take(&mut batch.items), &e);
                    return Vec::new();
                }
            },
        };
        // The circuit breaker picks the endpoint, or makes the lane wait (no hot loop).
        let earliest = batch.items.iter().map(|i| i.deadline).min();
        let probe = match this_try {
            Try::Written(_) => false,
            Try::Signed(_) => match failover::pick(
                &shared.breakers,
                counters,
                abort,
                endpoint,
                earliest.unwrap_or_else(Instant::now),
            )
            .await
            {
                failover::Pick::Send { probe } => probe,
                failover::Pick::Recheck => continue,
            },
        };
        counters.requests_sent.fetch_add(1, Relaxed);
        if batch.maybe_dispatched {
            counters.resent.fetch_add(batch.items.len() as u64, Relaxed);
        }
        counters.in_flight_requests.fetch_add(1, Relaxed);
        // Never past the earliest deadline: a try is cut short to the time left.
        let timeout = shared
            .config
            .request_timeout
            .min(time_left(&batch))
            .max(Duration::from_millis(1));
        let try_once = async {
            match this_try {
                Try::Written(first) => first.written.finish(timeout, ReadLimit::PUBLISH).await,
                Try::Signed(request) => {
                    let endpoint = &endpoints[*endpoint];
                    send(
                        http,
                        endpoint,
                        &request,
                        key.as_deref(),
                        timeout,
                        ReadLimit::PUBLISH,
                    )
                    .await
                }
            }
        };
        let outcome = tokio::select! {
            outcome = try_once => Some(outcome),
            () = abort.notified() => None,
        };
        counters.in_flight_requests.fetch_sub(1, Relaxed);
        let Some(outcome) = outcome else {
            if probe {
                shared.breakers.release_probe(*endpoint);
            }
            shared.abandoned(std::mem::take(&mut batch.items));
            return Vec::new();
        };
        failover::record(&shared.breakers, counters, *endpoint, &outcome);
        let (error, fatal, connect_failed, retry_after) = match outcome {
            Attempt::Ok(body) => {
                *last_error = None;
                let infos = batch.infos(&body);
                shared.delivered(&batch.items, &infos);
                return Vec::new();
            }
            Attempt::Fatal(error) => (error, true, false, None),
            Attempt::Retry {
                error,
                connect_failed,
                retry_after,
            } => (error, false, connect_failed, retry_after),
        };
        shared.note_error(&error);
        // What the server may have done with this try decides whether the next send repeats.
        match &error {
            Error::Api { status, .. } => {
                batch.maybe_dispatched = *status >= 500;
                let transient = (502..=504).contains(status);
                transient_answers = if transient { transient_answers + 1 } else { 0 };
                server_errors = if *status >= 500 && !transient {
                    server_errors + 1
                } else {
                    0
                };
            }
            Error::Transport { .. } if !connect_failed => batch.maybe_dispatched = true,
            // A refused connection: this try reached nobody.
            _ => {}
        }
        let answered = matches!(error, Error::Api { .. });
        if batch.items.len() > 1 && answered {
            let size = batch.items.len();
            match refusal_of(&error, transient_answers) {
                Refusal::Bisect => {
                    counters.split_batches.fetch_add(1, Relaxed);
                    counters.retried.fetch_add(size as u64, Relaxed);
                    return batch.split(size.div_ceil(2));
                }
                Refusal::Singles => {
                    counters.split_batches.fetch_add(1, Relaxed);
                    counters.retried.fetch_add(size as u64, Relaxed);
                    // A failing server: the parts wait what the batch would have waited
                    // (its Retry-After, else the backoff) before they are sent.
                    let pause = backoff(shared, rng, attempt, retry_after).min(time_left(&batch));
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = abort.notified() => {}
                    }
                    return batch.split(1);
                }
                Refusal::Whole => {
                    shared.failed(std::mem::take(&mut batch.items), &error);
                    return Vec::new();
                }
                Refusal::Retry => {}
            }
        } else if fatal || server_errors >= SERVER_ERRORS_BEFORE_FAILING_ALONE {
            // Refused: an event alone, or a failure no retry can change (TLS verification).
            shared.failed(std::mem::take(&mut batch.items), &error);
            return Vec::new();
        }
        if claim.after_retry(*endpoint, &error, connect_failed) && idempotent {
            key = Some(new_idempotency_key(rng));
        }
        if connect_failed && endpoints.len() > 1 {
            *endpoint = (*endpoint + 1) % endpoints.len();
            counters.failovers.fetch_add(1, Relaxed);
        }
        *last_error = Some(error);
        counters
            .retried
            .fetch_add(batch.items.len() as u64, Relaxed);
        // Nor does a pause outlast it: the items then fail on time, with the last error.
        let pause = backoff(shared, rng, attempt, retry_after).min(time_left(&batch));
        attempt += 1;
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = abort.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport() -> Error {
        Error::Transport {
            endpoint: "http://a".into(),
            reason: "connection closed before message completed".into(),
        }
    }

    fn in_progress() -> Error {
        Error::Api {
            status: 503,
            message: "Idempotent batch publish is still in progress".into(),
        }
    }

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            message: "m".into(),
        }
    }

    #[test]
    fn refusals_by_status() {
        for status in [400, 413, 422] {
            assert_eq!(refusal_of(&api(status), 0), Refusal::Bisect);
        }
        for status in [401, 403, 404, 405] {
            assert_eq!(refusal_of(&api(status), 0), Refusal::Whole);
        }
        assert_eq!(refusal_of(&api(500), 0), Refusal::Singles);
        assert_eq!(refusal_of(&api(501), 0), Refusal::Singles);
        assert_eq!(refusal_of(&api(429), 0), Refusal::Retry);
        for status in [502, 503, 504] {
            assert_eq!(refusal_of(&api(status), 1), Refusal::Retry);
            assert_eq!(
                refusal_of(&api(status), TRANSIENT_ANSWERS_BEFORE_SPLIT),
                Refusal::Singles
            );
        }
        assert_eq!(refusal_of(&transport(), 9), Refusal::Retry);
    }

    #[test]
    fn a_claim_is_orphaned_only_when_the_unanswered_endpoint_then_refuses() {
        let mut claim = Claim::default();
        // Unanswered on A, A refuses (its process is gone), B answers 503: new key.
        assert!(!claim.after_retry(0, &transport(), false));
        assert!(!claim.after_retry(0, &transport(), true));
        assert!(claim.after_retry(1, &in_progress(), false));
        // Reset: a later 503 alone keeps the key.
        assert!(!claim.after_retry(1, &in_progress(), false));
    }

    #[test]
    fn a_503_without_a_dead_owner_keeps_the_key() {
        let mut claim = Claim::default();
        // A refused before any request reached it: nothing of ours can be claimed there.
        assert!(!claim.after_retry(0, &transport(), true));
        assert!(!claim.after_retry(1, &in_progress(), false));
        // Unanswered on A, but B is the one refusing: A may still finish and store the answer.
        let mut claim = Claim::default();
        assert!(!claim.after_retry(0, &transport(), false));
        assert!(!claim.after_retry(1, &transport(), true));
        assert!(!claim.after_retry(0, &in_progress(), false));
    }
}
