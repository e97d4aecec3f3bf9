//! Per-event accounting for one scenario: every published event, by its unique name, ends in
//! exactly one of delivered (seen by a real subscriber), failed (reported by the client: its
//! failure log, a publish error, or a count a child process printed) or dropped (refused or
//! dropped by the queue-full policy, reported as such). Whatever is in none of them is lost.
//! A scenario's [`Outcome`] adds the hangs it saw (child processes killed after their deadline).

use std::collections::{BTreeMap, BTreeSet};

use pushcast_client::{Accepted, Client, Failure, StatsSnapshot};
use pushcast_core::{Error, Event};
use pushcast_testkit::Received;

/// A scenario's verdict, as the suite's last line sums it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    pub ok: bool,
    /// Published events neither delivered, failed nor dropped.
    pub lost: u64,
    /// Processes that never finished and were killed after their deadline.
    pub hangs: u64,
}

/// The accounting of one scenario, and its verdict.
#[derive(Default)]
pub struct Ledger {
    name: String,
    published: BTreeSet<String>,
    delivered: BTreeSet<String>,
    /// Copies beyond the first, by event.
    extra_copies: BTreeMap<String, u64>,
    /// Events the scenario expects to arrive exactly twice (repeated by a counted resend).
    expected_twice: BTreeSet<String>,
    failed: BTreeMap<String, Error>,
    /// Failures reported only as a number (by a child process).
    failed_uncounted_names: u64,
    dropped: BTreeSet<String>,
    /// Events the publisher gave up on without knowing whether the server took them (abandoned
    /// at a shutdown with their request in flight, or published by a child process that was
    /// killed): failed unless a subscriber saw them.
    unconfirmed: BTreeSet<String>,
    hangs: u64,
    figures: Vec<(String, String)>,
    problems: Vec<String>,
}

