//! Who owns which spool file: each engine writes its own `spool-<pid>-<nonce>.db` and holds a
//! POSIX record lock (`fcntl(F_SETLK)`) on the `.lock` file beside it for as long as it lives.
//!
//! Why record locks: the kernel drops them when the process dies, however it dies (SIGKILL
//! included), and a forked child does not inherit them, so a child never keeps its dead
//! parent's spool looking alive. A spool whose lock can be taken has no living owner and may
//! be claimed; one still locked is never touched.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use parking_lot::Mutex;
use pushcast_core::{Error, Result};

/// Spool lock files held by engines of this process, with the pid that took them.
///
/// Why: record locks never conflict within one process, so a second engine here (another
/// client on the same directory) could take a live engine's lock and claim its spool. Each
/// entry carries its pid because a forked child inherits this list but not the locks: there,
/// the parent's entries are another process's and must be tested like any other.
static HELD: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());

fn held_here(path: &Path) -> bool {
    let pid = std::process::id();
    HELD.lock()
        .iter()
        .any(|(p, held)| *p == pid && held == path)
}

/// This process's lock on its own spool file. Dropping it releases the lock.
pub(crate) struct OwnerLock {
    /// Kept open: closing any descriptor of the file would drop the record lock.
    _file: File,
    pub lock_path: PathBuf,
    pub db_path: PathBuf,
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        let _quiet = crate::fork::quiet();
        let pid = std::process::id();
        HELD.lock()
            .retain(|(p, held)| !(*p == pid && *held == self.lock_path));
    }
}

impl OwnerLock {
    /// Removes this spool's files, lock last (an open that failed before anything was written:
    /// nothing is left behind for each failed attempt).
    pub(crate) fn discard(self) {
        let _quiet = crate::fork::quiet();
        remove_db_files(&self.db_path);
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

fn io_error<'a>(operation: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |e| Error::Spool {
        operation,
        reason: format!("{}: {e}", path.display()),
    }
}

/// Tries to take a write lock on the whole of `file` without waiting.
fn try_lock(file: &File) -> bool {
    // SAFETY: `flock` is a plain C struct; all-zero is a valid value that we then fill in.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    // SAFETY: the descriptor is open for the lifetime of `file`, and `lock` is a valid flock.
    unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &lock) == 0 }
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Creates the spool directory if needed and a fresh, locked spool file name in it.
pub(crate) fn acquire(dir: &Path) -> Result<OwnerLock> {
    let _quiet = crate::fork::quiet();
    std::fs::create_dir_all(dir).map_err(io_error("open", dir))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let stem = format!("spool-{}-{:x}", std::process::id(), nanos);
    let lock_path = dir.join(format!("{stem}.lock"));
    let file = open_lock_file(&lock_path).map_err(io_error("open", &lock_path))?;
    if !try_lock(&file) {
        return Err(Error::Spool {
            operation: "open",
            reason: format!("{} is locked by another process", lock_path.display()),
        });
    }
    HELD.lock().push((std::process::id(), lock_path.clone()));
    Ok(OwnerLock {
        _file: file,
        db_path: dir.join(format!("{stem}.db")),
        lock_path,
    })
}

/// A spool file whose owner is gone, locked by us until dropped.
pub(crate) struct Orphan {
    _file: File,
    pub lock_path: PathBuf,
    pub db_path: PathBuf,
}

/// Removes a spool database and the files SQLite keeps beside it.
fn remove_db_files(db_path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = db_path.to_path_buf().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
}

impl Orphan {
    /// Removes the orphan's files (database, WAL, lock), still holding its lock.
    pub(crate) fn remove(self) {
        remove_db_files(&self.db_path);
        let _ = std::fs::remove_file(&self.lock_path);
    }

    /// Moves a damaged database aside, to `<name>.damaged-<unix seconds>` (its WAL, if any, to
    /// that name with `-wal`, so SQLite still finds it there), where no scan looks; then
    /// removes the lock. Returns where it went. If it cannot be moved it is removed (what could
    /// be read of it is claimed already; left in place it would be claimed again and again).
    pub(crate) fn set_aside(self) -> std::result::Result<PathBuf, String> {
        let seconds = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut aside = self.db_path.clone().into_os_string();
        aside.push(format!(".damaged-{seconds}"));
        let aside = PathBuf::from(aside);
        let moved = std::fs::rename(&self.db_path, &aside);
        if moved.is_ok() {
            for suffix in ["-wal", "-journal"] {
                let mut from = self.db_path.clone().into_os_string();
                from.push(suffix);
                let mut to = aside.clone().into_os_string();
                to.push(suffix);
                let _ = std::fs::rename(from, to);
            }
        }
        let result = match moved {
            Ok(()) => Ok(aside),
            Err(e) => Err(match std::fs::remove_file(&self.db_path) {
                Ok(()) => format!("could not be moved aside ({e}), so it was removed"),
                Err(r) => format!("could be neither moved aside ({e}) nor removed ({r})"),
            }),
        };
        self.remove();
        result
    }
}

/// Every spool in `dir` other than `ours` whose owner is gone, each locked for us.
pub(crate) fn orphans(dir: &Path, ours: &Path) -> Vec<Orphan> {
    let _quiet = crate::fork::quiet();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let lock_path = entry.path();
        let is_lock = lock_path.extension().is_some_and(|e| e == "lock")
            && lock_path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("spool-"));
        // Never open a lock file this process holds: closing that descriptor again would
        // drop our own record lock.
        if !is_lock || lock_path == ours || held_here(&lock_path) {
            continue;
        }
        // Only open existing files: a lock file removed by another claimer stays removed.
        let Ok(file) = OpenOptions::new().read(true).write(true).open(&lock_path) else {
            continue;
        };
        if try_lock(&file) {
            found.push(Orphan {
                _file: file,
                db_path: lock_path.with_extension("db"),
                lock_path,
            });
        }
    }
    // Oldest owners first (a lock file is never written after its owner created it): roughly
    // the order their events were published in.
    found.sort_by_key(|o| {
        std::fs::metadata(&o.lock_path)
            .and_then(|m| m.modified())
            .ok()
    });
    found
}
