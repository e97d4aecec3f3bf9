//! Who owns which spool file: each engine writes its own `spool-<pid>-<nonce>.db` and holds a
//! POSIX record lock (`fcntl(F_SETLK)`) on the `.lock` file beside it for as long as it lives.
//!
//! Why record locks: the kernel drops them when the process dies, however it dies (SIGKILL
//! included), and a forked child does not inherit them, so a child never keeps its dead
//! parent's spool looking alive. A spool whose lock can be taken has no living owner and may
//! be claimed; one still locked is never touched.
//!
//! A lock file is never seen unlocked under its `.lock` name while its owner lives: it is
//! created under a temporary name (`<stem>.lock-new`, which no scan takes for a spool), locked,
//! and only then renamed to `<stem>.lock`. A rename keeps the file, and a record lock belongs
//! to the file (not to its name), so the name appears already locked. Creating the `.lock`
//! file and locking it a moment later let another process's scan lock it in between, judge
//! it dead, remove it and leave the live owner writing a spool that no scan would ever find.
//! The temporary name is safe too: a scan removes one only when it is stale (a minute old)
//! and its lock can be taken; if it was its creator's, still about to lock it, the creator's
//! rename then fails (the name is gone) and it starts over with a new name.
//!
//! Every file is created readable and writable by its owner only (0600, whatever the umask):
//! events are the application's data. SQLite gives the WAL (and any journal or shared-memory
//! file) the database file's mode, so the database file is created here, empty, first.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::sync::Mutex;
use pushcast_core::{Error, Result};

/// The mode of every spool file: owner read and write.
const FILE_MODE: u32 = 0o600;
/// The mode of a spool directory this module creates.
const DIR_MODE: u32 = 0o700;
/// The suffix of a lock file not yet locked and renamed into place.
const TEMP_SUFFIX: &str = ".lock-new";
/// A temporary lock file older than this belongs to a process that died while creating it.
const STALE_TEMP: Duration = Duration::from_secs(60);
/// New names tried when a scan removed the temporary lock file under us.
const ATTEMPTS: usize = 8;

/// A file's identity (device, inode): what a record lock belongs to, whatever its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// Spool lock files held by engines of this process, with the pid that took them.
///
/// Why: record locks never conflict within one process, and closing any descriptor of a file
/// drops every record lock this process holds on it; so a scan here must never open a lock
/// file another engine of this process holds (another client on the same directory). Files
/// are known by identity, not by path, so a directory spelt two ways (a trailing slash, a
/// symbolic link) cannot hide one. Each entry carries its pid because a forked child inherits
/// this list but not the locks: there, the parent's entries are another process's and must be
/// tested like any other.
static HELD: Mutex<Vec<(u32, FileId)>> = Mutex::new(Vec::new());

fn held_here(id: FileId) -> bool {
    let pid = std::process::id();
    HELD.lock().iter().any(|&(p, held)| p == pid && held == id)
}

fn release_held(id: FileId) {
    let pid = std::process::id();
    HELD.lock().retain(|&(p, held)| !(p == pid && held == id));
}

/// This process's lock on its own spool file. Dropping it releases the lock.
pub(crate) struct OwnerLock {
    /// Kept open: closing any descriptor of the file would drop the record lock.
    _file: File,
    id: FileId,
    pub lock_path: PathBuf,
    pub db_path: PathBuf,
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        let _quiet = crate::fork::quiet();
        release_held(self.id);
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

/// Tries to take a write lock on the whole of `file` without waiting: `Ok(false)` when
/// another process holds a lock on it.
fn try_lock(file: &File) -> std::io::Result<bool> {
    // SAFETY: `flock` is a plain C struct; all-zero is a valid value that we then fill in.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    // SAFETY: the descriptor is open for the lifetime of `file`, and `lock` is a valid flock.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &lock) } == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EAGAIN | libc::EACCES) => Ok(false),
        _ => Err(error),
    }
}