/// The data of event `name`: its name again, so a subscriber can tell events apart.
pub fn event(channel: &str, name: &str) -> Event {
    Event::new([channel], name, format!(r#"{{"name":"{name}"}}"#))
}

impl Ledger {
    /// An empty ledger for scenario `name`.
    pub fn new(name: &str) -> Ledger {
        Ledger {
            name: name.to_owned(),
            ..Ledger::default()
        }
    }

    /// Publishes event `name` on `channel` and records what the call said.
    pub fn publish(&mut self, client: &Client, channel: &str, name: String) -> Option<Accepted> {
        let result = client.publish(event(channel, &name));
        self.published.insert(name.clone());
        match result {
            Ok(Accepted::Queued) => Some(Accepted::Queued),
            Ok(Accepted::Dropped) => {
                self.dropped.insert(name);
                Some(Accepted::Dropped)
            }
            Err(Error::QueueFull { .. }) => {
                self.dropped.insert(name);
                None
            }
            Err(e) => {
                self.failed.insert(name, e);
                None
            }
        }
    }

    /// Publishes `names` on `channel` in one `publish_batch` call and records what it said.
    pub fn publish_batch(&mut self, client: &Client, channel: &str, names: &[&str]) {
        let events = names.iter().map(|n| event(channel, n)).collect();
        let result = client.publish_batch(events);
        self.published.extend(names.iter().map(|n| (*n).to_owned()));
        match result {
            Ok(Accepted::Queued) => {}
            Ok(Accepted::Dropped) | Err(Error::QueueFull { .. }) => {
                self.dropped.extend(names.iter().map(|n| (*n).to_owned()));
            }
            Err(e) => {
                for n in names {
                    self.failed.insert((*n).to_owned(), e.clone());
                }
            }
        }
    }

    /// Records events published by another process.
    pub fn published_elsewhere(&mut self, names: impl IntoIterator<Item = String>) {
        self.published.extend(names);
    }

    /// Records the client's failure log: queue-full refusals and drop-oldest victims are
    /// drops, the rest failures.
    pub fn failures(&mut self, failures: Vec<Failure>) {
        for f in failures {
            if matches!(
                f.error,
                Error::QueueFull { .. } | Error::DroppedForNewer { .. }
            ) {
                self.dropped.insert(f.event);
            } else {
                self.failed.insert(f.event, f.error);
            }
        }
    }

    /// Records one event's failure reported outside the failure log (a confirmed publish's
    /// error).
    pub fn failed(&mut self, name: &str, error: Error) {
        self.failed.insert(name.to_owned(), error);
    }

    /// Records failures a child process reported only as a count.
    pub fn failed_count(&mut self, n: u64) {
        self.failed_uncounted_names += n;
    }

    /// Records events whose fate the publisher could not know (see `unconfirmed`).
    pub fn unconfirmed(&mut self, names: impl IntoIterator<Item = String>) {
        self.unconfirmed.extend(names);
    }

    /// Records processes that hung (killed after their deadline); the scenario fails.
    pub fn hangs(&mut self, n: u64) {
        self.hangs += n;
        self.check(n == 0, format!("{n} process(es) hung and were killed"));
    }

    /// Expects each of `names` to arrive exactly twice: a copy the server dispatched before it
    /// failed, and the resend the client counted. Any other repeat is a duplicate.
    pub fn expect_twice(&mut self, names: &[&str]) {
        self.expected_twice
            .extend(names.iter().map(|n| (*n).to_owned()));
    }

    /// Records what a subscriber received (events of this scenario only; repeats are counted
    /// as duplicates).
    pub fn received(&mut self, events: Vec<Received>) {
        for e in events {
            if !self.published.contains(&e.event) {
                continue;
            }
            if !self.delivered.contains(&e.event) {
                self.delivered.insert(e.event);
            } else {
                *self.extra_copies.entry(e.event).or_insert(0) += 1;
            }
        }
    }

    /// How many published events a subscriber has seen so far.
    pub fn delivered(&self) -> usize {
        self.delivered.len()
    }

    /// The failures recorded, for scenarios that check their errors.
    pub fn failure_errors(&self) -> impl Iterator<Item = &Error> {
        self.failed.values()
    }

    /// Adds a scenario-specific figure to the line.
    pub fn figure(&mut self, key: &str, value: impl ToString) {
        self.figures.push((key.to_owned(), value.to_string()));
    }

    /// Fails the scenario with `why` unless `ok`.
    pub fn check(&mut self, ok: bool, why: impl Into<String>) {
        if !ok {
            self.problems.push(why.into());
        }
    }

    /// Checks the client's own counters against the ledger: every drop and failure the client
    /// counted is one the ledger saw, and `enqueued = delivered + failed + dropped_oldest +
    /// abandoned`.
    pub fn check_stats(&mut self, s: &StatsSnapshot) {
        let drops = s.rejected_queue_full + s.dropped_newest + s.dropped_oldest;
        self.check(
            drops == self.dropped.len() as u64,
            format!(
                "client counted {drops} drops, the ledger {}",
                self.dropped.len()
            ),
        );
        let failed = s.failed + s.abandoned_at_shutdown;
        self.check(
            failed == self.failed.len() as u64,
            format!(
                "client counted {failed} failures, its log gave {}",
                self.failed.len()
            ),
        );
        self.check(
            s.enqueued == s.delivered + s.failed + s.dropped_oldest + s.abandoned_at_shutdown,
            format!("client counters do not add up: {s:?}"),
        );
        self.figure("acked", s.delivered);
        self.figure("retried", s.retried);
    }

    /// The lost events' names, runs of numbered names (`e7`, `e8`, ...) shown as ranges, so
    /// a problem line says which part of a stream went missing.
    fn lost_names(&self) -> String {
        let mut numbered: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        let mut other = Vec::new();
        for name in self.published.iter().filter(|n| {
            !self.delivered.contains(*n)
                && !self.failed.contains_key(*n)
                && !self.dropped.contains(*n)
        }) {
            let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
            match digits.parse::<u64>() {
                Ok(i) => numbered
                    .entry(&name[..name.len() - digits.len()])
                    .or_default()
                    .push(i),
                Err(_) => other.push(name.clone()),
            }
        }
        let mut runs = other;
        for (prefix, mut numbers) in numbered {
            numbers.sort_unstable();
            let mut start = 0;
            for i in 1..=numbers.len() {
                if i == numbers.len() || numbers[i] != numbers[i - 1] + 1 {
                    runs.push(match i - start {
                        1 => format!("{prefix}{}", numbers[start]),
                        n => format!(
                            "{prefix}{}..{prefix}{} ({n})",
                            numbers[start],
                            numbers[i - 1]
                        ),
                    });
                    start = i;
                }
            }
        }
        let shown = runs.len().min(20);
        let more = runs.len() - shown;
        let mut text = runs[..shown].join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more runs"));
        }
        text
    }

    /// Published events that are neither delivered, failed nor dropped.
    fn lost(&self) -> u64 {
        let accounted = self.delivered.len() as u64
            + self.failed.len() as u64
            + self.dropped.len() as u64
            + self.failed_uncounted_names;
        (self.published.len() as u64).saturating_sub(accounted)
    }

    /// Prints problems (standard error) and the scenario's line; returns the verdict.
    pub fn finish(mut self) -> Outcome {
        // An unconfirmed event a subscriber saw was delivered; one it did not see failed.
        let mut arrived = 0;
        for name in std::mem::take(&mut self.unconfirmed) {
            if self.delivered.contains(&name) {
                arrived += 1;
            } else {
                self.failed.entry(name).or_insert(Error::ShutDown);
            }
        }
        if arrived > 0 {
            self.figure("unconfirmed_but_arrived", arrived);
        }
        let lost = self.lost();
        let both = self
            .delivered
            .iter()
            .filter(|n| self.failed.contains_key(*n) || self.dropped.contains(*n))
            .count();
        self.check(
            both == 0,
            format!("{both} event(s) both delivered and reported failed or dropped"),
        );
        let sum = self.delivered.len() as u64
            + self.failed.len() as u64
            + self.failed_uncounted_names
            + self.dropped.len() as u64;
        self.check(
            sum <= self.published.len() as u64,
            format!("{sum} outcomes for {} events", self.published.len()),
        );
        self.check(
            lost == 0,
            format!("{lost} event(s) lost: {}", self.lost_names()),
        );
        let unexpected: Vec<(&String, &u64)> = self
            .extra_copies
            .iter()
            .filter(|(n, c)| !(self.expected_twice.contains(*n) && **c == 1))
            .collect();
        self.check(
            unexpected.is_empty(),
            format!("duplicate deliveries (event, extra copies): {unexpected:?}"),
        );
        let missing: Vec<&String> = self
            .expected_twice
            .iter()
            .filter(|n| !self.extra_copies.contains_key(*n))
            .collect();
        self.check(
            missing.is_empty(),
            format!("expected twice, arrived once or never: {missing:?}"),
        );
        let duplicates: u64 = self.extra_copies.values().sum();
        let ok = self.problems.is_empty();
        for p in &self.problems {
            eprintln!("  fault {}: {p}", self.name);
        }
        let mut line = format!(
            "fault {} published={} delivered={} failed={} dropped={} lost={lost} ok={ok}",
            self.name,
            self.published.len(),
            self.delivered.len(),
            self.failed.len() as u64 + self.failed_uncounted_names,
            self.dropped.len(),
        );
        if duplicates > 0 {
            line.push_str(&format!(" duplicates={duplicates}"));
        }
        for (k, v) in &self.figures {
            line.push_str(&format!(" {k}={v}"));
        }
        println!("{line}");
        Outcome {
            ok,
            lost,
            hangs: self.hangs,
        }
    }
}
