//! The durable spool (opt-in, [`crate::ClientConfig::spool`]): events accepted by `publish`
//! are written to a crash-safe SQLite file on local disk before they count as accepted,
//! removed once the server acknowledged them (or they were counted as failed, dropped or
//! conflated), and replayed by the next process that opens the same directory if this one
//! dies first.
//!
//! With a spool the queue is the spool: its limit is `max_bytes`, and the in-memory queue
//! (`queue_capacity`) holds only what is about to be sent. Events go straight to memory while
//! nothing waits on disk; otherwise they wait on disk (not ageing towards their deadline) and
//! the spool thread loads them, oldest first, as room frees up, so a channel's events keep
//! their order. An event's delivery deadline counts from its publish time plus
//! [`SpoolConfig::max_age`], so an outage shorter than that loses nothing.

mod owner;
mod store;
pub(crate) mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::sync::{Condvar, Mutex};
use pushcast_core::{Error, Result};

use crate::config::{SpoolConfig, SpoolSync};
use crate::deadline::deadline_after;
use crate::item::{Ack, Item, SpoolRef};
use store::{Claimed, Store};

/// What the spool needs from the in-memory queue it feeds, and all it sees of the engine:
/// room, reservations, and where to report. The engine's shared state implements it.
pub(crate) trait Memory {
    /// How many more events memory may take now.
    fn room(&self) -> usize;
    /// Reserves room for `n` events; false when memory cannot take them.
    fn try_reserve(&self, n: usize) -> bool;
    /// Reserves room for `n` events even past the limit (rows already accepted on disk).
    fn force_reserve(&self, n: usize);
    /// The backlog shrank without a release: wake whoever waits for room or an empty queue.
    fn wake_waiters(&self);
    /// A background spool operation failed: count it and keep it as the last error.
    fn spool_error(&self, error: &Error);
}

/// A row deleted from disk to make room for newer events (drop-oldest), for the caller to
/// count, log and acknowledge.
pub(crate) struct DisplacedRow {
    /// The event's name.
    pub event: String,
    /// Its channel.
    pub channel: String,
    /// The confirmed publisher waiting for it, if any.
    pub ack: Option<Arc<Ack>>,
}

struct State {
    store: Store,
    /// Every row up to this id is in memory or resolved; rows after it wait on disk.
    watermark: i64,
    /// Confirmed publishes waiting on disk: their acknowledgement, by row id.
    acks: HashMap<i64, Arc<Ack>>,
}

/// Spool gauges and counters, for the stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SpoolFigures {
    pub rows: u64,
    pub bytes: u64,
    pub backlog: u64,
    pub replayed: u64,
    pub left_at_shutdown: u64,
}

pub(crate) struct Spool {
    pub config: SpoolConfig,
    state: Mutex<State>,
    owner: owner::OwnerLock,
    /// Rows resolved in memory, to delete in the spool thread's next transaction.
    resolved: Mutex<Vec<SpoolRef>>,
    rows: AtomicU64,
    bytes: AtomicU64,
    /// Rows on disk and not in memory (what the spool thread still has to load).
    backlog: AtomicUsize,
    replayed: AtomicU64,
    pub left_at_shutdown: AtomicU64,
    room_lock: Mutex<()>,
    room: Condvar,
    wake_tx: crossbeam_channel::Sender<()>,
    pub wake_rx: crossbeam_channel::Receiver<()>,
    wal: Mutex<Option<std::fs::File>>,
    /// Problems met while claiming (a damaged file set aside, a claim that failed) for the
    /// spool thread to count and report as spool errors; claims at open run before there is
    /// anywhere to report them.
    notes: Mutex<Vec<Error>>,
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn size_of(item: &Item) -> u32 {
    let e = &item.event;
    let size = item.channel().len()
        + e.name.len()
        + e.data.len()
        + e.socket_id.as_ref().map_or(0, String::len)
        + e.info.as_ref().map_or(0, String::len);
    u32::try_from(size).unwrap_or(u32::MAX)
}

impl Spool {
    /// Opens this process's spool file in the configured directory and claims the spools of
    /// processes that are gone. A claim that fails never fails the open (it is reported, and
    /// tried again at the next scan); an open that fails leaves no file behind.
    pub(crate) fn open(config: &SpoolConfig) -> Result<Spool> {
        let owner = owner::acquire(&config.dir)?;
        let store = match Store::open(&owner.db_path, config.sync) {
            Ok(store) => store,
            Err(e) => {
                owner.discard();
                return Err(e);
            }
        };
        let (wake_tx, wake_rx) = crossbeam_channel::bounded(1);
        let spool = Spool {
            config: config.clone(),
            state: Mutex::new(State {
                store,
                watermark: 0,
                acks: HashMap::new(),
            }),
            owner,
            resolved: Mutex::new(Vec::new()),
            rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            backlog: AtomicUsize::new(0),
            replayed: AtomicU64::new(0),
            left_at_shutdown: AtomicU64::new(0),
            room_lock: Mutex::new(()),
            room: Condvar::new(),
            wake_tx,
            wake_rx,
            wal: Mutex::new(None),
            notes: Mutex::new(Vec::new()),
        };
        spool.claim_orphans();
        Ok(spool)
    }

