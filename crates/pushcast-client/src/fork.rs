//! Fork detection: a generation counter bumped in the child by a `pthread_atfork` handler.
//!
//! PHP-FPM, Octane and Horizon fork after the extension has loaded. A child must never touch
//! the parent's queue, locks or threads (the threads do not exist in the child, and a lock a
//! parent thread held at the fork stays locked forever). Each engine records the generation
//! it was started in; a call that sees another generation starts a fresh engine. The check on
//! the publish path is one atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

extern "C" fn after_fork_in_child() {
    // Async-signal-safe: one atomic add, no allocation, no lock.
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Registers the fork handler (once per process; it is inherited by children).
pub(crate) fn ensure_handler() {
    REGISTER.call_once(|| {
        // SAFETY: `after_fork_in_child` is an `extern "C"` function that only performs an
        // atomic add, which is async-signal-safe as POSIX requires of atfork child handlers.
        // A non-zero return (ENOMEM) leaves fork detection off: said loudly, once.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        if rc != 0 {
            eprintln!(
                "pushcast: WARNING: pthread_atfork failed ({rc}); a forked child must not publish \
                 through a client its parent used"
            );
        }
    });
}

/// The current fork generation: 0 in the first process, +1 in each forked child.
#[inline]
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}
