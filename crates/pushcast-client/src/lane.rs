//! A lane: one request in flight at a time, so the events of a channel (always on the same
//! lane) reach the server in publish order, retries included.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_core::response::parse_batch_response;
use pushcast_core::{batch_body_from_items, unix_now, Error};
use rand::Rng;
use tokio::sync::{mpsc, Notify};

use crate::breaker;
use crate::shared::{Item, Shared};
use crate::transport::{send, Attempt};

/// A batch for a lane: items and their serialized `batch_events` entries.
pub(crate) struct Batch {
    pub items: Vec<Item>,
    pub json: Vec<Vec<u8>>,
}

/// Runs a lane until its sender is dropped; reports each finished batch on `done`.
pub(crate) async fn run(
    lane: usize,
    shared: Arc<Shared>,
    http: reqwest::Client,
    abort: Arc<Notify>,
    mut batches: mpsc::UnboundedReceiver<Batch>,
    done: crossbeam_channel::Sender<usize>,
) {
    let mut endpoint = lane % shared.config.endpoints.len();
    while let Some(batch) = batches.recv().await {
        deliver(&shared, &http, &abort, &mut endpoint, batch).await;
        if done.send(lane).is_err() {
            break;
        }
    }
}

fn backoff(shared: &Shared, attempt: u32, retry_after: Option<Duration>) -> Duration {
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
    Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
}

/// A fresh idempotency key: 128 random bits in hex.
fn new_idempotency_key() -> String {
    format!("{:032x}", rand::thread_rng().gen::<u128>())
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
        after_ms: Shared::millis(shared.config.delivery_timeout),
    });
    shared.failed(expired, &error);
    true
}

async fn deliver(
    shared: &Shared,
    http: &reqwest::Client,
    abort: &Notify,
    endpoint: &mut usize,
    mut batch: Batch,
) {
    let endpoints = &shared.config.endpoints;
    let mut last_error: Option<Error> = None;
    let mut attempt = 0u32;
    let idempotent = shared.app.profile().supports_idempotency_key;
    // One key for every try of the same batch, so the server drops the duplicates a retry
    // after a lost answer would make; a new key when the batch's content changes.
    let mut key = idempotent.then(new_idempotency_key);
    let mut claim = Claim::default();
    loop {
        if expire(shared, &mut batch, &last_error) && idempotent {
            key = Some(new_idempotency_key());
        }
        if batch.items.is_empty() {
            return;
        }
        if shared.aborting.load(SeqCst) {
            shared.abandoned(std::mem::take(&mut batch.items));
            return;
        }
        let body = batch_body_from_items(batch.json.iter().map(Vec::as_slice));
        // Signed on every try: a retry after a long outage needs a fresh timestamp.
        let request = match shared.app.sign_batch_body(body, unix_now()) {
            Ok(r) => r,
            Err(e) => return shared.failed(std::mem::take(&mut batch.items), &e),
        };
        // The circuit breaker picks the endpoint, or makes the lane wait (no hot loop).
        let earliest = batch.items.iter().map(|i| i.deadline).min();
        let probe = match breaker::pick(
            shared,
            abort,
            endpoint,
            earliest.unwrap_or_else(Instant::now),
        )
        .await
        {
            breaker::Pick::Send { probe } => probe,
            breaker::Pick::Recheck => continue,
        };
        let counters = &shared.stats.counters;
        counters.requests_sent.fetch_add(1, Relaxed);
        counters.in_flight_requests.fetch_add(1, Relaxed);
        let outcome = tokio::select! {
            outcome = send(http, &endpoints[*endpoint], &request, key.as_deref()) => Some(outcome),
            () = abort.notified() => None,
        };
        counters.in_flight_requests.fetch_sub(1, Relaxed);
        let Some(outcome) = outcome else {
            if probe {
                shared.breakers.release_probe(*endpoint);
            }
            shared.abandoned(std::mem::take(&mut batch.items));
            return;
        };
        shared
            .breakers
            .record(*endpoint, breaker::health_of(&outcome), counters);
        let retry_after = match outcome {
            Attempt::Ok(body) => {
                // A 200 whose body we cannot read still means the server took the batch.
                let infos = parse_batch_response(200, &body)
                    .map(|r| r.items)
                    .unwrap_or_default();
                shared.delivered(&batch.items, &infos);
                return;
            }
            Attempt::Fatal(error) => {
                shared.note_error(&error);
                return shared.failed(std::mem::take(&mut batch.items), &error);
            }
            Attempt::Retry {
                error,
                connect_failed,
                retry_after,
            } => {
                shared.note_error(&error);
                if claim.after_retry(*endpoint, &error, connect_failed) && idempotent {
                    key = Some(new_idempotency_key());
                }
                if connect_failed && endpoints.len() > 1 {
                    *endpoint = (*endpoint + 1) % endpoints.len();
                    counters.failovers.fetch_add(1, Relaxed);
                }
                last_error = Some(error);
                retry_after
            }
        };
        counters
            .retried
            .fetch_add(batch.items.len() as u64, Relaxed);
        let pause = backoff(shared, attempt, retry_after);
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
