//! [`Client::publish_reported`]: a publish whose outcome comes back through a callback, once
//! every channel of the event is resolved (librdkafka's per-message delivery report), for
//! callers that cannot wait ([`Client::publish_confirmed`]) nor keep a handle
//! ([`Client::publish_tracked`]): the C ABI's delivery callback.
//!
//! It is a tracked publish whose [`Ack`] runs a completion when its last channel resolves
//! (item.rs), so admission, the spool and the backpressure policies are exactly
//! `publish_tracked`'s.

use std::sync::Arc;

use pushcast_core::{Event, Result};

use crate::client::{Accepted, Client, Confirmed};
use crate::item::{AckOutcome, Completion};
use crate::log::LogSink;
use crate::sync::Mutex;

/// The outcome of one event published with [`Client::publish_reported`].
///
/// `#[non_exhaustive]`: later versions may add fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// The event's name.
    pub event: String,
    /// The server's acknowledgement of every channel (with the channel info the event asked
    /// for with `info`), or the first failure.
    pub result: Result<Confirmed>,
    /// The first channel that failed, when known (`None` on success, and for an event left
    /// waiting in the spool at shutdown, whose failure is not a channel's).
    pub failed_channel: Option<String>,
}

/// The caller's callback on its way from `publish_reported` to the engine.
type OnDone = Box<dyn FnOnce(DeliveryReport) + Send>;

/// Hands the report to the caller's callback once `publish_reported` knows the event was
/// accepted: a report that comes before (the event was resolved, or the engine let go of it,
/// while the call was still returning) waits here; one for a refused event is dropped, since
/// the call returns the error instead.
struct Handoff {
    state: Mutex<HandoffState>,
    log: Option<LogSink>,
}

struct HandoffState {
    on_done: Option<OnDone>,
    /// `None` while `publish_reported` runs; then whether the event was accepted.
    accepted: Option<bool>,
    early: Option<DeliveryReport>,
}

impl Handoff {
    /// From the `Ack`: the report, now or when the call has returned.
    fn report(&self, report: DeliveryReport) {
        let mut state = self.state.lock();
        match state.accepted {
            None => state.early = Some(report),
            Some(false) => {}
            Some(true) => {
                let on_done = state.on_done.take();
                drop(state);
                self.run(on_done, report);
            }
        }
    }

    /// From `publish_reported`, once it knows: a report already in runs now (accepted), or is
    /// dropped with the callback (refused). An accepted event with no report yet leaves the
    /// callback in place for [`Handoff::report`], which may take it as soon as the lock is
    /// released.
    fn settle(&self, accepted: bool) {
        let mut state = self.state.lock();
        state.accepted = Some(accepted);
        if accepted && state.early.is_none() {
            return;
        }
        let (on_done, early) = (state.on_done.take(), state.early.take());
        drop(state);
        match (accepted, early) {
            (true, Some(report)) => self.run(on_done, report),
            // Refused: the call returns the error; the callback and any report go unused.
            _ => drop(on_done),
        }
    }

    /// Runs the caller's callback, at most once; a panic in it is caught (it may run on an
    /// engine thread, which must survive it) and logged.
    fn run(&self, on_done: Option<OnDone>, report: DeliveryReport) {
        let Some(on_done) = on_done else {
            return;
        };
        let event = report.event.clone();
        let call = std::panic::AssertUnwindSafe(|| on_done(report));
        if std::panic::catch_unwind(call).is_err() {
            crate::log::log(
                self.log.as_ref(),
                crate::log::LogLevel::Error,
                &format!("pushcast: the delivery report callback panicked (event {event})"),
            );
        }
    }
}

