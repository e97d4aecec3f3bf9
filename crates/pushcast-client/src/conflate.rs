//! Conflation (opt-in): for signal-style events (a room list changed, a dashboard counter),
//! a newer event replaces an older one with the same conflation key that is still queued.
//!
//! The key of an event on one channel is (rule, channel, event name, excluded socket, value
//! of the rule's `key` field in the payload). The excluded socket is part of it so that
//! conflation never changes who receives an event.
//!
//! **Where the survivor goes: to the back (the newer event's own place), not the older one's
//! place.** Lanes promise that a channel's events arrive in publish order; moving the
//! survivor to the back keeps that promise for every delivered event (what a subscriber sees
//! is a subsequence of what was published, in order). Replacing in place would deliver the
//! newer value ahead of events published before it (`U1, X, U2` would arrive as `U2, X`).
//!
//! **Window.** A run of replacements starts with the first event of a key that finds no
//! earlier one waiting; later events replace their predecessor only within `window` of that
//! first event. After the window a new run starts and the waiting one is kept: a stream of
//! updates faster than the window still gets one through per window even if the lane is slow.
//!
//! Only events still waiting for their lane are replaced: events in flight never are, and
//! events of confirmed publishes (which wait for their own acknowledgement) are never
//! conflated, neither as the replaced nor as the replacing one. A replaced event is counted in
//! `conflated`, never as lost or failed. With a `key` rule, an event whose payload is not a
//! JSON object holding that field (for example the ciphertext of an encrypted channel) is
//! not conflated.

use std::collections::HashMap;
use std::time::Instant;

use crate::config::ConflateRule;
use crate::item::Item;

/// Whether `rule` applies to an event named `event` on `channel`.
fn matches(rule: &ConflateRule, channel: &str, event: &str) -> bool {
    rule.event.as_deref().is_none_or(|g| glob_match(g, event))
        && rule
            .channel
            .as_deref()
            .is_none_or(|g| glob_match(g, channel))
}

/// `*` matches any run of characters (also none), `?` exactly one; everything else itself.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last star swallow one more character and try again.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// What identifies events that may replace each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ConflateKey {
    rule: usize,
    pub channel: String,
    event: String,
    socket_id: Option<String>,
    value: Option<String>,
}

struct Run {
    /// The waiting event's sequence number.
    seq: u64,
    /// When the run's first event was published.
    started: Instant,
}

/// The dispatcher's conflation index: the latest waiting event of each key.
pub(crate) struct Conflator {
    rules: Vec<ConflateRule>,
    runs: HashMap<ConflateKey, Run>,
}

impl Conflator {
    pub(crate) fn new(rules: Vec<ConflateRule>) -> Self {
        Conflator {
            rules,
            runs: HashMap::new(),
        }
    }

    /// The conflation key of an item, if a rule covers it.
    pub(crate) fn key_of(&self, item: &Item) -> Option<ConflateKey> {
        if self.rules.is_empty() || item.ack.is_some() {
            return None;
        }
        let channel = item.channel();
        let event = &item.event;
        let (rule, found) = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| matches(r, channel, &event.name))?;
        let value = match &found.key {
            None => None,
            Some(field) => {
                let payload: serde_json::Value = serde_json::from_str(&event.data).ok()?;
                Some(payload.get(field)?.to_string())
            }
        };
        Some(ConflateKey {
            rule,
            channel: channel.to_owned(),
            event: event.name.clone(),
            socket_id: event.socket_id.clone(),
            value,
        })
    }

    /// A new item with `key` (sequence number `seq`, published at `published`) arrives.
    /// Returns the sequence number of the waiting item it replaces, if any; `waiting` says
    /// whether a sequence number is still waiting for its lane.
    pub(crate) fn arrive(
        &mut self,
        key: ConflateKey,
        seq: u64,
        published: Instant,
        waiting: impl Fn(u64) -> bool,
    ) -> Option<u64> {
        let window = self.rules.get(key.rule).map(|r| r.window)?;
        match self.runs.get_mut(&key) {
            Some(run)
                if waiting(run.seq)
                    && published.saturating_duration_since(run.started) <= window =>
            {
                let replaced = run.seq;
                run.seq = seq;
                Some(replaced)
            }
            _ => {
                self.runs.insert(
                    key,
                    Run {
                        seq,
                        started: published,
                    },
                );
                None
            }
        }
    }

    /// Forgets runs whose event is no longer waiting, once the index has grown.
    pub(crate) fn prune(&mut self, held: usize, waiting: impl Fn(&ConflateKey, u64) -> bool) {
        if self.runs.len() > 1024.max(held * 2) {
            self.runs.retain(|key, run| waiting(key, run.seq));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn globs() {
        assert!(glob_match("RoomsUpdated", "RoomsUpdated"));
        assert!(!glob_match("RoomsUpdated", "RoomsUpdatedX"));
        assert!(glob_match("private-dashboard.*", "private-dashboard.7"));
        assert!(glob_match("*Updated", "App\\Events\\RoomsUpdated"));
        assert!(glob_match("a*b*c", "aXXbYYbZc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("room-?", "room-1"));
        assert!(!glob_match("room-?", "room-12"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn replaces_only_waiting_runs_within_the_window() {
        let rule = ConflateRule::for_event("E", Duration::from_secs(10));
        let mut c = Conflator::new(vec![rule]);
        let key = ConflateKey {
            rule: 0,
            channel: "c".into(),
            event: "E".into(),
            socket_id: None,
            value: None,
        };
        let t0 = Instant::now();
        assert_eq!(c.arrive(key.clone(), 1, t0, |_| true), None);
        assert_eq!(c.arrive(key.clone(), 2, t0, |_| true), Some(1));
        // 2 was sent meanwhile: 3 starts a new run.
        assert_eq!(c.arrive(key.clone(), 3, t0, |s| s != 2), None);
        // Past the window: a new run, 3 is kept.
        let late = t0 + Duration::from_secs(11);
        assert_eq!(c.arrive(key, 4, late, |_| true), None);
    }
}
