//! The engine's lock and condition variable: std's, behind parking_lot's calling shape.
//!
//! Why not parking_lot: it parks a contended thread through one process-wide hash table whose
//! bucket locks (and whole-table locks while it grows, which happens as threads are created)
//! are held for a moment by whichever thread parks or wakes. A fork at that moment leaves the
//! lock held in the child by a thread that does not exist there, and the child's own engine,
//! parking on the same table, waits forever. std's lock and condition variable wait on their
//! own futex word and share nothing across the process, so a child's fresh engine cannot meet
//! a lock its parent's threads held. A poisoned lock (a thread panicked while holding it) is
//! taken as is: every value kept under these locks stays valid between statements, and the
//! engine reports the panic itself (`EngineFailed`).

use std::sync::{MutexGuard, PoisonError};
use std::time::Instant;

/// A mutual-exclusion lock whose `lock()` returns the guard directly.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Mutex(std::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A condition variable used with [`Mutex`].
#[derive(Debug, Default)]
pub(crate) struct Condvar(std::sync::Condvar);

impl Condvar {
    pub(crate) const fn new() -> Self {
        Condvar(std::sync::Condvar::new())
    }

    /// Waits for a notification or `deadline`, whichever comes first; returns the guard and
    /// whether the deadline passed.
    pub(crate) fn wait_until<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Instant,
    ) -> (MutexGuard<'a, T>, bool) {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return (guard, true);
        };
        match self.0.wait_timeout(guard, left) {
            Ok((guard, result)) => (guard, result.timed_out()),
            Err(poisoned) => {
                let (guard, result) = poisoned.into_inner();
                (guard, result.timed_out())
            }
        }
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}