/// Creates a new file at `path` (never an existing one), mode 0600 whatever the umask.
fn create_private(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    // The umask may have taken bits away (0400 under a umask of 0277): set the mode outright.
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Creates the spool directory (0700) if it does not exist; an existing one is left as it is.
fn create_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(io_error("open", dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
        .map_err(io_error("open", dir))
}

/// A name no other spool file has had: this process's id, the time, and a counter (two
/// engines of one process may start within the clock's resolution).
fn fresh_stem() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("spool-{}-{nanos:x}-{n}", std::process::id())
}

/// Creates the spool directory if needed, a fresh lock file, locked before it appears under
/// its name, and the empty database file beside it.
pub(crate) fn acquire(dir: &Path) -> Result<OwnerLock> {
    let _quiet = crate::fork::quiet();
    create_dir(dir)?;
    for _ in 0..ATTEMPTS {
        let stem = fresh_stem();
        let temp_path = dir.join(format!("{stem}{TEMP_SUFFIX}"));
        let file = create_private(&temp_path).map_err(io_error("open", &temp_path))?;
        let id = match file.metadata() {
            Ok(meta) => FileId::of(&meta),
            Err(e) => {
                let _ = std::fs::remove_file(&temp_path);
                return Err(io_error("open", &temp_path)(e));
            }
        };
        match try_lock(&file) {
            Ok(true) => {}
            // A scan took it for a stale one (and removes it): start over with a new name.
            Ok(false) => {
                let _ = std::fs::remove_file(&temp_path);
                continue;
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp_path);
                return Err(io_error("open", &temp_path)(e));
            }
        }
        let lock_path = dir.join(format!("{stem}.lock"));
        // Listed before the name appears: a scan of this process never opens it.
        HELD.lock().push((std::process::id(), id));
        if let Err(e) = std::fs::rename(&temp_path, &lock_path) {
            release_held(id);
            let _ = std::fs::remove_file(&temp_path);
            if e.kind() == std::io::ErrorKind::NotFound {
                // A scan removed the name before our lock was on it: this file is nobody's.
                continue;
            }
            return Err(io_error("open", &lock_path)(e));
        }
        let owner = OwnerLock {
            _file: file,
            id,
            db_path: dir.join(format!("{stem}.db")),
            lock_path,
        };
        if let Err(e) = create_private(&owner.db_path) {
            let error = io_error("open", &owner.db_path)(e);
            owner.discard();
            return Err(error);
        }
        return Ok(owner);
    }
    Err(Error::Spool {
        operation: "open",
        reason: format!(
            "{}: no lock file could be created in {ATTEMPTS} attempts",
            dir.display()
        ),
    })
}

/// Removes a spool database and the files SQLite keeps beside it.
fn remove_db_files(db_path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = db_path.to_path_buf().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
}

/// A spool file whose owner is gone, locked by us until dropped.
pub(crate) struct Orphan {
    _file: File,
    pub lock_path: PathBuf,
    pub db_path: PathBuf,
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

/// Every spool in `dir` other than `ours` whose owner is gone, each locked for us; stale
/// temporary lock files are removed on the way.
pub(crate) fn orphans(dir: &Path, ours: &Path) -> Vec<Orphan> {
    let _quiet = crate::fork::quiet();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let lock_path = entry.path();
        let Some(name) = lock_path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.starts_with("spool-") {
            continue;
        }
        if name.ends_with(TEMP_SUFFIX) {
            remove_if_stale(&lock_path, name);
            continue;
        }
        if !name.ends_with(".lock") || lock_path == ours {
            continue;
        }
        // Never open a lock file this process holds: closing that descriptor again would
        // drop our own record lock. (A `.lock` name only ever names the file it was renamed
        // from, so what this finds is what the open below opens.)
        let Ok(meta) = std::fs::metadata(&lock_path) else {
            continue;
        };
        if held_here(FileId::of(&meta)) {
            continue;
        }
        // Only open existing files: a lock file removed by another claimer stays removed.
        let Ok(file) = OpenOptions::new().read(true).write(true).open(&lock_path) else {
            continue;
        };
        if matches!(try_lock(&file), Ok(true)) {
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

/// Removes a temporary lock file left by a process that died before renaming it: another
/// process's (never this one's, whose engine may be creating it right now), a minute old, and
/// not locked.
fn remove_if_stale(path: &Path, name: &str) {
    let pid = name
        .strip_prefix("spool-")
        .and_then(|rest| rest.split('-').next())
        .and_then(|pid| pid.parse::<u32>().ok());
    if pid == Some(std::process::id()) {
        return;
    }
    let old = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age >= STALE_TEMP);
    if !old {
        return;
    }
    if let Ok(file) = OpenOptions::new().read(true).write(true).open(path) {
        if matches!(try_lock(&file), Ok(true)) {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn acquire_leaves_a_locked_lock_file_and_an_empty_private_database() {
        let dir = tempfile::tempdir().unwrap();
        let owner = acquire(dir.path()).unwrap();
        let files = names(dir.path());
        assert_eq!(files.len(), 2, "{files:?}");
        for path in [&owner.lock_path, &owner.db_path] {
            let meta = std::fs::metadata(path).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{path:?}");
            assert_eq!(meta.len(), 0);
        }
        // Held here: a scan of this process skips it (and never opens it).
        assert!(orphans(dir.path(), Path::new("")).is_empty());
        owner.discard();
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn a_stale_temporary_lock_file_of_a_dead_process_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!("spool-999999-1-0{TEMP_SUFFIX}"));
        let fresh = dir.path().join(format!("spool-999998-1-0{TEMP_SUFFIX}"));
        let file = File::create(&stale).unwrap();
        file.set_modified(SystemTime::now() - 2 * STALE_TEMP)
            .unwrap();
        File::create(&fresh).unwrap();
        assert!(orphans(dir.path(), Path::new("")).is_empty());
        assert_eq!(
            names(dir.path()),
            vec![format!("spool-999998-1-0{TEMP_SUFFIX}")]
        );
    }
}