    pub(crate) fn figures(&self) -> SpoolFigures {
        SpoolFigures {
            rows: self.rows.load(SeqCst),
            bytes: self.bytes.load(SeqCst),
            backlog: self.backlog.load(SeqCst) as u64,
            replayed: self.replayed.load(SeqCst),
            left_at_shutdown: self.left_at_shutdown.load(SeqCst),
        }
    }

    pub(crate) fn backlog(&self) -> usize {
        self.backlog.load(SeqCst)
    }

    pub(crate) fn wake(&self) {
        let _ = self.wake_tx.try_send(());
    }

    pub(crate) fn try_reserve_bytes(&self, n: u64) -> bool {
        let max = self.config.max_bytes;
        self.bytes
            .fetch_update(SeqCst, SeqCst, |b| (b + n <= max).then_some(b + n))
            .is_ok()
    }

    pub(crate) fn full(&self) -> Error {
        Error::SpoolFull {
            limit_bytes: self.config.max_bytes,
        }
    }

    /// Waits for room for `bytes` on disk until `deadline` (the block policy).
    pub(crate) fn reserve_bytes_until(&self, bytes: u64, deadline: Instant) -> bool {
        let mut guard = self.room_lock.lock();
        loop {
            if self.try_reserve_bytes(bytes) {
                return true;
            }
            let (held, timed_out) = self.room.wait_until(guard, deadline);
            guard = held;
            if timed_out {
                break;
            }
        }
        drop(guard);
        self.try_reserve_bytes(bytes)
    }

    /// Drop-oldest: deletes the oldest rows waiting on disk until `bytes` fit (rows in memory
    /// are the queue's, never dropped here), and hands them back to be counted and logged.
    pub(crate) fn drop_oldest_on_disk(&self, bytes: u64) -> Result<Vec<DisplacedRow>> {
        let mut state = self.state.lock();
        let watermark = state.watermark;
        let mut freed = 0u64;
        let over = (self.bytes.load(SeqCst) + bytes).saturating_sub(self.config.max_bytes);
        let rows = state.store.read_after(watermark, 1_000)?;
        let mut victims = Vec::new();
        for row in rows {
            if freed >= over {
                break;
            }
            freed += u64::from(row.size);
            victims.push(row);
        }
        let ids: Vec<i64> = victims.iter().map(|r| r.id).collect();
        state.store.delete(&ids)?;
        let displaced = victims
            .into_iter()
            .map(|row| DisplacedRow {
                ack: state.acks.remove(&row.id),
                channel: row.event.channels.concat(),
                event: row.event.name,
            })
            .collect::<Vec<_>>();
        drop(state);
        let n = displaced.len();
        self.backlog.fetch_sub(n, SeqCst);
        self.rows.fetch_sub(n as u64, SeqCst);
        self.bytes.fetch_sub(freed, SeqCst);
        Ok(displaced)
    }

    /// The bytes `items` take on disk, each and in all: what admission reserves.
    pub(crate) fn sizes(items: &[Item]) -> (Vec<u32>, u64) {
        let sizes: Vec<u32> = items.iter().map(size_of).collect();
        let bytes = sizes.iter().map(|&s| u64::from(s)).sum();
        (sizes, bytes)
    }

