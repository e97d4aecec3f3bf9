//! Fork detection: a generation counter bumped in the child by a `pthread_atfork` handler.
//!
//! PHP-FPM, Octane and Horizon fork after the extension has loaded. A child must never touch
//! the parent's queue, locks or threads (the threads do not exist in the child, and a lock a
//! parent thread held at the fork stays locked forever). Each engine records the generation
//! it was started in; a call that sees another generation starts a fresh engine. The check on
//! the publish path is one atomic load.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Set by the one thread that registers the handler, and once it has. Not a `Once`: a thread
/// waiting on a `Once` another thread runs, in a child forked meanwhile, would wait forever.
static REGISTERING: AtomicBool = AtomicBool::new(false);
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Held (shared) around every use of SQLite and of the spool's process-wide state, and taken
/// exclusively by the forking thread just before `fork()`.
///
/// Why: SQLite keeps process-wide mutexes (its allocator's, its open/VFS ones). A fork while a
/// spool thread is inside SQLite would leave those locked forever in the child, whose first
/// spool would then hang. With the gate, nothing is inside SQLite at the moment of the fork.
static QUIET: RwLock<()> = RwLock::new(());

thread_local! {
    /// The forking thread's exclusive hold of [`QUIET`], from `prepare` to `parent`/`child`.
    static FORK_HOLD: RefCell<Option<RwLockWriteGuard<'static, ()>>> = const { RefCell::new(None) };
}

/// Enters a section that uses SQLite or the spool's process-wide state; no fork happens while
/// it is held.
pub(crate) fn quiet() -> RwLockReadGuard<'static, ()> {
    QUIET
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

extern "C" fn before_fork() {
    let hold = QUIET
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let _ = FORK_HOLD.try_with(|h| *h.borrow_mut() = Some(hold));
}

extern "C" fn after_fork_in_parent() {
    let _ = FORK_HOLD.try_with(|h| h.borrow_mut().take());
}

extern "C" fn after_fork_in_child() {
    // One atomic add, and the release of the gate this very thread took in `before_fork` (a
    // futex store and wake: no allocation, no other lock).
    GENERATION.fetch_add(1, Ordering::SeqCst);
    let _ = FORK_HOLD.try_with(|h| h.borrow_mut().take());
}

/// Registers the fork handler (once per process; it is inherited by children).
pub(crate) fn ensure_handler() {
    if REGISTERED.load(Ordering::Acquire) {
        return;
    }
    if REGISTERING.swap(true, Ordering::AcqRel) {
        // Another thread registers: wait for it, but not forever (in a child forked while it
        // registered, it does not exist).
        for _ in 0..1000 {
            if REGISTERED.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        return;
    }
    // SAFETY: the handlers are `extern "C"` functions that never unwind. The child's does
    // an atomic add and releases a lock its own thread took in `before_fork`.
    // A non-zero return (ENOMEM) leaves fork detection off: said loudly, once.
    let rc = unsafe {
        libc::pthread_atfork(
            Some(before_fork),
            Some(after_fork_in_parent),
            Some(after_fork_in_child),
        )
    };
    if rc != 0 {
        crate::log::log(
            None,
            crate::log::LogLevel::Warning,
            &format!(
                "pushcast: WARNING: pthread_atfork failed ({rc}); a forked child must not \
                 publish through a client its parent used"
            ),
        );
    }
    REGISTERED.store(true, Ordering::Release);
}

/// The current fork generation: 0 in the first process, +1 in each forked child.
#[inline]
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// A lock that a forked child never inherits held: it records the fork generation of its
/// holder, and a child that finds it held by an earlier generation (a thread of the parent,
/// absent from the child) takes it over. For the client's start/stop lock: a host thread may
/// be starting or shutting down an engine at the moment another thread forks.
pub(crate) struct ForkSafeLock {
    /// 0 when free, else the holder's generation + 1.
    holder: AtomicU64,
}

/// Holds a [`ForkSafeLock`] until dropped.
pub(crate) struct ForkSafeGuard<'a> {
    lock: &'a ForkSafeLock,
    mark: u64,
}

impl ForkSafeLock {
    pub(crate) const fn new() -> Self {
        ForkSafeLock {
            holder: AtomicU64::new(0),
        }
    }

    /// Takes the lock, waiting (sleeping briefly between looks) while a thread of this process
    /// holds it. Starts and stops are rare and short, so a sleeping wait costs nothing.
    pub(crate) fn lock(&self) -> ForkSafeGuard<'_> {
        let mark = generation() + 1;
        loop {
            let current = self.holder.load(Ordering::Acquire);
            // Free, or held by the parent of this process: take it.
            if (current == 0 || current != mark)
                && self
                    .holder
                    .compare_exchange(current, mark, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                return ForkSafeGuard { lock: self, mark };
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

impl Drop for ForkSafeGuard<'_> {
    fn drop(&mut self) {
        // Only if still ours (a child may have taken over a parent's hold).
        let _ =
            self.lock
                .holder
                .compare_exchange(self.mark, 0, Ordering::AcqRel, Ordering::Acquire);
    }
}