impl Client {
    /// Queues `event` like [`Client::publish_tracked`] and calls `on_done` once with its
    /// [`DeliveryReport`] when every channel is resolved: delivered, or failed (the first
    /// failure), expired, dropped for a newer event by drop-oldest, or abandoned at shutdown
    /// ([`Error::ShutDown`](pushcast_core::Error::ShutDown)). A report is never lost: should the engine let go of the event
    /// unresolved (it stopped on a bug), `on_done` still runs, with an error.
    ///
    /// Refused at admission (any validation error, a full queue under fail-fast or after a
    /// blocking wait, an open circuit under the fail-fast breaker policy, a spool that cannot
    /// take it): this returns the error, nothing is queued, and `on_done` is **not** called.
    /// As for a tracked publish, a full queue (or spool) under drop-newest is
    /// [`Error::QueueFull`](pushcast_core::Error::QueueFull) (or [`Error::SpoolFull`](pushcast_core::Error::SpoolFull)) instead of a silent drop, so `Ok` is
    /// always [`Accepted::Queued`], and the event is never conflated.
    ///
    /// With a durable spool, the event is written to it like any other (the spool's policy,
    /// drop-newest refused as above). If the client shuts down while it still waits there,
    /// `on_done` gets [`Error::ShutDown`](pushcast_core::Error::ShutDown) although the row stays in the spool and a later
    /// process replays it: the report is this process's, and says the event was not delivered
    /// by it.
    ///
    /// Threads: `on_done` runs on an engine thread (the I/O thread, or the spool thread), or,
    /// if the event is resolved before this call returns, on the calling thread just before it
    /// returns; rarely, on the thread that shuts the client down. It must return promptly (it
    /// holds up the engine) and must not call into this client (the engine may hold a lock of
    /// its own while it runs). A panic in it is caught and logged.
    pub fn publish_reported(
        &self,
        event: Event,
        on_done: impl FnOnce(DeliveryReport) + Send + 'static,
    ) -> Result<Accepted> {
        let handoff = Arc::new(Handoff {
            state: Mutex::new(HandoffState {
                on_done: Some(Box::new(on_done)),
                accepted: None,
                early: None,
            }),
            log: self.config().log.clone(),
        });
        let name = event.name.clone();
        let to_handoff = Arc::clone(&handoff);
        let on_done: Completion =
            Box::new(move |outcome: AckOutcome, failed_channel: Option<String>| {
                let result = match outcome.error {
                    Some(e) => Err(e),
                    None => Ok(Confirmed {
                        channels: outcome.channels,
                    }),
                };
                let failed_channel = failed_channel.filter(|_| result.is_err());
                to_handoff.report(DeliveryReport {
                    event: name,
                    result,
                    failed_channel,
                });
            });
        match self.publish_acked(event, Some(on_done)) {
            Ok(tracked) => {
                // Nobody waits on it; the completion reports instead.
                drop(tracked);
                handoff.settle(true);
                Ok(Accepted::Queued)
            }
            Err(e) => {
                handoff.settle(false);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use std::time::{Duration, Instant};

    use pushcast_testkit::{Sockudo, Subscriber, APP_KEY};

    use super::*;
    use crate::item::Ack;
    use crate::{Backpressure, ClientConfig};
    use pushcast_core::Error;

    type Reports = Arc<std::sync::Mutex<Vec<(u64, DeliveryReport)>>>;

    /// A callback that records its report under `id`.
    fn recorder(reports: &Reports, id: u64) -> impl FnOnce(DeliveryReport) + Send + 'static {
        let reports = Arc::clone(reports);
        move |report| reports.lock().unwrap().push((id, report))
    }

    /// Waits up to 20 s for `n` reports.
    fn wait_for(reports: &Reports, n: usize) -> Vec<(u64, DeliveryReport)> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while reports.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut seen = reports.lock().unwrap().clone();
        seen.sort_by_key(|(id, _)| *id);
        seen
    }

    fn unreachable(delivery: Duration) -> Client {
        let credentials = pushcast_core::Credentials::new("1", "key", "secret").unwrap();
        let mut config =
            ClientConfig::new(pushcast_core::App::new(credentials), "http://127.0.0.1:1");
        config.delivery_timeout = delivery;
        config.shutdown_timeout = Duration::ZERO;
        Client::new(config).unwrap()
    }

    /// Delivered events each report once, with the channel info asked for; a subscriber sees
    /// them.
    #[test]
    fn delivered_events_report_once_with_the_servers_channel_info() {
        let server = Sockudo::start();
        let app = server.app();
        let sub = Subscriber::connect(server.port, APP_KEY);
        sub.subscribe(&app, "reported.1");
        let client = Client::new(ClientConfig::new(app, server.url())).unwrap();
        let reports: Reports = Arc::default();
        for id in 0..20u64 {
            let event = Event::new(["reported.1", "reported.2"], "Reported", "{}")
                .with_info("subscription_count");
            let accepted = client
                .publish_reported(event, recorder(&reports, id))
                .unwrap();
            assert_eq!(accepted, Accepted::Queued);
        }
        let seen = wait_for(&reports, 20);
        assert_eq!(seen.len(), 20, "{seen:?}");
        for (i, (id, report)) in seen.iter().enumerate() {
            assert_eq!(*id, i as u64);
            assert_eq!(report.event, "Reported");
            assert_eq!(report.failed_channel, None);
            let confirmed = report.result.as_ref().unwrap();
            assert_eq!(confirmed.channels["reported.1"].subscription_count, Some(1));
        }
        assert_eq!(sub.wait_for(20, Duration::from_secs(10)), 20);
        assert_eq!(client.flush(Duration::from_secs(5)).pending, 0);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(reports.lock().unwrap().len(), 20, "a report ran twice");
    }

    /// A refusal at admission is the call's error, and the callback never runs.
    #[test]
    fn refused_events_return_the_error_and_never_report() {
        let client = unreachable(Duration::from_secs(5));
        let reports: Reports = Arc::default();
        let bad = client.publish_reported(
            Event::new(["bad channel"], "e", "{}"),
            recorder(&reports, 1),
        );
        assert!(
            matches!(bad, Err(Error::InvalidChannelName { .. })),
            "{bad:?}"
        );

        // A full queue under drop-newest is an error here, not a silent drop.
        let credentials = pushcast_core::Credentials::new("1", "key", "secret").unwrap();
        let mut config =
            ClientConfig::new(pushcast_core::App::new(credentials), "http://127.0.0.1:1");
        config.queue_capacity = 1;
        config.backpressure = Backpressure::DropNewest;
        config.shutdown_timeout = Duration::ZERO;
        let full = Client::new(config).unwrap();
        full.publish_reported(Event::new(["c"], "first", "{}"), recorder(&reports, 2))
            .unwrap();
        let refused =
            full.publish_reported(Event::new(["c"], "second", "{}"), recorder(&reports, 3));
        assert!(
            matches!(refused, Err(Error::QueueFull { .. })),
            "{refused:?}"
        );
        full.shutdown(Duration::ZERO);
        let seen = wait_for(&reports, 1);
        std::thread::sleep(Duration::from_millis(50));
        let seen_now = reports.lock().unwrap().len();
        assert_eq!(seen_now, 1, "{seen:?}");
        assert_eq!(seen[0].0, 2);
        assert!(seen[0].1.result.is_err(), "{seen:?}");
    }

    /// An event that cannot be delivered reports its failure and its channel; one still
    /// pending at shutdown reports ShutDown.
    #[test]
    fn failed_and_abandoned_events_report_the_error() {
        let client = unreachable(Duration::from_millis(200));
        let reports: Reports = Arc::default();
        client
            .publish_reported(Event::new(["gone"], "Lost", "{}"), recorder(&reports, 1))
            .unwrap();
        let seen = wait_for(&reports, 1);
        assert_eq!(seen.len(), 1);
        let report = &seen[0].1;
        assert_eq!(report.event, "Lost");
        assert_eq!(report.failed_channel.as_deref(), Some("gone"));
        assert!(report.result.is_err(), "{report:?}");

        let patient = unreachable(Duration::from_secs(60));
        patient
            .publish_reported(
                Event::new(["a", "b"], "Pending", "{}"),
                recorder(&reports, 2),
            )
            .unwrap();
        patient.shutdown(Duration::from_millis(50));
        let seen = wait_for(&reports, 2);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].0, 2);
        assert!(matches!(seen[1].1.result, Err(Error::ShutDown)), "{seen:?}");
        assert!(seen[1].1.failed_channel.is_some());
    }

    /// The hand-over runs the callback exactly once for an accepted event, whether the
    /// report comes before or after the call settles, and never for a refused one.
    #[test]
    fn the_handoff_runs_an_accepted_events_callback_once_whatever_the_order() {
        let report = |id: u64| DeliveryReport {
            event: id.to_string(),
            result: Ok(Confirmed::default()),
            failed_channel: None,
        };
        for (id, accepted, report_first) in [
            (1, true, true),
            (2, true, false),
            (3, false, true),
            (4, false, false),
        ] {
            let reports: Reports = Arc::default();
            let handoff = Handoff {
                state: Mutex::new(HandoffState {
                    on_done: Some(Box::new(recorder(&reports, id))),
                    accepted: None,
                    early: None,
                }),
                log: None,
            };
            if report_first {
                handoff.report(report(id));
                assert!(reports.lock().unwrap().is_empty(), "ran before settling");
                handoff.settle(accepted);
            } else {
                handoff.settle(accepted);
                handoff.report(report(id));
            }
            handoff.report(report(id));
            let seen = reports.lock().unwrap().clone();
            assert_eq!(seen.len(), usize::from(accepted), "case {id}: {seen:?}");
        }
    }

    /// The engine letting go of an unresolved event (here: the Ack dropped with a channel
    /// left) still reports, with an error; a panicking callback is caught.
    #[test]
    fn an_ack_dropped_unresolved_still_reports() {
        let reports: Reports = Arc::default();
        let record = recorder(&reports, 7);
        let on_done: Completion = Box::new(move |outcome: AckOutcome, channel| {
            record(DeliveryReport {
                event: "e".into(),
                result: outcome.error.map_or(Ok(Confirmed::default()), Err),
                failed_channel: channel,
            });
        });
        let (ack, _done) = Ack::new(2, Some(on_done));
        ack.resolve("one", Ok(None));
        assert!(reports.lock().unwrap().is_empty());
        drop(ack);
        let seen = reports.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        assert!(
            matches!(seen[0].1.result, Err(Error::Internal { .. })),
            "{seen:?}"
        );

        // A callback that panics does not take the engine thread with it.
        let client = unreachable(Duration::from_millis(50));
        client
            .publish_reported(Event::new(["p"], "Panics", "{}"), |_| panic!("callback"))
            .unwrap();
        client
            .publish_reported(Event::new(["p"], "After", "{}"), recorder(&reports, 8))
            .unwrap();
        let seen = wait_for(&reports, 2);
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(client.publish(Event::new(["p"], "e", "{}")).is_ok());
    }
}