    /// Writes `items` to disk, `bytes` of room already reserved by admission (they count as
    /// accepted once this returns `Ok`), then hands them to `push` when nothing waits on disk
    /// before them and memory has room; otherwise they wait on disk for the spool thread. On
    /// an error nothing was written and the reservation is given back.
    pub(crate) fn write(
        &self,
        memory: &dyn Memory,
        mut items: Vec<Item>,
        (sizes, bytes): (Vec<u32>, u64),
        push: impl FnOnce(Vec<Item>),
    ) -> Result<()> {
        let mut state = self.state.lock();
        let rows: Vec<_> = (items.iter().zip(&sizes))
            .map(|(item, &size)| (&*item.event, item.channel(), size))
            .collect();
        let ids = match state.store.insert(&rows, unix_ms()) {
            Ok(ids) => ids,
            Err(e) => {
                drop(state);
                self.bytes.fetch_sub(bytes, SeqCst);
                return Err(e);
            }
        };
        let n = items.len();
        self.rows.fetch_add(n as u64, SeqCst);
        for ((item, id), size) in items.iter_mut().zip(&ids).zip(&sizes) {
            item.spool = Some(SpoolRef {
                id: *id,
                size: *size,
            });
            item.deadline = deadline_after(item.enqueued, self.config.max_age);
        }
        if self.backlog() == 0 && memory.room() >= n && memory.try_reserve(n) {
            state.watermark = ids.last().copied().unwrap_or(state.watermark);
            push(items);
        } else {
            for item in items {
                if let (Some(ack), Some(r)) = (item.ack, item.spool) {
                    state.acks.insert(r.id, ack);
                }
            }
            self.backlog.fetch_add(n, SeqCst);
            drop(state);
            self.wake();
        }
        Ok(())
    }

    /// At shutdown: what still waits on disk stays there for the next process (counted as
    /// left in the spool); confirmed publishers among it are told the client shut down.
    pub(crate) fn leave_backlog(&self) {
        let mut state = self.state.lock();
        let n = self.backlog.swap(0, SeqCst);
        self.left_at_shutdown.fetch_add(n as u64, SeqCst);
        for (_, ack) in state.acks.drain() {
            ack.resolve("", Err(&Error::ShutDown));
        }
    }

    /// Loads waiting rows into memory as room allows, oldest first; returns how many.
    pub(crate) fn load(&self, memory: &dyn Memory, push: impl FnOnce(Vec<Item>)) -> Result<usize> {
        if self.backlog() == 0 {
            return Ok(0);
        }
        let room = memory.room().min(1_000);
        if room == 0 {
            return Ok(0);
        }
        let mut state = self.state.lock();
        let watermark = state.watermark;
        let rows = state.store.read_after(watermark, room)?;
        let n = rows.len();
        if n == 0 {
            // Nothing on disk after the watermark: the count drifted (a claim raced a load).
            self.backlog.store(0, SeqCst);
            memory.wake_waiters();
            return Ok(0);
        }
        memory.force_reserve(n);
        let now = Instant::now();
        let now_ms = unix_ms();
        let mut items = Vec::with_capacity(n);
        for row in rows {
            let age = Duration::from_millis(
                u64::try_from(now_ms.saturating_sub(row.published_ms)).unwrap_or(0),
            );
            let enqueued = now.checked_sub(age).unwrap_or(now);
            state.watermark = row.id;
            items.push(Item {
                ack: state.acks.remove(&row.id),
                event: Arc::new(row.event),
                channel_index: 0,
                enqueued,
                deadline: deadline_after(enqueued, self.config.max_age).max(now),
                spool: Some(SpoolRef {
                    id: row.id,
                    size: row.size,
                }),
                ahead: None,
            });
        }
        push(items);
        drop(state);
        self.backlog.fetch_sub(n, SeqCst);
        Ok(n)
    }

    /// These items were resolved (delivered, failed, dropped, conflated): their rows go in the
    /// spool thread's next delete.
    pub(crate) fn resolved<'a>(&self, items: impl IntoIterator<Item = &'a Item>) {
        let mut refs = items.into_iter().filter_map(|i| i.spool).peekable();
        if refs.peek().is_none() {
            return;
        }
        self.resolved.lock().extend(refs);
        self.wake();
    }

    /// Deletes the rows resolved since the last call, in one transaction.
    ///
    /// The state lock is taken first: a flush that finds nothing left to delete returns only
    /// after a delete the spool thread has under way is committed.
    pub(crate) fn commit_resolved(&self) -> Result<()> {
        let mut state = self.state.lock();
        let refs = std::mem::take(&mut *self.resolved.lock());
        if refs.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = refs.iter().map(|r| r.id).collect();
        let deleted = state.store.delete(&ids);
        drop(state);
        if let Err(e) = deleted {
            // Kept for the next try: a row deleted late is replayed at worst, never lost.
            self.resolved.lock().extend(refs);
            return Err(e);
        }
        let bytes: u64 = refs.iter().map(|r| u64::from(r.size)).sum();
        self.rows.fetch_sub(refs.len() as u64, SeqCst);
        self.bytes.fetch_sub(bytes, SeqCst);
        let _guard = self.room_lock.lock();
        self.room.notify_all();
        Ok(())
    }

    /// Moves the events of every spool in the directory whose process is gone into this one;
    /// returns how many. A damaged file gives what can still be read of it and is moved aside
    /// (`<name>.damaged-<unix seconds>`, never claimed again), noted as a spool error; a claim
    /// that fails otherwise is noted and its files stay for the next scan.
    pub(crate) fn claim_orphans(&self) -> u64 {
        let mut total = 0;
        for orphan in owner::orphans(&self.config.dir, &self.owner.lock_path) {
            if !orphan.db_path.exists() {
                orphan.remove();
                continue;
            }
            let claimed = self.state.lock().store.claim(&orphan.db_path);
            match claimed {
                Ok(Claimed::All { rows, bytes }) => {
                    self.took(rows, bytes);
                    total += rows;
                    orphan.remove();
                }
                Ok(Claimed::Damaged {
                    rows,
                    bytes,
                    reason,
                }) => {
                    self.took(rows, bytes);
                    total += rows;
                    let db = orphan.db_path.display().to_string();
                    let fate = match orphan.set_aside() {
                        Ok(aside) => format!("moved to {}", aside.display()),
                        Err(what) => what,
                    };
                    self.note(Error::Spool {
                        operation: "claim",
                        reason: format!(
                            "{db} is damaged ({reason}); {rows} event(s) could be read from it \
                             and are replayed, the rest are lost; the file was {fate}"
                        ),
                    });
                }
                Err(e) => self.note(e),
            }
        }
        if total > 0 {
            self.wake();
        }
        total
    }

    /// Claimed rows: counted, and waiting on disk for the spool thread to load.
    fn took(&self, rows: u64, bytes: u64) {
        self.rows.fetch_add(rows, SeqCst);
        self.bytes.fetch_add(bytes, SeqCst);
        self.replayed.fetch_add(rows, SeqCst);
        self.backlog.fetch_add(rows as usize, SeqCst);
    }

    fn note(&self, error: Error) {
        self.notes.lock().push(error);
    }

    /// The problems noted since the last call, for the spool thread to report.
    pub(crate) fn take_notes(&self) -> Vec<Error> {
        std::mem::take(&mut *self.notes.lock())
    }

    /// At the interval level: checkpoints once the WAL has grown past `WAL_CHECKPOINT_BYTES`
    /// (automatic checkpoints are off there, so they never land in a caller's commit).
    pub(crate) fn checkpoint_if_large(&self) -> Result<()> {
        const WAL_CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;
        let wal_len = self
            .wal_file()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len());
        if wal_len < WAL_CHECKPOINT_BYTES {
            return Ok(());
        }
        self.state.lock().store.checkpoint()
    }

    fn wal_file(&self) -> Option<std::fs::File> {
        let mut wal = self.wal.lock();
        if wal.is_none() {
            let mut path = self.owner.db_path.clone().into_os_string();
            path.push("-wal");
            *wal = std::fs::File::open(path).ok();
        }
        wal.as_ref().and_then(|f| f.try_clone().ok())
    }

    /// Pushes the WAL to disk (the interval sync level); takes no lock a publisher needs.
    pub(crate) fn sync_wal(&self) -> Result<()> {
        match self.wal_file() {
            Some(file) => file.sync_data().map_err(|e| Error::Spool {
                operation: "sync",
                reason: e.to_string(),
            }),
            None => Ok(()),
        }
    }
}
